/**
 * Shape checks of the files of a sweep folder as read back (manifest.json, items.json,
 * skipped.json): a hand-edited, truncated or foreign file gets a one-line error naming the file
 * and the field, instead of a TypeError deep inside an analysis. Written by hand because the
 * checks are few and the messages must name facelens' own fields.
 */
import { UserError } from '../core/errors.js';
import type { SkippedItem } from './skipped.js';
import { SWEEP_FORMAT, type SweepItem, type SweepManifest } from './sweep.js';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown, min = 0): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min;

function fail(file: string, field: string, problem: string): never {
  throw new UserError(`${file}: ${field} ${problem}`);
}

export function validateSweepManifest(file: string, raw: unknown): SweepManifest {
  if (!isObj(raw)) fail(file, 'the file', `is not a sweep manifest (a JSON object), got ${raw === null ? 'null' : Array.isArray(raw) ? 'a list' : typeof raw}`);
  if (raw.format !== SWEEP_FORMAT) fail(file, 'format', `is ${JSON.stringify(raw.format)}, expected "${SWEEP_FORMAT}"`);
  if (raw.status !== 'running' && raw.status !== 'complete') fail(file, 'status', `is ${JSON.stringify(raw.status)}, expected "running" or "complete"`);
  const model = raw.model;
  if (!isObj(model) || typeof model.name !== 'string') fail(file, 'model.name', 'is missing');
  if (!isObj(model.input) || !isInt(model.input.width, 1) || !isInt(model.input.height, 1)) fail(file, 'model.input', 'must be {width, height} positive integers');
  if (!isObj(raw.dataset) || !isInt(raw.dataset.items)) fail(file, 'dataset.items', 'must be a non-negative integer');
  const sh = raw.shard;
  if (!isObj(sh) || !isInt(sh.count, 1) || !isInt(sh.index) || (sh.index as number) >= (sh.count as number) || !isInt(sh.start) || !isInt(sh.end) || (sh.end as number) < (sh.start as number)) {
    fail(file, 'shard', 'must be {index, count, start, end} with 0 <= index < count and start <= end');
  }
  if (!Array.isArray(raw.layers) || raw.layers.length === 0) fail(file, 'layers', 'must be a non-empty list');
  const seen = new Set<string>();
  raw.layers.forEach((l: unknown, i: number) => {
    if (!isObj(l) || typeof l.name !== 'string' || l.name === '') fail(file, `layers[${i}].name`, 'is missing');
    if (seen.has(l.name as string)) fail(file, `layers[${i}].name`, `"${l.name}" appears twice (a corrupt sweep)`);
    seen.add(l.name as string);
    if (/[\\/]|^\.\.?$/.test(l.name as string)) fail(file, `layers[${i}].name`, `"${l.name}" is not a plain name`);
    if (!isInt(l.channels, 1)) fail(file, `layers[${i}].channels`, 'must be a positive integer');
    if (typeof l.spatial !== 'boolean') fail(file, `layers[${i}].spatial`, 'must be true or false');
    if (!Array.isArray(l.shape) || !l.shape.every((d) => isInt(d, 1))) fail(file, `layers[${i}].shape`, 'must be a list of positive integers');
  });
  return raw as unknown as SweepManifest;
}

export function validateSweepItems(file: string, raw: unknown): SweepItem[] {
  if (!Array.isArray(raw)) fail(file, 'the file', 'must be a list of {row, id}');
  raw.forEach((it: unknown, i: number) => {
    if (!isObj(it) || it.row !== i) fail(file, `[${i}].row`, `must be ${i}`);
    if (typeof it.id !== 'string' || it.id === '') fail(file, `[${i}].id`, 'must be a non-empty string');
  });
  return raw as SweepItem[];
}

export function validateSkipped(file: string, raw: unknown): SkippedItem[] {
  if (!Array.isArray(raw)) fail(file, 'the file', 'must be a list of {id, path, reason}');
  raw.forEach((it: unknown, i: number) => {
    if (!isObj(it) || typeof it.id !== 'string') fail(file, `[${i}].id`, 'must be a string');
  });
  return raw as SkippedItem[];
}
