/**
 * Per-layer face verification (paper Table II): cosine similarity of flattened layer features
 * on the pairs of a protocol (LFW pairs.txt, any fold count), k-fold accuracy with the threshold
 * chosen on the other folds, ROC AUC and TAR at FAR = 1e-3.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { SkippedItem } from '../data/dataset.js';
import type { RgbImage } from '../data/image.js';
import { writeSummary } from '../results/summary.js';
import { selectProbes } from '../models/face-model.js';
import { UserError } from '../core/errors.js';
import { layerFeatures } from './features.js';
import { collectFaces, type ProbeRunOptions } from './probes/shared.js';
import { lineChart, writeChart } from '../figures/plot.js';
import { pairCosine } from './metrics/cosine.js';
import { bestThreshold, kFoldVerification, rocAuc, rocCurve, tarAtFar, VERIFICATION_RULES, type RocCurve } from './metrics/verification.js';
import { writeFileAtomic } from '../io/atomic.js';

export interface VerifyOptions extends ProbeRunOptions {
  flip?: boolean;
}

export interface VerifyLayerResult {
  layer: string;
  dims: number;
  accuracy_mean: number;
  accuracy_std: number;
  fold_accuracies: number[];
  /** Threshold chosen for each fold (on the other folds); null = accept all / reject all (+-Infinity). */
  fold_thresholds: (number | null)[];
  /** Threshold with the best accuracy on all pairs (what `explain` marks a pair against); null as above. */
  threshold: number | null;
  auc: number;
  'tar_at_far_1e-3': number;
  roc: { far: number[]; tar: number[] };
}

export interface VerifyResult {
  layers: VerifyLayerResult[];
  pairs: { used: number; dropped: number; folds: number };
  undetected: SkippedItem[];
  unreadable: SkippedItem[];
  seconds: { align: number; features: number; metrics: number; total: number };
  files: { summary: string; markdown: string; csv: string; roc: string };
}

const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** At most ~200 points per ROC curve in the JSON (the plot needs no more). */
function thinRoc(r: RocCurve): { far: number[]; tar: number[] } {
  const step = Math.max(1, Math.floor(r.far.length / 200));
  const far: number[] = [];
  const tar: number[] = [];
  for (let i = 0; i < r.far.length; i += step) {
    far.push(r.far[i]);
    tar.push(r.tar[i]);
  }
  far.push(r.far[r.far.length - 1]);
  tar.push(r.tar[r.tar.length - 1]);
  return { far, tar };
}

export async function verify(opts: VerifyOptions): Promise<VerifyResult> {
  const t0 = performance.now();
  const pairs = opts.dataset.pairs;
  if (!pairs || pairs.length === 0) throw new UserError(`${opts.dataset.root}: no verification pairs (need an LFW folder with pairs.txt or a pairs file)`);
  const layers = selectProbes(opts.model, opts.layers);
  const total = opts.dataset.items.length;
  // Images where no face is found are centre-cropped instead (LFW images are centred face
  // crops), so no pair is lost to a detector miss; the summary lists them.
  const { faces, undetected, unreadable } = await collectFaces(opts.dataset.items, opts.model.alignment, {
    detect: opts.detect,
    cache: opts.cache,
    cacheDir: opts.cacheDir,
    fallback: 'centre',
    onProgress: (done) => opts.onProgress?.({ stage: 'align', done, total }),
  });
  const faceOf = new Map<string, RgbImage>(faces.map((f) => [f.item.id, f.face]));
  const ids = [...faceOf.keys()].sort();
  const rowOf = new Map(ids.map((id, i) => [id, i]));
  const usable = pairs.filter((p) => rowOf.has(p.a) && rowOf.has(p.b));
  const tAlign = performance.now();

  const feats = await layerFeatures(opts.model, ids.map((id) => faceOf.get(id)!), layers, {
    flip: opts.flip,
    batch: opts.batch,
    onProgress: (n) => opts.onProgress?.({ stage: 'features', done: n, total: ids.length }),
  });
  const tFeat = performance.now();
  const left = usable.map((p) => rowOf.get(p.a)!);
  const right = usable.map((p) => rowOf.get(p.b)!);
  const labels = usable.map((p) => p.same);
  const folds = usable.map((p) => p.fold);
  const results: VerifyLayerResult[] = layers.map((l) => {
    const f = feats.get(l.name)!;
    const scores = pairCosine(f, left, right);
    const kf = kFoldVerification(scores, labels, folds);
    return {
      layer: l.name,
      dims: f.cols,
      accuracy_mean: kf.accuracy_mean,
      accuracy_std: kf.accuracy_std,
      fold_accuracies: kf.foldAccuracies,
      fold_thresholds: kf.thresholds.map(finiteOrNull),
      threshold: finiteOrNull(bestThreshold(scores, labels).threshold),
      auc: rocAuc(scores, labels),
      'tar_at_far_1e-3': tarAtFar(scores, labels, 1e-3).tar,
      roc: thinRoc(rocCurve(scores, labels)),
    };
  });
  const tEnd = performance.now();
  await mkdir(opts.out, { recursive: true });
  const files = {
    summary: path.join(opts.out, 'summary.json'),
    markdown: path.join(opts.out, 'table.md'),
    csv: path.join(opts.out, 'table.csv'),
    roc: path.join(opts.out, 'roc.png'),
  };
  const seconds = {
    align: (tAlign - t0) / 1000,
    features: (tFeat - tAlign) / 1000,
    metrics: (tEnd - tFeat) / 1000,
    total: (tEnd - t0) / 1000,
  };
  const foldCount = new Set(folds).size;
  const result: VerifyResult = {
    layers: results,
    pairs: { used: usable.length, dropped: pairs.length - usable.length, folds: foldCount },
    undetected,
    unreadable,
    seconds,
    files,
  };
  await writeSummary(files.summary, {
    command: 'verify',
    date: new Date().toISOString(),
    parameters: {
      model: opts.model.name,
      dataset: { kind: opts.dataset.kind, root: opts.dataset.root, images: total, pairs: pairs.length, folds: foldCount },
      layers: layers.map((l) => l.name),
      similarity: 'cosine of the flattened layer features (C x H x W order)',
      flip: opts.flip
        ? "features of the image and of its horizontal mirror, concatenated (insightface's evaluator adds the flipped embedding)"
        : false,
      alignment: opts.detect === false ? 'none (centre crop)' : opts.model.alignment,
      undetectedFaces: 'centre crop of the image (LFW images are centred face crops)',
      protocol: `${foldCount}-fold: threshold chosen on the other folds, accuracy on the held-out fold; mean +- sample std over folds`,
      rules: VERIFICATION_RULES,
    },
    ...result,
  });
  const pct = (x: number) => (100 * x).toFixed(2);
  const md = [
    `| layer | dims | accuracy (%) | AUC | TAR@FAR=1e-3 |`,
    `|---|---:|---:|---:|---:|`,
    ...results.map((r) => `| ${r.layer} | ${r.dims} | ${pct(r.accuracy_mean)} ± ${pct(r.accuracy_std)} | ${r.auc.toFixed(4)} | ${r['tar_at_far_1e-3'].toFixed(4)} |`),
  ].join('\n');
  await writeFileAtomic(files.markdown, md + '\n');
  await writeFileAtomic(
    files.csv,
    ['layer,dims,accuracy_mean,accuracy_std,auc,tar_at_far_1e-3', ...results.map((r) => [r.layer, r.dims, r.accuracy_mean, r.accuracy_std, r.auc, r['tar_at_far_1e-3']].join(','))].join('\n') + '\n',
  );
  // ROC per layer, FAR on a log axis (points with FAR = 0 cannot be drawn there).
  const rocRows = results.flatMap((r) =>
    r.roc.far.flatMap((far, i) => (far > 0 ? [{ far, tar: r.roc.tar[i], layer: r.layer }] : [])),
  );
  await writeChart(
    lineChart({
      title: `${opts.model.name}: verification ROC per layer (${usable.length} pairs)`,
      rows: rocRows,
      x: { field: 'far', title: 'false accept rate', scale: 'log' },
      y: { field: 'tar', title: 'true accept rate', domain: [0, 1] },
      series: { field: 'layer', title: 'layer', sort: layers.map((l) => l.name) },
      points: false,
    }),
    files.roc.replace(/\.png$/, ''),
  );
  return result;
}
