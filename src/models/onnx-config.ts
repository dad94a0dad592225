/**
 * The JSON description of a user ONNX model (`--model-config FILE.json`, or the sidecar
 * `<model>.facelens.json` next to `<model>.onnx`):
 *   {
 *     "name": "arcface-r50",                       // default: the file name
 *     "description": "...",
 *     "input": "data",                             // default: the graph's only non-weight input
 *     "inputSize": 112,                            // or [width, height]; default: from the graph
 *     "preprocessing": { "mean": [127.5, 127.5, 127.5], "std": 127.5, "channelOrder": "RGB" },
 *     "alignment": "dlib5-chip150",                // a template name (scaled to the input), or
 *                                                  // { "size": 112, "points": [[x, y], ...], "landmarks": [...] }
 *     "probes": { "stage4": "onnx::Add_512", "embedding": "fc1" }   // or [{ "name", "tensor", "kind"?, "note"? }]
 *   }
 * Every field is optional; without probes, automatic discovery picks them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import type { AlignmentTemplate, ProbeKind } from './face-model.js';

export interface ConfigProbe {
  name: string;
  tensor: string;
  kind?: ProbeKind;
  note?: string;
}

export interface OnnxModelConfig {
  name?: string;
  description?: string;
  input?: string;
  inputSize?: { width: number; height: number };
  preprocessing?: { mean?: [number, number, number]; std?: [number, number, number]; channelOrder?: 'RGB' | 'BGR' };
  alignment?: string | AlignmentTemplate;
  probes?: ConfigProbe[];
}

const KINDS: ProbeKind[] = ['conv', 'pool', 'fc', 'embedding'];

/** `<dir>/<stem>.facelens.json` or `<model>.facelens.json`, when one exists. */
export function sidecarConfig(modelPath: string): string | undefined {
  const stem = modelPath.slice(0, modelPath.length - path.extname(modelPath).length);
  return [`${stem}.facelens.json`, `${modelPath}.facelens.json`].find((p) => fs.existsSync(p));
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function triple(label: string, field: string, v: unknown): [number, number, number] | undefined {
  if (v === undefined) return undefined;
  if (isNum(v)) return [v, v, v];
  if (Array.isArray(v) && v.length === 3 && v.every(isNum)) return v as [number, number, number];
  throw new UserError(`${label}: ${field} must be a number or [r, g, b], got ${JSON.stringify(v)}`);
}

function parseProbes(label: string, v: unknown): ConfigProbe[] | undefined {
  if (v === undefined) return undefined;
  const list: unknown[] = Array.isArray(v)
    ? v
    : typeof v === 'object' && v !== null
      ? Object.entries(v).map(([name, tensor]) => ({ name, tensor }))
      : [v];
  return list.map((p, i) => {
    const o = p as Partial<ConfigProbe>;
    if (typeof o !== 'object' || o === null || typeof o.name !== 'string' || typeof o.tensor !== 'string') {
      throw new UserError(`${label}: probes[${i}] must be {"name": ..., "tensor": ...}, got ${JSON.stringify(p)}`);
    }
    if (o.kind !== undefined && !KINDS.includes(o.kind)) throw new UserError(`${label}: probe ${o.name}: kind must be one of ${KINDS.join(', ')}`);
    return { name: o.name, tensor: o.tensor, ...(o.kind ? { kind: o.kind } : {}), ...(o.note ? { note: o.note } : {}) };
  });
}

function parseAlignment(label: string, v: unknown): string | AlignmentTemplate | undefined {
  if (v === undefined || typeof v === 'string') return v;
  const t = v as Partial<AlignmentTemplate>;
  if (
    typeof t !== 'object' || t === null || !isNum(t.size) || !Array.isArray(t.points) || t.points.length < 2 ||
    !t.points.every((q) => Array.isArray(q) && q.length === 2 && q.every(isNum))
  ) {
    throw new UserError(`${label}: alignment must be a template name or {"size", "points": [[x, y], ...]}`);
  }
  return { name: t.name ?? `${label}-template`, size: t.size, points: t.points, ...(t.landmarks ? { landmarks: t.landmarks } : {}), source: t.source ?? label };
}

export function parseOnnxConfig(label: string, raw: unknown): OnnxModelConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UserError(`${label}: expected a JSON object`);
  const o = raw as Record<string, unknown>;
  const known = ['name', 'description', 'input', 'inputSize', 'preprocessing', 'alignment', 'probes'];
  const unknown = Object.keys(o).filter((k) => !known.includes(k));
  if (unknown.length > 0) throw new UserError(`${label}: unknown field ${unknown[0]} (known: ${known.join(', ')})`);
  let inputSize: OnnxModelConfig['inputSize'];
  if (o.inputSize !== undefined) {
    const s = o.inputSize;
    if (isNum(s) && s > 0) inputSize = { width: s, height: s };
    else if (Array.isArray(s) && s.length === 2 && s.every((d) => isNum(d) && d > 0)) inputSize = { width: s[0], height: s[1] };
    else throw new UserError(`${label}: inputSize must be a number or [width, height], got ${JSON.stringify(s)}`);
  }
  let preprocessing: OnnxModelConfig['preprocessing'];
  if (o.preprocessing !== undefined) {
    const p = o.preprocessing as Record<string, unknown>;
    if (typeof p !== 'object' || p === null) throw new UserError(`${label}: preprocessing must be an object`);
    if (p.channelOrder !== undefined && p.channelOrder !== 'RGB' && p.channelOrder !== 'BGR') {
      throw new UserError(`${label}: preprocessing.channelOrder must be "RGB" or "BGR"`);
    }
    preprocessing = {
      mean: triple(label, 'preprocessing.mean', p.mean),
      std: triple(label, 'preprocessing.std', p.std),
      channelOrder: p.channelOrder as 'RGB' | 'BGR' | undefined,
    };
  }
  for (const k of ['name', 'description', 'input'] as const) {
    if (o[k] !== undefined && typeof o[k] !== 'string') throw new UserError(`${label}: ${k} must be a string`);
  }
  return {
    name: o.name as string | undefined,
    description: o.description as string | undefined,
    input: o.input as string | undefined,
    inputSize,
    preprocessing,
    alignment: parseAlignment(label, o.alignment),
    probes: parseProbes(label, o.probes),
  };
}

export function readOnnxConfig(file: string): OnnxModelConfig {
  const label = path.basename(file);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new UserError(`${label}: no such file (${file})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${label}: not valid JSON (${(e as Error).message})`);
  }
  return parseOnnxConfig(label, raw);
}
