/**
 * Pose information per layer (paper Fig. 6): k-NN classification of frontal vs profile faces from
 * each probe layer's flattened features, with k chosen by 10-fold cross-validation, per identity
 * and pooled over the selected identities.
 *
 * Two numbers per (layer, group), both from metrics/knn.ts:
 *  - `bestk_cv_accuracy`: the plain CV accuracy of the best k (crossValidateK). This is what the
 *    paper reports ("k learned via 10-fold cross validation and the best result reported"); it is
 *    optimistically biased, since k is picked on the same folds it is scored on.
 *  - `nested_accuracy`: nested CV (nestedKnnAccuracy): k chosen by an inner 10-fold CV on each
 *    outer training set, scored on the outer held-out fold. Unbiased for "k-NN with k tuned by CV".
 * Folds are stratified and seeded (knn.ts rules). When a group has fewer samples than folds, the
 * fold count drops to the sample count (leave-one-out), and the inner fold count to the smallest
 * outer training set. Classes are usually imbalanced (CFP: 10 frontal + 4 profile per identity), so
 * the majority-class rate is reported as the chance baseline.
 *
 * Faces where the 68-point detector finds nothing (common on profiles) are centre-cropped and
 * counted per label. Note the confound: then aligned frontals are compared with centre-cropped
 * profiles, and the crop style alone can separate the classes; `detect: false` (centre-crop every
 * image) removes it.
 */
import path from 'node:path';
import { UserError } from '../../core/errors.js';
import type { DatasetItem, SkippedItem } from '../../data/dataset.js';
import { selectProbes } from '../../models/face-model.js';
import { writeChart, type ChartSpec } from '../../figures/plot.js';
import { layerFeatures } from '../features.js';
import { crossValidateK, distanceMatrix, distanceMatrixFast, KNN_RULES, nestedKnnAccuracy, subDistanceMatrix, type KnnMetric } from '../metrics/knn.js';
import type { FeatureMatrix } from '../metrics/matrix.js';
import { datasetFingerprint, shardRange } from '../../cluster/shard.js';
import { firstDifference } from '../../cluster/shard-set.js';
import type { ProbeLayer } from '../../models/face-model.js';
import { FEATURE_STORE_FORMAT, writeFeatureStore, type FeatureStore, type FeatureStoreManifest } from '../feature-store.js';
import { collectFaces, csvText, writeProbeSummary, markdownTable, selectItems, stageTimer, probeOutputFiles, type ProbeComputed, takeRows, type ProbeRunOptions } from './shared.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { seedKey } from '../../core/random.js';

/** Odd k from 1 to 21 (odd: no count ties between two classes); k above a training set is clamped. */
export const DEFAULT_KS: readonly number[] = [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21];

/**
 * The pose probe's defaults, read by the analysis, the CLI and the demo's record. `seed` n keys
 * the fold streams as `facelens-n` (core/random.ts seedKey), as every command does.
 */
export const POSE_DEFAULTS = { ks: DEFAULT_KS, folds: 10, seed: 0, metric: 'cosine' as KnnMetric, identities: '001-010' } as const;

export interface PoseKnnOptions {
  ks?: readonly number[];
  folds?: number;
  seed?: string | number;
  metric?: KnnMetric;
}

export interface PoseGroupResult {
  /** Identity, or `pooled`. */
  group: string;
  n: number;
  /** Samples per class (class names as given). */
  counts: Record<string, number>;
  folds: number;
  innerFolds: number;
  bestK: number;
  /** Plain CV accuracy of the best k (the paper's style; optimistic). */
  bestk_cv_accuracy: number;
  /** CV accuracy of every k in `ks`. */
  cv_accuracy_per_k: number[];
  /** Nested CV accuracy (unbiased). */
  nested_accuracy: number;
  nested_chosen_k: number[];
  /** Share of the larger class: the accuracy of always guessing it. */
  majority_baseline: number;
}

export interface PoseLayerResult {
  layer: string;
  dims: number;
  pooled: PoseGroupResult;
  identities: PoseGroupResult[];
}

export interface PoseKnnResult {
  layers: PoseLayerResult[];
  /** Identities not evaluated on their own, and why. */
  skippedIdentities: { identity: string; reason: string }[];
}

function evaluateGroup(
  name: string,
  f: FeatureMatrix,
  y: number[],
  classNames: string[],
  opts: Required<PoseKnnOptions>,
  distances?: Float64Array,
): PoseGroupResult | string {
  const n = y.length;
  const counts: Record<string, number> = Object.fromEntries(classNames.map((c) => [c, 0]));
  for (const v of y) counts[classNames[v]!]!++;
  const present = classNames.filter((c) => counts[c]! > 0);
  if (present.length < 2) return `only one class (${present.join('') || 'none'}) among ${n} sample(s)`;
  if (n < 4) return `${n} samples: too few for nested cross-validation`;
  const folds = Math.min(opts.folds, n);
  const innerFolds = Math.min(opts.folds, n - Math.ceil(n / folds));
  if (innerFolds < 2) return `${n} samples: too few for nested cross-validation`;
  // One distance matrix for both CVs (and, via poseKnn, one per layer for every group).
  const D = distances ?? distanceMatrix(f, opts.metric);
  const cv = crossValidateK(f, y, opts.ks, folds, opts.seed, opts.metric, D);
  const nested = nestedKnnAccuracy(f, y, opts.ks, { outerFolds: folds, innerFolds, seed: opts.seed, metric: opts.metric, distances: D });
  return {
    group: name,
    n,
    counts,
    folds,
    innerFolds,
    bestK: cv.bestK,
    bestk_cv_accuracy: cv.bestAccuracy,
    cv_accuracy_per_k: cv.accuracies,
    nested_accuracy: nested.accuracy,
    nested_chosen_k: nested.chosenK,
    majority_baseline: Math.max(...Object.values(counts)) / n,
  };
}

/**
 * The pure part: k-NN pose classification from given features. `labels[i]` is a class index into
 * `classNames` (two classes); `identities[i]` groups samples for the per-identity rows.
 */
export function poseKnn(
  features: Map<string, FeatureMatrix>,
  layers: readonly string[],
  labels: readonly number[],
  identities: readonly string[],
  classNames: readonly string[],
  options: PoseKnnOptions = {},
  /** Per layer, distanceMatrix(features, metric) over all samples (pose() computes them with distanceMatrixFast). */
  distances?: ReadonlyMap<string, Float64Array>,
): PoseKnnResult {
  const opts: Required<PoseKnnOptions> = {
    ks: options.ks ?? POSE_DEFAULTS.ks,
    folds: options.folds ?? POSE_DEFAULTS.folds,
    seed: seedKey(options.seed ?? POSE_DEFAULTS.seed),
    metric: options.metric ?? POSE_DEFAULTS.metric,
  };
  if (classNames.length !== 2) throw new RangeError(`pose needs exactly 2 classes (got ${classNames.length}: ${classNames.join(', ')})`);
  if (labels.length !== identities.length) throw new RangeError('labels and identities differ in length');
  const groups = [...new Set(identities)].sort();
  const skippedIdentities: { identity: string; reason: string }[] = [];
  const out: PoseLayerResult[] = [];
  for (const [li, layer] of layers.entries()) {
    const f = features.get(layer);
    if (!f) throw new RangeError(`no features for layer ${layer}`);
    if (f.rows !== labels.length) throw new RangeError(`layer ${layer}: ${f.rows} rows for ${labels.length} labels`);
    const D = distances?.get(layer) ?? distanceMatrix(f, opts.metric);
    if (D.length !== f.rows * f.rows) throw new RangeError(`layer ${layer}: distance matrix size ${D.length} for ${f.rows} samples`);
    const pooled = evaluateGroup('pooled', f, [...labels], [...classNames], opts, D);
    if (typeof pooled === 'string') throw new UserError(`pose: cannot evaluate the pooled set: ${pooled}`);
    const rows: PoseGroupResult[] = [];
    for (const g of groups) {
      const idx = identities.flatMap((id, i) => (id === g ? [i] : []));
      const r = evaluateGroup(g, takeRows(f, idx), idx.map((i) => labels[i]!), [...classNames], opts, subDistanceMatrix(D, f.rows, idx));
      if (typeof r === 'string') {
        if (li === 0) skippedIdentities.push({ identity: g, reason: r });
      } else rows.push(r);
    }
    out.push({ layer, dims: f.cols, pooled, identities: rows });
  }
  return { layers: out, skippedIdentities };
}

/** Class names from item labels: frontal/profile in that order when present, else the two labels sorted. */
export function poseClasses(items: readonly DatasetItem[]): { classNames: string[]; labels: number[] } {
  const missing = items.find((it) => !it.label);
  if (missing) throw new UserError(`pose: image ${missing.id} has no label (need frontal/profile; CFP folder or CSV path,identity,label)`);
  const names = [...new Set(items.map((it) => it.label!))].sort();
  if (names.length !== 2) throw new UserError(`pose needs exactly two labels (frontal/profile), found ${names.length}: ${names.slice(0, 5).join(', ')}`);
  const classNames = names.includes('frontal') && names.includes('profile') ? ['frontal', 'profile'] : names;
  return { classNames, labels: items.map((it) => classNames.indexOf(it.label!)) };
}

export interface PoseOptions extends PoseKnnOptions, ProbeRunOptions {
  /** Identity filter, e.g. `001-010` (see shared.parseIdentities). */
  identities?: string;
  plots?: boolean;
  /** Features computed before (`pose --shard` + `facelens merge`): skips alignment and features. */
  features?: FeatureStore;
}

export interface PoseResult extends PoseKnnResult {
  classNames: string[];
  images: number;
  identities: string[];
  crops: { aligned: number; centreUndetected: Record<string, number>; centreNoDetect: number };
  undetected: SkippedItem[];
  unreadable: SkippedItem[];
  seconds: Record<string, number>;
  files: { summary: string; markdown: string; csv: string; plot?: string };
}

/** Tableau-20 minus its greys (black and grey mark pooled and baseline); cycles past 18 identities. */
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#a0cbe8', '#ffbe7d', '#ff9d9a', '#8cd17d', '#b6992d', '#f1ce63', '#86bcb6', '#d37295', '#d4a6c8'];

function poseChart(res: PoseKnnResult, layerOrder: string[]): ChartSpec {
  const rows: Record<string, string | number>[] = [];
  for (const l of res.layers) {
    for (const [est, key] of [
      ['nested CV (unbiased)', 'nested_accuracy'],
      ['best-k CV (paper style, optimistic)', 'bestk_cv_accuracy'],
    ] as const) {
      rows.push({ layer: l.layer, estimate: est, series: 'pooled', accuracy: l.pooled[key] });
      rows.push({ layer: l.layer, estimate: est, series: 'majority baseline (pooled)', accuracy: l.pooled.majority_baseline });
      for (const g of l.identities) rows.push({ layer: l.layer, estimate: est, series: g.group, accuracy: g[key] });
    }
  }
  const series = ['pooled', 'majority baseline (pooled)', ...new Set(res.layers.flatMap((l) => l.identities.map((g) => g.group)))];
  return {
    title: 'Frontal/profile k-NN accuracy per layer (Fig. 6 analogue)',
    data: { values: rows },
    facet: { column: { field: 'estimate', type: 'nominal', title: null, sort: ['nested CV (unbiased)'] } },
    spec: {
      width: 360,
      height: 240,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'layer', type: 'ordinal', sort: layerOrder, title: 'layer' },
        y: { field: 'accuracy', type: 'quantitative', title: 'accuracy', scale: { zero: false } },
        color: {
          field: 'series',
          type: 'nominal',
          title: 'identity',
          sort: series,
          scale: { domain: series, range: ['#000000', '#999999', ...PALETTE] },
          legend: { labelLimit: 240 },
        },
        strokeWidth: { condition: { test: "datum.series === 'pooled'", value: 3.5 }, value: 1.2 },
        strokeDash: { condition: { test: "datum.series === 'majority baseline (pooled)'", value: [4, 3] }, value: [1, 0] },
      },
    },
  } as ChartSpec;
}

/** What the pose probe computes, apart from writing it: the result without its files, and what the writer records. */
export interface PoseComputed extends ProbeComputed<PoseResult> {
  knnOpts: Required<PoseKnnOptions>;
  layerOrder: string[];
}

/** The pose probe: compute, then write summary.json, table.md, table.csv and the plot. */
export async function pose(opts: PoseOptions): Promise<PoseResult> {
  return writePoseOutputs(await computePose(opts), opts);
}

/** Faces, layer features and the k-NN results (data only; nothing is written). */
export async function computePose(opts: PoseOptions): Promise<PoseComputed> {
  const timer = stageTimer();
  const layers = selectProbes(opts.model, opts.layers);
  const items = opts.identities !== undefined ? selectItems(opts.dataset.items, { identities: opts.identities }) : opts.dataset.items;
  poseClasses(items); // label errors before the slow part
  const got = opts.features ? poseFromStore(opts, items, layers) : await poseFaceFeatures(opts, items, layers, timer);
  const { used, feats } = got;
  const { classNames, labels } = poseClasses(used);
  const ids = used.map((it) => it.identity ?? '(none)');
  const knnOpts: Required<PoseKnnOptions> = {
    ks: opts.ks ?? POSE_DEFAULTS.ks,
    folds: opts.folds ?? POSE_DEFAULTS.folds,
    seed: seedKey(opts.seed ?? POSE_DEFAULTS.seed),
    metric: opts.metric ?? POSE_DEFAULTS.metric,
  };
  const distances = new Map<string, Float64Array>();
  for (const l of layers) {
    const f = feats.get(l.name);
    if (f) distances.set(l.name, await distanceMatrixFast(f, knnOpts.metric));
  }
  const res = poseKnn(feats, layers.map((l) => l.name), labels, ids, classNames, knnOpts, distances);
  timer.lap('metrics');
  const layerOrder = layers.map((l) => l.name);

  const undetectedIds = new Set(got.undetected.map((u) => u.id));
  const centreUndetected = Object.fromEntries(classNames.map((c) => [c, used.filter((it) => it.label === c && undetectedIds.has(it.id)).length]));
  const result: PoseComputed['result'] = {
    classNames,
    images: used.length,
    identities: [...new Set(ids)].sort(),
    crops: {
      aligned: got.crops.filter((c) => c === 'aligned').length,
      centreUndetected,
      centreNoDetect: got.crops.filter((c) => c === 'centre (--no-detect)').length,
    },
    ...res,
    undetected: got.undetected,
    unreadable: got.unreadable,
  };
  const parameters = {
      model: opts.model.name,
      dataset: { kind: opts.dataset.kind, root: opts.dataset.root, images: opts.dataset.items.length, selected: items.length },
      identityFilter: opts.identities ?? 'all',
      layers: layerOrder,
      classes: classNames.map((c, i) => `${i} = ${c}`).join(', '),
      features: 'flattened layer features (C x H x W order)',
      metric: knnOpts.metric === 'cosine' ? 'cosine distance 1 - cos' : 'euclidean',
      ks: [...knnOpts.ks],
      folds: knnOpts.folds,
      seed: String(knnOpts.seed),
      estimates: {
        bestk_cv_accuracy: 'crossValidateK: pooled CV accuracy of the k with the highest CV accuracy (what the paper reports; optimistically biased)',
        nested_accuracy: 'nestedKnnAccuracy: outer folds x inner CV choosing k on each outer training set (unbiased)',
        majority_baseline: 'share of the larger class (accuracy of always guessing it)',
      },
      smallGroups: 'folds = min(folds, n); inner folds = min(folds, n - ceil(n / folds)); groups with one class or < 4 samples are skipped',
      pooled: 'all selected images together; folds are not grouped by identity, so a test image has same-identity neighbours in training',
      rules: KNN_RULES,
      alignment: opts.detect === false ? 'none (centre crop of every image)' : opts.model.alignment,
      undetectedFaces: 'centre crop of the image (counted per class in crops.centreUndetected); aligned and centre-cropped faces differ in framing, a possible confound',
    };
  return { result, parameters, knnOpts, layerOrder, timer };
}

/** Writes what computePose found: summary.json, table.md, table.csv and (unless plots: false) the plot. */
export async function writePoseOutputs(c: PoseComputed, opts: Pick<PoseOptions, 'out' | 'plots' | 'model'>): Promise<PoseResult> {
  const { knnOpts, layerOrder, timer } = c;
  const { classNames } = c.result;
  const res = c.result;
  const centreUndetected = c.result.crops.centreUndetected;
  const files: PoseResult['files'] = {
    ...(await probeOutputFiles(opts.out)),
  };
  if (opts.plots ?? true) {
    const base = path.join(opts.out, 'plot-accuracy');
    await writeChart(poseChart(res, layerOrder), base);
    files.plot = `${base}.png`;
  }
  timer.lap('plots');
  const result: PoseResult = { ...c.result, seconds: timer.seconds(), files };
  await writeProbeSummary(files.summary, 'pose', c.parameters, result);

  const pct = (x: number) => (100 * x).toFixed(1);
  const groupsOrder = ['pooled', ...result.identities.filter((g) => res.layers[0]!.identities.some((r) => r.group === g))];
  const cell = (l: PoseLayerResult, g: string, f: (r: PoseGroupResult) => string) => {
    const r = g === 'pooled' ? l.pooled : l.identities.find((x) => x.group === g);
    return r ? f(r) : '—';
  };
  const hdr = ['identity', 'n (' + classNames.join('/') + ')', ...layerOrder];
  const hdrBase = ['identity', 'n (' + classNames.join('/') + ')', 'majority', ...layerOrder];
  const countCell = (g: string) => {
    const r = g === 'pooled' ? res.layers[0]!.pooled : res.layers[0]!.identities.find((x) => x.group === g)!;
    return `${r.n} (${classNames.map((c) => r.counts[c]).join('/')})`;
  };
  const md = [
    `# Pose (Fig. 6 analogue): frontal/profile k-NN accuracy (%) per layer, model ${opts.model.name}`,
    '',
    `${result.images} images, ${result.identities.length} identities; ${knnOpts.metric} distance; k in {${knnOpts.ks.join(',')}}; ${knnOpts.folds}-fold CV, seed ${String(knnOpts.seed)}.`,
    `Crops: ${result.crops.aligned} aligned, ${Object.entries(centreUndetected).map(([c, k]) => `${k} ${c}`).join(' + ')} centre-cropped (no face detected)${result.crops.centreNoDetect ? `, ${result.crops.centreNoDetect} centre-cropped (--no-detect)` : ''}.`,
    '',
    '## Nested CV accuracy (unbiased; k chosen inside each outer training fold); majority = always guessing the larger class',
    '',
    markdownTable(
      hdrBase,
      groupsOrder.map((g) => [g, countCell(g), cell(res.layers[0]!, g, (r) => pct(r.majority_baseline)), ...res.layers.map((l) => cell(l, g, (r) => pct(r.nested_accuracy)))]),
    ),
    '',
    "## Best-k CV accuracy (the paper's style: k picked and scored on the same folds; optimistic), best k in brackets",
    '',
    markdownTable(hdr, groupsOrder.map((g) => [g, countCell(g), ...res.layers.map((l) => cell(l, g, (r) => `${pct(r.bestk_cv_accuracy)} (k=${r.bestK})`))])),

    ...(res.skippedIdentities.length ? ['', 'Skipped identities: ' + res.skippedIdentities.map((s) => `${s.identity} (${s.reason})`).join('; ')] : []),
  ];
  await writeFileAtomic(files.markdown, md.join('\n') + '\n');
  await writeFileAtomic(
    files.csv,
    csvText(
      ['layer', 'group', 'n', ...classNames.map((c) => `n_${c}`), 'folds', 'inner_folds', 'best_k', 'bestk_cv_accuracy', 'nested_accuracy', 'nested_chosen_k', 'majority_baseline'],
      res.layers.flatMap((l) =>
        [l.pooled, ...l.identities].map((r) => [
          l.layer,
          r.group,
          r.n,
          ...classNames.map((c) => r.counts[c]),
          r.folds,
          r.innerFolds,
          r.bestK,
          r.bestk_cv_accuracy,
          r.nested_accuracy,
          r.nested_chosen_k.join(' '),
          r.majority_baseline,
        ]),
      ),
    ),
  );
  return result;
}

interface PoseFaces {
  used: DatasetItem[];
  crops: string[];
  undetected: SkippedItem[];
  unreadable: SkippedItem[];
  feats: Map<string, FeatureMatrix>;
}

/** Aligns `items` (no-face images centre-cropped) and computes the layers' features, in item order. */
async function poseFaceFeatures(opts: PoseOptions, items: DatasetItem[], layers: ProbeLayer[], timer?: ReturnType<typeof stageTimer>): Promise<PoseFaces> {
  const got = await collectFaces(items, opts.model.alignment, {
    detect: opts.detect,
    cache: opts.cache,
    cacheDir: opts.cacheDir,
    fallback: 'centre',
    onProgress: (d, t) => opts.onProgress?.({ stage: 'align', done: d, total: t }),
  });
  timer?.lap('align');
  const used = got.faces.map((f) => f.item);
  const feats = await layerFeatures(opts.model, got.faces.map((f) => f.face), layers, {
    batch: opts.batch,
    onProgress: (n) => opts.onProgress?.({ stage: 'features', done: n, total: used.length }),
  });
  timer?.lap('features');
  return { used, crops: got.faces.map((f) => f.crop), undetected: got.undetected, unreadable: got.unreadable, feats };
}

function poseStoreManifest(opts: PoseOptions, items: DatasetItem[], layers: { name: string; cols: number }[], shard: FeatureStoreManifest['shard']): FeatureStoreManifest {
  return {
    format: FEATURE_STORE_FORMAT,
    command: 'pose',
    model: { name: opts.model.name, ...(opts.model.spec ? { spec: opts.model.spec } : {}), alignment: opts.detect === false ? 'none (centre crop)' : opts.model.alignment },
    // The selected items (after --identities) are the dataset that the shards split.
    dataset: { kind: opts.dataset.kind, root: opts.dataset.root, items: items.length, fingerprint: datasetFingerprint(items.map((it) => it.id)) },
    parameters: { identityFilter: opts.identities ?? 'all', detect: opts.detect !== false, undetectedFaces: 'centre crop' },
    layers,
    shard,
  };
}

/** The feature step of `pose` for one shard of the selected images, written to `opts.out` as a feature folder. */
export async function poseFeatures(opts: PoseOptions & { shard: { index: number; count: number } }): Promise<{ dir: string; rows: number; unreadable: number }> {
  const layers = selectProbes(opts.model, opts.layers);
  const items = opts.identities !== undefined ? selectItems(opts.dataset.items, { identities: opts.identities }) : opts.dataset.items;
  poseClasses(items);
  const range = shardRange(items.length, opts.shard.index, opts.shard.count);
  const f = await poseFaceFeatures(opts, items.slice(range.start, range.end), layers);
  const manifest = poseStoreManifest(opts, items, layers.map((l) => ({ name: l.name, cols: f.feats.get(l.name)!.cols })), { index: opts.shard.index, count: opts.shard.count, ...range });
  await writeFeatureStore(opts.out, { manifest, ids: f.used.map((it) => it.id), undetected: f.undetected, unreadable: f.unreadable, crops: f.crops, layers: f.feats });
  return { dir: opts.out, rows: f.used.length, unreadable: f.unreadable.length };
}

/** The rows of a (merged) feature folder, after checking it was made for these images, model and options. */
function poseFromStore(opts: PoseOptions, items: DatasetItem[], layers: ProbeLayer[]): PoseFaces {
  const store = opts.features!;
  const m = store.manifest;
  const want = poseStoreManifest(opts, items, [], m.shard);
  const d = firstDifference({ command: want.command, model: want.model, dataset: want.dataset, parameters: want.parameters }, { command: m.command, model: m.model, dataset: m.dataset, parameters: m.parameters });
  if (d) throw new UserError(`--features: the feature folder was made with ${d.path} = ${JSON.stringify(d.b)}, this run has ${JSON.stringify(d.a)}`);
  if (m.shard.count !== 1) throw new UserError(`--features: that is shard ${m.shard.index} of ${m.shard.count}; join the shards with \`facelens merge\` first`);
  const missing = layers.filter((l) => !store.layers.has(l.name)).map((l) => l.name);
  if (missing.length > 0) throw new UserError(`--features: no features of layer(s) ${missing.join(', ')}; it has ${m.layers.map((l) => l.name).join(', ')}`);
  const byId = new Map(items.map((it) => [it.id, it]));
  return {
    used: store.ids.map((id) => byId.get(id)!),
    crops: store.crops ?? store.ids.map(() => 'aligned'),
    undetected: store.undetected,
    unreadable: store.unreadable,
    feats: store.layers,
  };
}
