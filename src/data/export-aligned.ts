/** `facelens align`: writes every aligned crop as PNG (mirroring the dataset's ids) + a summary. */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeSummary } from '../results/summary.js';
import { assertSomethingUsable } from '../core/validate.js';
import { outputPathInside, realPathSet, realpathLoose, uniqueOutputNames } from '../io/safe-output.js';
import type { AlignmentTemplate } from '../models/face-model.js';
import type { Dataset, SkippedItem } from './dataset.js';
import { alignedFaces } from './faces.js';
import { writePng } from './image-io.js';
import { datasetFingerprint, shardRange } from '../cluster/shard.js';

export interface ExportAlignedOptions {
  dataset: Dataset;
  template: AlignmentTemplate;
  out: string;
  detect?: boolean;
  cache?: boolean;
  cacheDir?: string;
  /** Only the index-th of count contiguous parts of the dataset (join them with `facelens merge`). */
  shard?: { index: number; count: number };
  /** Called with the number of items finished since the last call. */
  onProgress?: (n: number) => void;
}

export interface ExportAlignedResult {
  aligned: number;
  skipped: SkippedItem[];
  summaryPath: string;
}

export async function exportAligned(opts: ExportAlignedOptions): Promise<ExportAlignedResult> {
  const skipped: SkippedItem[] = [];
  // One rule for outputs: every crop lies inside `out` whatever its id looks like (CSV lists may
  // hold `../` or absolute paths), one file per input (x.jpg and x.png do not share x.png), and
  // no crop ever replaces an input image.
  const outReal = await realpathLoose(opts.out);
  const inputs = await realPathSet(opts.dataset.items.map((it) => it.path));
  const names = uniqueOutputNames(
    opts.dataset.items.map((it) => it.id),
    '.png',
    (rel) => inputs.has(path.join(outReal, rel)),
  );
  const nameOf = new Map(opts.dataset.items.map((it, i) => [it.id, names[i]!]));
  const faces: { id: string; file: string; landmarks?: [number, number][]; score?: number }[] = [];
  const all = opts.dataset.items;
  const shard = opts.shard ?? { index: 0, count: 1 };
  const range = shardRange(all.length, shard.index, shard.count);
  const summaryPath = path.join(opts.out, 'summary.json');
  // A rerun (a retried shard) drops the old summary first: no summary, no finished output.
  await rm(summaryPath, { force: true });
  const stream = alignedFaces(all.slice(range.start, range.end), opts.template, {
    detect: opts.detect ?? true,
    cache: opts.cache ?? true,
    cacheDir: opts.cacheDir,
    onSkip: (s) => {
      skipped.push(s);
      opts.onProgress?.(1);
    },
  });
  for await (const f of stream) {
    const file = nameOf.get(f.item.id)!;
    await writePng(await outputPathInside(opts.out, file), f.face);
    faces.push({ id: f.item.id, file, landmarks: f.landmarks, score: f.score });
    opts.onProgress?.(1);
  }
  assertSomethingUsable(range.end - range.start, faces.length, skipped);
  await writeSummary(summaryPath, {
    command: 'align',
    date: new Date().toISOString(),
    dataset: { kind: opts.dataset.kind, root: opts.dataset.root, items: all.length, fingerprint: datasetFingerprint(all.map((it) => it.id)) },
    ...(opts.shard ? { shard: { index: shard.index, count: shard.count, ...range } } : {}),
    template: opts.detect === false ? 'none (centre crop)' : opts.template,
    aligned: faces.length,
    skipped,
    faces,
  });
  return { aligned: faces.length, skipped, summaryPath };
}
