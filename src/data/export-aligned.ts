/** `facelens align`: writes every aligned crop as PNG (mirroring the dataset's ids) + a summary. */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeSummary } from '../results/summary.js';
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
    const file = f.item.id.replace(/\.[^./]+$/, '') + '.png';
    const target = path.join(opts.out, file);
    await mkdir(path.dirname(target), { recursive: true });
    await writePng(target, f.face);
    faces.push({ id: f.item.id, file, landmarks: f.landmarks, score: f.score });
    opts.onProgress?.(1);
  }
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
