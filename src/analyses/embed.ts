/**
 * Feature extraction for one probe layer: aligned faces -> flattened layer features, streamed
 * to `features.npy` [n x d] (float32) with `items.json` (ids, in row order) and `summary.json`.
 */
import type { OnProgress } from '../core/progress.js';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Dataset, SkippedItem } from '../data/dataset.js';
import { alignedFaces } from '../data/faces.js';
import { runBatches, sliceImage, DEFAULT_BATCH } from '../engine/ort/batch-runner.js';
import { OrtEngine } from '../engine/ort/engine.js';
import { NpyAppender } from '../io/npy.js';
import { writeJsonAtomic } from '../io/json.js';
import { writeSummary } from '../results/summary.js';
import { assertSomethingUsable } from '../core/validate.js';
import { findProbe, type FaceModel } from '../models/face-model.js';
import { datasetFingerprint, shardRange } from '../cluster/shard.js';

export interface EmbedOptions {
  model: FaceModel;
  dataset: Dataset;
  layer: string;
  out: string;
  batch?: number;
  detect?: boolean;
  cache?: boolean;
  cacheDir?: string;
  /** Only the index-th of count contiguous parts of the dataset (join them with `facelens merge`). */
  shard?: { index: number; count: number };
  onProgress?: OnProgress;
}

export interface EmbedResult {
  model: string;
  layer: string;
  dims: number[];
  featureLength: number;
  count: number;
  skipped: SkippedItem[];
  files: { features: string; items: string; summary: string };
  seconds: number;
  imagesPerSecond: number;
}

/** What `summary.json` of an embed run holds (written below, read back by `facelens merge`). */
export interface EmbedSummary extends Omit<EmbedResult, 'files' | 'imagesPerSecond'> {
  command: 'embed';
  date: string;
  dataset: { kind: string; root: string; items: number; fingerprint?: string };
  shard?: { index: number; count: number; start: number; end: number };
  parameters: Record<string, unknown>;
  files?: EmbedResult['files'];
  imagesPerSecond?: number;
}

export async function embed(opts: EmbedOptions): Promise<EmbedResult> {
  const t0 = performance.now();
  const probe = findProbe(opts.model, opts.layer);
  const d = probe.shape.reduce((a, b) => a * b, 1);
  await mkdir(opts.out, { recursive: true });
  const files = {
    features: path.join(opts.out, 'features.npy'),
    items: path.join(opts.out, 'items.json'),
    summary: path.join(opts.out, 'summary.json'),
  };
  const all = opts.dataset.items;
  const shard = opts.shard ?? { index: 0, count: 1 };
  const range = shardRange(all.length, shard.index, shard.count);
  const items = all.slice(range.start, range.end);
  const engine = await OrtEngine.create(opts.model);
  // Features go to a temporary name, renamed when complete: a rerun (a retried shard) replaces
  // the folder's files whole, and a reader never sees a half-written features.npy.
  const partial = `${files.features}.partial-${process.pid}`;
  // Leftovers of a killed earlier run of this shard.
  for (const f of await readdir(opts.out)) if (f.startsWith('features.npy.partial-')) await rm(path.join(opts.out, f), { force: true });
  const writer = await NpyAppender.create(partial, 'float32', [d]);
  const ids: { id: string; identity?: string; label?: string }[] = [];
  const skipped: SkippedItem[] = [];
  const total = items.length;
  const faces = alignedFaces(items, opts.model.alignment, {
    detect: opts.detect ?? true,
    cache: opts.cache ?? true,
    cacheDir: opts.cacheDir,
    onSkip: (s) => {
      skipped.push(s);
      opts.onProgress?.({ stage: 'embed', done: ids.length + skipped.length, total });
    },
  });
  try {
    await runBatches(engine, faces, [probe.name], opts.batch ?? DEFAULT_BATCH, async (records, out) => {
      const t = out[probe.name];
      for (let i = 0; i < records.length; i++) {
        await writer.append(sliceImage(t, i));
        const { id, identity, label } = records[i].item;
        ids.push({ id, identity, label });
      }
      opts.onProgress?.({ stage: 'embed', done: ids.length + skipped.length, total });
    });
  } catch (e) {
    // The file stays under its partial name (removed by the next run); the first error is the one reported.
    await writer.close().catch(() => undefined);
    await engine.release().catch(() => undefined);
    throw e;
  }
  await writer.close();
  await engine.release();
  if (ids.length === 0) await rm(partial, { force: true });
  assertSomethingUsable(total, ids.length, skipped);
  await rm(files.summary, { force: true });
  await rename(partial, files.features);
  const seconds = (performance.now() - t0) / 1000;
  const result: EmbedResult = {
    model: opts.model.name,
    layer: probe.name,
    dims: probe.shape,
    featureLength: d,
    count: ids.length,
    skipped,
    files,
    seconds,
    imagesPerSecond: ids.length / seconds,
  };
  await writeJsonAtomic(files.items, ids);
  const summary: EmbedSummary = {
    command: 'embed',
    date: new Date().toISOString(),
    dataset: { kind: opts.dataset.kind, root: opts.dataset.root, items: all.length, fingerprint: datasetFingerprint(all.map((it) => it.id)) },
    ...(opts.shard ? { shard: { index: shard.index, count: shard.count, ...range } } : {}),
    parameters: {
      model: opts.model.name,
      layer: probe.name,
      preprocessing: opts.model.preprocessing,
      alignment: opts.detect === false ? 'none (centre crop)' : opts.model.alignment,
      batch: opts.batch ?? DEFAULT_BATCH,
    },
    ...result,
  };
  await writeSummary(files.summary, summary);
  return result;
}
