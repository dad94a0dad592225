/**
 * Pieces shared by the layer probes (invariance, correspondence, pose): getting aligned faces with
 * a stated fallback for detector misses, selecting dataset items, a cosine distance that is exactly
 * 0 for identical vectors, number-range parsing, and the JSON / Markdown / CSV writers.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { OnProgress } from '../../core/progress.js';
import { summaryHead, writeSummary } from '../../results/summary.js';
import { UserError } from '../../core/errors.js';
import type { Dataset, DatasetItem, SkippedItem } from '../../data/dataset.js';
import type { Point } from '../../data/detector.js';
import { alignedFaces, loadAlignedBatch } from '../../data/faces.js';
import type { RgbImage } from '../../data/image.js';
import type { AlignmentTemplate, FaceModel } from '../../models/face-model.js';
import { checkMatrix, type FeatureMatrix } from '../metrics/matrix.js';

/** One face a probe works on. */
export interface ProbeFace {
  item: DatasetItem;
  /** template.size x template.size crop. */
  face: RgbImage;
  /** 68 landmarks in crop coordinates; absent for centre crops. */
  landmarks?: Point[];
  /** How the crop was made. */
  crop: 'aligned' | 'centre (no face detected)' | 'centre (--no-detect)';
}

export interface FaceCollection {
  /** In input order. */
  faces: ProbeFace[];
  /** Items where the detector found no face (centre-cropped with fallback 'centre', else left out). */
  undetected: SkippedItem[];
  /** Items that could not be read or decoded (always left out). */
  unreadable: SkippedItem[];
}

/** What every per-layer probe run (verify, invariance, pose, correspondence) is given. */
export type { RunOptions as ProbeRunOptions } from '../run-options.js';

export interface CollectOptions {
  detect?: boolean;
  cache?: boolean;
  cacheDir?: string;
  /** What to do with items where no face is detected: centre crop them (default) or leave them out. */
  fallback?: 'centre' | 'skip';
  onProgress?: (done: number, total: number) => void;
}

/**
 * Detects + aligns every item (through the aligned-face cache); items with no detected face are
 * centre-cropped (fallback 'centre', as verify does) or left out (fallback 'skip').
 */
export async function collectFaces(items: DatasetItem[], template: AlignmentTemplate, opts: CollectOptions = {}): Promise<FaceCollection> {
  const detect = opts.detect ?? true;
  const total = items.length;
  let done = 0;
  const tick = () => opts.onProgress?.(++done, total);
  const got = new Map<string, ProbeFace>();
  const skipped: SkippedItem[] = [];
  const stream = alignedFaces(items, template, {
    detect,
    cache: opts.cache,
    cacheDir: opts.cacheDir,
    onSkip: (s) => {
      skipped.push(s);
      tick();
    },
  });
  for await (const f of stream) {
    got.set(f.item.id, {
      item: f.item,
      face: f.face,
      ...(f.landmarks ? { landmarks: f.landmarks } : {}),
      crop: detect ? 'aligned' : 'centre (--no-detect)',
    });
    tick();
  }
  const undetected = skipped.filter((s) => s.reason.startsWith('no face'));
  const unreadable = skipped.filter((s) => !s.reason.startsWith('no face'));
  if ((opts.fallback ?? 'centre') === 'centre' && undetected.length > 0) {
    const missed = new Set(undetected.map((u) => u.id));
    const retry = await loadAlignedBatch(items.filter((it) => missed.has(it.id)), template, { detect: false, cache: false });
    unreadable.push(...retry.skipped);
    for (const f of retry.faces) got.set(f.item.id, { item: f.item, face: f.face, crop: 'centre (no face detected)' });
  }
  const faces = items.flatMap((it) => {
    const f = got.get(it.id);
    return f ? [f] : [];
  });
  return { faces, undetected, unreadable };
}

// ---------------------------------------------------------------------------------------------
// Selecting items

/**
 * Parses an identity list like `001-010`, `001,003,007-009` or `Alice,Bob`. A token `a-b` whose
 * two sides are both all digits is an inclusive numeric range (matched against identities that
 * are all digits, by value, so `1-10` and `001-010` are the same); any other token is matched
 * literally.
 */
export function parseIdentities(spec: string): (identity: string) => boolean {
  const literal = new Set<string>();
  const ranges: [number, number][] = [];
  for (const raw of spec.split(',')) {
    const t = raw.trim();
    if (t === '') continue;
    const m = /^(\d+)-(\d+)$/.exec(t);
    if (m) {
      const a = Number(m[1]);
      const b = Number(m[2]);
      if (a > b) throw new UserError(`--identities: empty range ${t}`);
      ranges.push([a, b]);
    } else literal.add(t);
  }
  if (literal.size === 0 && ranges.length === 0) throw new UserError(`--identities: nothing in "${spec}"`);
  return (id: string) => literal.has(id) || (/^\d+$/.test(id) && ranges.some(([a, b]) => Number(id) >= a && Number(id) <= b));
}

export interface SelectOptions {
  /** Identity list (see parseIdentities). */
  identities?: string;
  /** Keep only items with this label (e.g. `frontal`). */
  label?: string;
  /** Keep at most this many items per identity (in id order). */
  perIdentity?: number;
  /** Keep at most this many items overall (in id order). */
  limit?: number;
}

/** Filters dataset items; errors when nothing is left. Items keep their (sorted) order. */
export function selectItems(items: DatasetItem[], opts: SelectOptions): DatasetItem[] {
  let out = items;
  if (opts.identities !== undefined) {
    const keep = parseIdentities(opts.identities);
    const present = [...new Set(out.flatMap((it) => (it.identity === undefined ? [] : [it.identity])))];
    if (present.length === 0) throw new UserError('--identities: the dataset has no identities (a folder of <identity>/ sub-folders, a CFP folder or a CSV with an identity column has)');
    // Tokens that select nothing are a typo more often than not: say so (once per token).
    const missing = opts.identities
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t !== '' && !present.some((id) => parseIdentities(t)(id)));
    if (missing.length > 0) {
      process.stderr.write(`facelens: warning: --identities: ${missing.slice(0, 5).map((t) => JSON.stringify(t)).join(', ')} match no identity of the dataset (it has ${present.length}: ${present.slice(0, 3).join(', ')}${present.length > 3 ? ', ...' : ''})\n`);
    }
    out = out.filter((it) => it.identity !== undefined && keep(it.identity));
  }
  if (opts.label !== undefined) out = out.filter((it) => it.label === opts.label);
  if (opts.perIdentity !== undefined) {
    const seen = new Map<string, number>();
    out = out.filter((it) => {
      const key = it.identity ?? it.id;
      const c = seen.get(key) ?? 0;
      seen.set(key, c + 1);
      return c < opts.perIdentity!;
    });
  }
  if (opts.limit !== undefined) out = out.slice(0, opts.limit);
  if (out.length === 0) {
    const what = Object.entries(opts).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`).join(', ');
    throw new UserError(`no images left after selection (${what || 'none'})`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Numbers

// The probes' cosine distance lives with the others in metrics/cosine.ts.
export { rowCosineDistance } from '../metrics/cosine.js';

/** Rows `rows` of `m`, copied into a new matrix (in that order). */
export function takeRows(m: FeatureMatrix, rows: readonly number[]): FeatureMatrix {
  checkMatrix(m);
  const out = new Float32Array(rows.length * m.cols);
  rows.forEach((r, i) => {
    if (!(r >= 0 && r < m.rows)) throw new RangeError(`row ${r} out of range (${m.rows} rows)`);
    out.set(m.data.subarray(r * m.cols, (r + 1) * m.cols), i * m.cols);
  });
  return { data: out, rows: rows.length, cols: m.cols };
}

/**
 * Values start, start + step, ..., up to stop inclusive (within step/1e6), each rounded to 10
 * significant digits so 0.1 steps print as 0.7, not 0.7000000000000001.
 */
export function rangeValues(start: number, stop: number, step: number): number[] {
  if (![start, stop, step].every(Number.isFinite) || step <= 0 || stop < start) {
    throw new RangeError(`bad range ${start}:${stop}:${step} (need start <= stop, step > 0)`);
  }
  const n = Math.floor((stop - start) / step + 1e-6);
  if (n > 10_000) throw new RangeError(`range ${start}:${stop}:${step} has more than 10,000 values`);
  return Array.from({ length: n + 1 }, (_, i) => Number((start + i * step).toPrecision(10)));
}

/** Parses `start:stop:step` (a range) or `v1,v2,...` (a list) into numbers. */
export function parseValues(spec: string, what: string): number[] {
  const s = spec.trim();
  try {
    if (s.includes(':')) {
      const parts = s.split(':').map((p) => Number(p.trim()));
      if (parts.length !== 3 || parts.some((p) => !Number.isFinite(p))) throw new RangeError('expected start:stop:step');
      return rangeValues(parts[0]!, parts[1]!, parts[2]!);
    }
    const vals = s.split(',').map((p) => p.trim()).filter(Boolean).map(Number);
    if (vals.length === 0 || vals.some((v) => !Number.isFinite(v))) throw new RangeError('expected numbers');
    return vals;
  } catch (e) {
    throw new UserError(`${what}: cannot read "${spec}" (${e instanceof Error ? e.message : String(e)}; use start:stop:step or a,b,c)`);
  }
}

/**
 * Writes a probe's summary.json: command, date, every parameter, the result; non-finite numbers
 * become null and are listed under `nonFiniteReplacedByNull` (the one policy of ../../results/summary.ts).
 */
export async function writeProbeSummary(file: string, command: string, parameters: unknown, result: object): Promise<void> {
  await writeSummary(file, { ...summaryHead(command, parameters), ...result }, { alwaysListNonFinite: true });
}

// ---------------------------------------------------------------------------------------------
// Tables

export function markdownTable(header: string[], rows: string[][], align?: ('l' | 'r')[]): string {
  const a = align ?? header.map((_, i) => (i === 0 ? 'l' : 'r'));
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [
    `| ${header.map(esc).join(' | ')} |`,
    `|${a.map((x) => (x === 'r' ? '---:' : '---')).join('|')}|`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

/** One CSV line (RFC 4180 quoting where needed); numbers are written in full precision. */
export function csvLine(cells: (string | number | boolean | null | undefined)[]): string {
  return cells
    .map((c) => {
      if (c === null || c === undefined) return '';
      const s = typeof c === 'number' ? (Number.isFinite(c) ? String(c) : '') : String(c);
      return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
    })
    .join(',');
}

export function csvText(header: string[], rows: (string | number | boolean | null | undefined)[][]): string {
  return [csvLine(header), ...rows.map(csvLine)].join('\n') + '\n';
}

/** `mean ± std` with a fixed number of decimals; '—' when undefined. */
export function pm(mean: number, std: number, digits = 3): string {
  if (!Number.isFinite(mean)) return '—';
  return `${mean.toFixed(digits)} ± ${Number.isFinite(std) ? std.toFixed(digits) : '—'}`;
}

/** Wall-clock stage timer: `lap('align')` records seconds since the previous lap. */
export function stageTimer(): { lap: (name: string) => void; seconds: () => Record<string, number> } {
  const t0 = performance.now();
  let last = t0;
  const out: Record<string, number> = {};
  return {
    lap(name) {
      const now = performance.now();
      out[name] = (out[name] ?? 0) + (now - last) / 1000;
      last = now;
    },
    seconds: () => ({ ...out, total: (performance.now() - t0) / 1000 }),
  };
}

/**
 * What a probe's compute step returns for its writer (compute apart from writing, as
 * computePose / writePoseOutputs): the result without its files and times, every parameter of the
 * run (summary.json's `parameters`) and the stage timer (align, features, metrics so far; the
 * writer adds its own).
 */
/** Creates a probe's output folder and names the files every probe writes there. */
export async function probeOutputFiles(out: string): Promise<{ summary: string; markdown: string; csv: string }> {
  await mkdir(out, { recursive: true });
  return { summary: path.join(out, 'summary.json'), markdown: path.join(out, 'table.md'), csv: path.join(out, 'table.csv') };
}

export interface ProbeComputed<R> {
  result: Omit<R, 'files' | 'seconds'>;
  parameters: Record<string, unknown>;
  timer: ReturnType<typeof stageTimer>;
}
