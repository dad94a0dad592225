/**
 * The CPLFW / CALFW pair-list format: consecutive lines `path label`, two lines per pair, both
 * lines of a pair carrying the pair's label (1 = same identity, 0 = different). The files list
 * 6,000 pairs in 10 folds of 600 consecutive pairs; facelens splits any pair count into 10
 * contiguous folds of equal size (fewer folds when there are fewer than 20 pairs).
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { UserError } from '../../core/errors.js';
import type { Dataset, DatasetItem, Pair } from '../dataset.js';
import { isImageFile } from '../image-io.js';

export interface PairListLine {
  path: string;
  label: 0 | 1;
  line: number;
}

/** True when the first non-empty line looks like `<image path> <0|1>`. */
export function looksLikePairList(text: string): boolean {
  const first = text.split(/\r?\n/).find((l) => l.trim() !== '');
  if (!first) return false;
  const f = first.trim().split(/\s+/);
  return f.length === 2 && (f[1] === '0' || f[1] === '1') && isImageFile(f[0]);
}

export function parsePairList(text: string, file: string): { pairs: { a: PairListLine; b: PairListLine }[] } {
  const entries: PairListLine[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const l = raw.trim();
    if (l === '') return;
    const f = l.split(/\s+/);
    if (f.length !== 2) throw new UserError(`${file}:${i + 1}: expected "path label", got ${f.length} fields`);
    if (f[1] !== '0' && f[1] !== '1') throw new UserError(`${file}:${i + 1}: label must be 0 or 1, got "${f[1]}"`);
    entries.push({ path: f[0], label: f[1] === '1' ? 1 : 0, line: i + 1 });
  });
  if (entries.length === 0) throw new UserError(`${file}: no pairs`);
  if (entries.length % 2 !== 0) throw new UserError(`${file}:${entries[entries.length - 1].line}: odd number of lines; pairs need two lines each`);
  const pairs = [];
  for (let k = 0; k < entries.length; k += 2) {
    const [a, b] = [entries[k], entries[k + 1]];
    if (a.label !== b.label) throw new UserError(`${file}:${b.line}: the two lines of a pair have different labels (${a.label} at line ${a.line}, ${b.label} here)`);
    pairs.push({ a, b });
  }
  return { pairs };
}

/** Reads a pair list; relative image paths resolve against `imagesDir` (default: the file's folder). */
export async function readPairList(file: string, imagesDir?: string): Promise<Dataset> {
  const path = resolve(file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read pairs file ${path}: ${(e as Error).message}`);
  }
  const { pairs } = parsePairList(text, path);
  const root = resolve(imagesDir ?? dirname(path));
  const folds = pairs.length >= 20 ? 10 : Math.max(2, Math.floor(pairs.length / 2));
  const items = new Map<string, DatasetItem>();
  const idOf = (l: PairListLine) => {
    const id = l.path.replace(/\\/g, '/');
    if (!items.has(id)) items.set(id, { id, path: isAbsolute(l.path) ? l.path : join(root, l.path) });
    return id;
  };
  const out: Pair[] = pairs.map((p, k) => ({ a: idOf(p.a), b: idOf(p.b), same: p.a.label === 1, fold: Math.floor((k * folds) / pairs.length) }));
  const sorted = [...items.values()].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  return { kind: 'pairlist', root, items: sorted, pairs: out, folds };
}
