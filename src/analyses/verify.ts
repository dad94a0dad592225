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
import { firstDifference } from '../cluster/shard-set.js';
import { layerFeatures } from './features.js';
import { collectFaces, type ProbeRunOptions } from './probes/shared.js';
import { datasetFingerprint, shardRange } from '../cluster/shard.js';
import { FEATURE_STORE_FORMAT, writeFeatureStore, type FeatureStore, type FeatureStoreManifest } from './feature-store.js';
import type { DatasetItem } from '../data/dataset.js';
import type { ProbeLayer } from '../models/face-model.js';
import type { FeatureMatrix } from './metrics/matrix.js';
import { lineChart, writeChart } from '../figures/plot.js';
import { pairCosine } from './metrics/cosine.js';
import { bestThreshold, kFoldVerification, rocAuc, rocCurve, tarAtFar, VERIFICATION_RULES, type RocCurve } from './metrics/verification.js';
import { writeFileAtomic } from '../io/atomic.js';

export interface VerifyOptions extends ProbeRunOptions {
  flip?: boolean;
  /** Features computed before (`verify --shard` + `facelens merge`): skips alignment and features. */
  features?: FeatureStore;
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
  if (!pairs || pairs.length === 0) throw new UserError(`${opts.dataset.root}: no verification pairs (need an LFW folder with pairs.txt, a pairs file, or a CFP folder with --protocol FP|FF)`);
  const layers = selectProbes(opts.model, opts.layers);
  const total = opts.dataset.items.length;
  const computed = opts.features ? fromStore(opts, layers) : await faceFeatures(opts, opts.dataset.items, layers);
  const { ids, feats, undetected, unreadable } = computed;
  const rowOf = new Map(ids.map((id, i) => [id, i]));
  const usable = pairs.filter((p) => rowOf.has(p.a) && rowOf.has(p.b));
  const usableFolds = new Set(usable.map((p) => p.fold)).size;
  if (usableFolds < 2) {
    const first = unreadable[0] ? `; e.g. ${unreadable[0].path ?? unreadable[0].id}: ${unreadable[0].reason}` : '';
    throw new UserError(
      `${opts.dataset.root}: only ${usable.length} of ${pairs.length} pairs have both images readable (${unreadable.length} of ${total} images missing or unreadable${first}), in ${usableFolds} fold(s); k-fold verification needs pairs in at least 2 folds`,
    );
  }
  const tAlign = t0 + computed.alignMs;
  const tFeat = tAlign + computed.featuresMs;
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
      dataset: { kind: opts.dataset.kind, root: opts.dataset.root, images: total, pairs: pairs.length, folds: foldCount, ...(opts.dataset.note ? { note: opts.dataset.note } : {}) },
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

interface ComputedFeatures {
  ids: string[];
  feats: Map<string, FeatureMatrix>;
  undetected: SkippedItem[];
  unreadable: SkippedItem[];
  alignMs: number;
  featuresMs: number;
}

/** Aligns `items` and computes the layers' features, rows in sorted-id order. */
async function faceFeatures(opts: VerifyOptions, items: DatasetItem[], layers: ProbeLayer[]): Promise<ComputedFeatures> {
  const t0 = performance.now();
  // Images where no face is found are centre-cropped instead (LFW images are centred face
  // crops), so no pair is lost to a detector miss; the summary lists them.
  const { faces, undetected, unreadable } = await collectFaces(items, opts.model.alignment, {
    detect: opts.detect,
    cache: opts.cache,
    cacheDir: opts.cacheDir,
    fallback: 'centre',
    onProgress: (done) => opts.onProgress?.({ stage: 'align', done, total: items.length }),
  });
  const faceOf = new Map<string, RgbImage>(faces.map((f) => [f.item.id, f.face]));
  const ids = [...faceOf.keys()].sort();
  const t1 = performance.now();
  const feats = await layerFeatures(opts.model, ids.map((id) => faceOf.get(id)!), layers, {
    flip: opts.flip,
    batch: opts.batch,
    onProgress: (n) => opts.onProgress?.({ stage: 'features', done: n, total: ids.length }),
  });
  return { ids, feats, undetected, unreadable, alignMs: t1 - t0, featuresMs: performance.now() - t1 };
}

function storeManifest(opts: VerifyOptions, layers: ProbeLayer[], feats: Map<string, FeatureMatrix>, shard: FeatureStoreManifest['shard']): FeatureStoreManifest {
  const all = opts.dataset.items;
  return {
    format: FEATURE_STORE_FORMAT,
    command: 'verify',
    model: { name: opts.model.name, ...(opts.model.spec ? { spec: opts.model.spec } : {}), alignment: opts.detect === false ? 'none (centre crop)' : opts.model.alignment },
    dataset: { kind: opts.dataset.kind, root: opts.dataset.root, items: all.length, fingerprint: datasetFingerprint(all.map((it) => it.id)) },
    parameters: { flip: Boolean(opts.flip), detect: opts.detect !== false, undetectedFaces: 'centre crop' },
    layers: layers.map((l) => ({ name: l.name, cols: feats.get(l.name)!.cols })),
    shard,
  };
}

/** The feature step of `verify` for one shard of the dataset's images, written to `opts.out` as a feature folder. */
export async function verifyFeatures(opts: VerifyOptions & { shard: { index: number; count: number } }): Promise<{ dir: string; rows: number; unreadable: number }> {
  const layers = selectProbes(opts.model, opts.layers);
  const all = opts.dataset.items;
  const range = shardRange(all.length, opts.shard.index, opts.shard.count);
  const c = await faceFeatures(opts, all.slice(range.start, range.end), layers);
  const manifest = storeManifest(opts, layers, c.feats, { index: opts.shard.index, count: opts.shard.count, ...range });
  await writeFeatureStore(opts.out, { manifest, ids: c.ids, undetected: c.undetected, unreadable: c.unreadable, layers: c.feats });
  return { dir: opts.out, rows: c.ids.length, unreadable: c.unreadable.length };
}

/** The features of a (merged) feature folder, after checking it was made for this dataset, model and options. */
function fromStore(opts: VerifyOptions, layers: ProbeLayer[]): ComputedFeatures {
  const store = opts.features!;
  const m = store.manifest;
  const want = storeManifest(opts, [], new Map(), m.shard);
  const d = firstDifference({ command: want.command, model: want.model, dataset: want.dataset, parameters: want.parameters }, { command: m.command, model: m.model, dataset: m.dataset, parameters: m.parameters });
  if (d) throw new UserError(`--features: the feature folder was made with ${d.path} = ${JSON.stringify(d.b)}, this run has ${JSON.stringify(d.a)}`);
  if (m.shard.count !== 1) throw new UserError(`--features: that is shard ${m.shard.index} of ${m.shard.count}; join the shards with \`facelens merge\` first`);
  const missing = layers.filter((l) => !store.layers.has(l.name)).map((l) => l.name);
  if (missing.length > 0) throw new UserError(`--features: no features of layer(s) ${missing.join(', ')}; it has ${m.layers.map((l) => l.name).join(', ')}`);
  return { ids: store.ids, feats: store.layers, undetected: store.undetected, unreadable: store.unreadable, alignMs: 0, featuresMs: 0 };
}
