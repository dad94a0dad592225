/**
 * Feature extraction for one probe layer: aligned faces -> flattened layer features, streamed
 * to `features.npy` [n x d] (float32) with `items.json` (ids, in row order) and `summary.json`.
 */
import type { OnProgress } from '../core/progress.js';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Dataset, SkippedItem } from '../data/dataset.js';
import { alignedFaces } from '../data/faces.js';
import { runBatches, sliceImage, DEFAULT_BATCH } from '../engine/batch-runner.js';
import { OrtEngine } from '../engine/ort-engine.js';
import { NpyAppender } from '../io/npy.js';
import { writeJsonAtomic } from '../io/json.js';
import { writeSummary } from '../results/summary.js';
import { findProbe, type FaceModel } from '../models/face-model.js';

export interface EmbedOptions {
  model: FaceModel;
  dataset: Dataset;
  layer: string;
  out: string;
  batch?: number;
  detect?: boolean;
  cache?: boolean;
  cacheDir?: string;
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
  const engine = await OrtEngine.create(opts.model);
  const writer = await NpyAppender.create(files.features, 'float32', [d]);
  const ids: { id: string; identity?: string; label?: string }[] = [];
  const skipped: SkippedItem[] = [];
  const total = opts.dataset.items.length;
  const faces = alignedFaces(opts.dataset.items, opts.model.alignment, {
    detect: opts.detect ?? true,
    cache: opts.cache ?? true,
    cacheDir: opts.cacheDir,
    onSkip: (s) => {
      skipped.push(s);
      opts.onProgress?.({ stage: 'embed', done: ids.length + skipped.length, total });
    },
  });
  await runBatches(engine, faces, [probe.name], opts.batch ?? DEFAULT_BATCH, async (records, out) => {
    const t = out[probe.name];
    for (let i = 0; i < records.length; i++) {
      await writer.append(sliceImage(t, i));
      const { id, identity, label } = records[i].item;
      ids.push({ id, identity, label });
    }
    opts.onProgress?.({ stage: 'embed', done: ids.length + skipped.length, total });
  });
  await writer.close();
  await engine.release();
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
  await writeSummary(files.summary, {
    command: 'embed',
    date: new Date().toISOString(),
    dataset: { kind: opts.dataset.kind, root: opts.dataset.root, items: total },
    parameters: {
      model: opts.model.name,
      layer: probe.name,
      preprocessing: opts.model.preprocessing,
      alignment: opts.detect === false ? 'none (centre crop)' : opts.model.alignment,
      batch: opts.batch ?? DEFAULT_BATCH,
    },
    ...result,
  });
  return result;
}
