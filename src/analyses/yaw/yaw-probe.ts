/**
 * The yaw probe: how much head pose each layer carries, on any dataset (no frontal/profile labels
 * needed). Each face's yaw and pitch come from its 68 landmarks (head-pose.ts); then per layer
 *   - k-NN regression of yaw (and pitch) from the flattened features: R^2 and mean absolute error
 *     (knn-regression.ts; nested CV, plus the optimistic best-k CV);
 *   - frontal (|yaw| < frontalMax) vs turned (|yaw| > turnedMin) k-NN classification, faces in
 *     between left out, with the CV of `pose` (knn.ts crossValidateK + nestedKnnAccuracy).
 * When the items carry frontal/profile labels (CFP), the yaw estimate is validated against them:
 * per class median |yaw| and the ROC AUC of |yaw| for profile vs frontal.
 *
 * Faces where the detector finds no face have no landmarks, so no yaw: they are left out and
 * counted (per label when labelled). Compute (`yawProbeMetrics`, `yawValidation`, `computeYawProbe`)
 * is apart from writing the files (`writeYawOutputs`; `yawProbe` does both).
 *
 * Cost: per layer ONE distance matrix (blocked float64 GEMM, metrics/gram.ts, as `pose`) and ONE
 * set of sorted neighbour lists (metrics/neighbours.ts) shared by both regressions, the
 * frontal/turned classification, every CV fold (outer and inner) and every k. Before, each fold
 * scanned whole distance rows and the classification recomputed two distance matrices in JS.
 */
import path from 'node:path';
import { UserError } from '../../core/errors.js';
import type { DatasetItem, SkippedItem } from '../../data/dataset.js';
import { selectProbes } from '../../models/face-model.js';
import { lineChart, writeChart } from '../../figures/plot.js';
import { layerFeatures } from '../features.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { KNN_REGRESSION_RULES, knnRegression, type RegressionScore } from '../metrics/knn-regression.js';
import { distanceMatrix, distanceMatrixFast, KNN_RULES, knnCvFromNeighbours, type KnnMetric } from '../metrics/knn.js';
import type { FeatureMatrix } from '../metrics/matrix.js';
import { NeighbourLists, neighbourPrefix } from '../metrics/neighbours.js';
import { rocAuc } from '../metrics/verification.js';
import { POSE_DEFAULTS } from '../probes/pose.js';
import { collectFaces, csvText, markdownTable, probeOutputFiles, stageTimer, writeProbeSummary, type ProbeComputed, type ProbeRunOptions } from '../probes/shared.js';
import { estimateHeadPose, HEAD_POSE_METHOD, type HeadPose } from './head-pose.js';

export interface YawKnnOptions {
  ks?: readonly number[];
  folds?: number;
  seed?: string | number;
  metric?: KnnMetric;
  /** |yaw| below this is frontal (default 15 deg). */
  frontalMax?: number;
  /** |yaw| above this is turned (default 30 deg). */
  turnedMin?: number;
}

export interface YawLayerResult {
  layer: string;
  dims: number;
  yaw: { nested: RegressionScore; bestK: number; best: RegressionScore };
  pitch: { nested: RegressionScore; bestK: number; best: RegressionScore };
  /** Frontal vs turned; a string says why it was not evaluated. */
  frontalTurned:
    | { n: number; frontal: number; turned: number; nested_accuracy: number; bestk_cv_accuracy: number; bestK: number; majority_baseline: number }
    | string;
}

export interface YawMetrics {
  layers: YawLayerResult[];
  params: Required<YawKnnOptions>;
}

function median(v: number[]): number {
  if (v.length === 0) return NaN;
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The neighbour-list prefix that serves every fold of the probe without falling back (neighbours.ts). */
function yawPrefix(n: number, m: number, folds: number, kMax: number): number {
  // the smallest training set is an inner fold's: about (1 - 1/folds)^2 of the set it splits
  const inner = (1 - 1 / Math.max(2, folds)) ** 2;
  return neighbourPrefix(kMax, (inner * Math.max(m, 1)) / n, n);
}

/**
 * The pure part: per-layer yaw / pitch regression and frontal-vs-turned classification.
 * `distances` (per layer, distanceMatrix(features, metric) over all faces) is what `computeYawProbe`
 * passes from the GEMM path; without it each layer's matrix is computed here in JS.
 */
export function yawProbeMetrics(
  features: Map<string, FeatureMatrix>,
  layers: readonly string[],
  poses: readonly HeadPose[],
  options: YawKnnOptions = {},
  distances?: ReadonlyMap<string, Float64Array>,
): YawMetrics {
  const params: Required<YawKnnOptions> = {
    // The same k candidates, folds and metric as `pose` (the issue asks for the same CV).
    ks: options.ks ?? POSE_DEFAULTS.ks,
    folds: options.folds ?? POSE_DEFAULTS.folds,
    seed: options.seed ?? 'facelens',
    metric: options.metric ?? POSE_DEFAULTS.metric,
    frontalMax: options.frontalMax ?? 15,
    turnedMin: options.turnedMin ?? 30,
  };
  if (!(params.frontalMax <= params.turnedMin)) throw new UserError(`frontal threshold ${params.frontalMax} deg must not exceed the turned threshold ${params.turnedMin} deg`);
  const n = poses.length;
  if (n < 4) throw new UserError(`yaw probe: ${n} faces with landmarks; need at least 4`);
  const yaw = poses.map((p) => p.yaw);
  const pitch = poses.map((p) => p.pitch);
  const ftIdx: number[] = [];
  const ftLab: number[] = [];
  poses.forEach((p, i) => {
    const a = Math.abs(p.yaw);
    if (a < params.frontalMax) (ftIdx.push(i), ftLab.push(0));
    else if (a > params.turnedMin) (ftIdx.push(i), ftLab.push(1));
  });
  const frontal = ftLab.filter((l) => l === 0).length;
  const turned = ftLab.length - frontal;
  const minClass = Math.min(frontal, turned);
  const knnOpts = { folds: params.folds, seed: params.seed, metric: params.metric };
  const prefix = yawPrefix(n, minClass < 2 ? n : ftIdx.length, params.folds, Math.max(...params.ks));
  const out: YawLayerResult[] = [];
  for (const layer of layers) {
    const f = features.get(layer);
    if (!f) throw new RangeError(`no features for layer ${layer}`);
    if (f.rows !== n) throw new RangeError(`layer ${layer}: ${f.rows} rows for ${n} faces`);
    // one distance matrix and one set of neighbour lists per layer, shared by everything below
    const D = distances?.get(layer) ?? distanceMatrix(f, params.metric);
    const neighbours = new NeighbourLists(D, n, prefix);
    const ry = knnRegression(f, yaw, params.ks, { ...knnOpts, neighbours });
    const rp = knnRegression(f, pitch, params.ks, { ...knnOpts, neighbours });
    let ft: YawLayerResult['frontalTurned'];
    if (minClass < 2) ft = `${frontal} frontal (|yaw| < ${params.frontalMax}) and ${turned} turned (|yaw| > ${params.turnedMin}) faces: need at least 2 of each`;
    else {
      const m = ftIdx.length;
      const folds = Math.min(params.folds, minClass);
      const innerFolds = Math.min(params.folds, Math.max(2, minClass - Math.ceil(minClass / folds)));
      const { cv, nested } = knnCvFromNeighbours(neighbours, ftIdx, ftLab, params.ks, { folds, innerFolds, seed: params.seed });
      ft = { n: m, frontal, turned, nested_accuracy: nested.accuracy, bestk_cv_accuracy: cv.bestAccuracy, bestK: cv.bestK, majority_baseline: Math.max(frontal, turned) / m };
    }
    out.push({ layer, dims: f.cols, yaw: { nested: ry.nested, bestK: ry.bestK, best: ry.best }, pitch: { nested: rp.nested, bestK: rp.bestK, best: rp.best }, frontalTurned: ft });
  }
  return { layers: out, params };
}

export interface YawValidation {
  /** Per label: faces with a yaw estimate, faces without (no face found), median / mean |yaw|. */
  classes: { label: string; n: number; undetected: number; median_abs_yaw: number; mean_abs_yaw: number; share_above_30: number }[];
  /** ROC AUC of |yaw| as a score for `profile` vs `frontal` (1 = perfect separation), when both are present. */
  auc_profile_vs_frontal?: number;
}

/** Checks the yaw estimate against item labels (frontal / profile), see the module comment. */
export function yawValidation(items: readonly DatasetItem[], poses: readonly HeadPose[], undetected: readonly DatasetItem[] = []): YawValidation | undefined {
  const labels = [...new Set(items.map((it) => it.label).filter((l): l is string => l !== undefined))].sort();
  if (labels.length === 0) return undefined;
  const classes = labels.map((label) => {
    const a = items.flatMap((it, i) => (it.label === label ? [Math.abs(poses[i]!.yaw)] : []));
    return {
      label,
      n: a.length,
      undetected: undetected.filter((u) => u.label === label).length,
      median_abs_yaw: median(a),
      mean_abs_yaw: a.length ? a.reduce((s, x) => s + x, 0) / a.length : NaN,
      share_above_30: a.length ? a.filter((x) => x > 30).length / a.length : NaN,
    };
  });
  const fp = items.flatMap((it, i) => (it.label === 'frontal' || it.label === 'profile' ? [{ s: Math.abs(poses[i]!.yaw), y: it.label === 'profile' }] : []));
  const both = fp.some((x) => x.y) && fp.some((x) => !x.y);
  return { classes, ...(both ? { auc_profile_vs_frontal: rocAuc(fp.map((x) => x.s), fp.map((x) => x.y)) } : {}) };
}

export interface YawProbeOptions extends ProbeRunOptions, YawKnnOptions {
  /** Use at most this many images (in dataset order; default all). */
  limit?: number;
  plots?: boolean;
}

export interface YawProbeResult extends YawMetrics {
  faces: number;
  yawStats: { median_abs: number; frontal: number; turned: number; between: number };
  validation?: YawValidation;
  undetected: SkippedItem[];
  unreadable: SkippedItem[];
  seconds: Record<string, number>;
  files: { summary: string; markdown: string; csv: string; poses: string; plot?: string };
}

/** What the yaw probe computes, apart from writing it (see ProbeComputed); `faces` feed poses.csv. */
export interface YawComputed extends ProbeComputed<YawProbeResult> {
  faces: { id: string; identity: string; label: string; pose: HeadPose }[];
}

/** The yaw probe: compute, then write summary.json, table.md, table.csv, poses.csv and the plot. */
export async function yawProbe(opts: YawProbeOptions): Promise<YawProbeResult> {
  return writeYawOutputs(await computeYawProbe(opts), opts);
}

/** Faces, head poses, layer features and the per-layer k-NN results (data only; nothing is written). */
export async function computeYawProbe(opts: YawProbeOptions): Promise<YawComputed> {
  const timer = stageTimer();
  if (opts.detect === false) throw new UserError('the yaw probe needs landmarks: it cannot run with --no-detect');
  const layers = selectProbes(opts.model, opts.layers);
  const items = opts.limit !== undefined ? opts.dataset.items.slice(0, opts.limit) : opts.dataset.items;
  const got = await collectFaces(items, opts.model.alignment, {
    cache: opts.cache,
    cacheDir: opts.cacheDir,
    fallback: 'skip',
    onProgress: (d, t) => opts.onProgress?.({ stage: 'align', done: d, total: t }),
  });
  timer.lap('align');
  const faces = got.faces.filter((f) => f.landmarks && f.landmarks.length >= 68);
  const poses: HeadPose[] = [];
  const used: typeof faces = [];
  for (const f of faces) {
    try {
      poses.push(estimateHeadPose(f.landmarks!));
      used.push(f);
    } catch (e) {
      got.undetected.push({ id: f.item.id, path: f.item.path, reason: `no head pose: ${(e as Error).message}` });
    }
  }
  const usedItems = used.map((f) => f.item);
  const undetectedItems = items.filter((it) => got.undetected.some((u) => u.id === it.id));
  const validation = yawValidation(usedItems, poses, undetectedItems);
  const feats = await layerFeatures(opts.model, used.map((f) => f.face), layers, { batch: opts.batch, onProgress: (d) => opts.onProgress?.({ stage: 'features', done: d, total: used.length }) });
  timer.lap('features');
  // Layer by layer, so only one n x n distance matrix is alive at a time (the first call only checks).
  const metrics = yawProbeMetrics(feats, [], poses, opts);
  for (const l of layers) {
    const D = await distanceMatrixFast(feats.get(l.name)!, metrics.params.metric);
    metrics.layers.push(...yawProbeMetrics(feats, [l.name], poses, opts, new Map([[l.name, D]])).layers);
  }
  timer.lap('metrics');
  const p = metrics.params;
  const abs = poses.map((x) => Math.abs(x.yaw));
  const yawStats = {
    median_abs: median(abs),
    frontal: abs.filter((a) => a < p.frontalMax).length,
    turned: abs.filter((a) => a > p.turnedMin).length,
    between: abs.filter((a) => a >= p.frontalMax && a <= p.turnedMin).length,
  };
  const result: YawComputed['result'] = { ...metrics, faces: used.length, yawStats, ...(validation ? { validation } : {}), undetected: got.undetected, unreadable: got.unreadable };
  const parameters = {
    model: opts.model.name,
    dataset: { kind: opts.dataset.kind, root: opts.dataset.root, images: opts.dataset.items.length, selected: items.length, limit: opts.limit ?? null },
    layers: layers.map((l) => l.name),
    headPose: HEAD_POSE_METHOD,
    features: 'flattened layer features (C x H x W order)',
    metric: p.metric === 'cosine' ? 'cosine distance 1 - cos' : 'euclidean',
    ks: [...p.ks],
    folds: p.folds,
    seed: String(p.seed),
    frontal: `|yaw| < ${p.frontalMax} deg`,
    turned: `|yaw| > ${p.turnedMin} deg (faces in between are left out of the classification)`,
    regression: KNN_REGRESSION_RULES,
    classification: KNN_RULES,
    undetectedFaces: 'left out (no landmarks, so no yaw); listed in `undetected`',
  };
  const faceRows = used.map((f, i) => ({ id: f.item.id, identity: f.item.identity ?? '', label: f.item.label ?? '', pose: poses[i]! }));
  return { result, parameters, timer, faces: faceRows };
}

/** Writes what computeYawProbe found: summary.json, table.md, table.csv, poses.csv and (unless plots: false) the plot. */
export async function writeYawOutputs(c: YawComputed, opts: Pick<YawProbeOptions, 'out' | 'plots' | 'model'>): Promise<YawProbeResult> {
  const { timer } = c;
  const res = c.result;
  const p = res.params;
  const files: YawProbeResult['files'] = { ...(await probeOutputFiles(opts.out)), poses: path.join(opts.out, 'poses.csv') };
  if (opts.plots ?? true) {
    const base = path.join(opts.out, 'plot-yaw');
    await writeChart(
      lineChart({
        title: `${opts.model.name}: pose carried per layer (${res.faces} faces, nested CV)`,
        rows: res.layers.flatMap((l, i) => [
          { layer: i, measure: 'yaw R^2', value: l.yaw.nested.r2 },
          { layer: i, measure: 'pitch R^2', value: l.pitch.nested.r2 },
          ...(typeof l.frontalTurned === 'object' ? [{ layer: i, measure: 'frontal/turned accuracy', value: l.frontalTurned.nested_accuracy }] : []),
        ]).filter((r) => Number.isFinite(r.value)),
        x: { field: 'layer', title: `layer (${res.layers.map((l, i) => `${i} ${l.layer}`).join(', ')})` },
        y: { field: 'value', title: 'R^2 / accuracy' },
        series: { field: 'measure', title: 'measure' },
      }),
      base,
    );
    files.plot = `${base}.png`;
  }
  timer.lap('plots');
  const result: YawProbeResult = { ...res, seconds: timer.seconds(), files };
  await writeProbeSummary(files.summary, 'yaw', c.parameters, result);

  const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '—');
  const pct = (x: number) => (100 * x).toFixed(1);
  const { yawStats, validation } = res;
  const md = [
    `# Yaw probe: head pose carried per layer, model ${opts.model.name}`,
    '',
    `${res.faces} faces with landmarks (${res.undetected.length} without a detected face, ${res.unreadable.length} unreadable); median |yaw| ${f1(yawStats.median_abs)} deg; ${yawStats.frontal} frontal (|yaw| < ${p.frontalMax}), ${yawStats.turned} turned (|yaw| > ${p.turnedMin}), ${yawStats.between} in between.`,
    `Yaw / pitch: ${HEAD_POSE_METHOD}.`,
    `k-NN (${p.metric}), k in {${p.ks.join(',')}}, ${p.folds}-fold CV, seed ${String(p.seed)}; nested CV (k chosen inside each outer training fold).`,
    '',
    markdownTable(
      ['layer', 'dims', 'yaw R²', 'yaw MAE (deg)', 'pitch R²', 'pitch MAE (deg)', 'frontal/turned acc. (%)', 'majority (%)'],
      res.layers.map((l) => [
        l.layer,
        String(l.dims),
        f1(l.yaw.nested.r2),
        f1(l.yaw.nested.mae),
        f1(l.pitch.nested.r2),
        f1(l.pitch.nested.mae),
        typeof l.frontalTurned === 'object' ? pct(l.frontalTurned.nested_accuracy) : '—',
        typeof l.frontalTurned === 'object' ? pct(l.frontalTurned.majority_baseline) : '—',
      ]),
    ),
    ...(typeof res.layers[0]?.frontalTurned === 'string' ? ['', `Frontal/turned not evaluated: ${res.layers[0].frontalTurned}.`] : []),
    ...(validation
      ? [
          '',
          '## Yaw estimate against the dataset labels',
          '',
          markdownTable(
            ['label', 'faces', 'no face found', 'median |yaw|', 'mean |yaw|', '|yaw| > 30 (%)'],
            validation.classes.map((v) => [v.label, String(v.n), String(v.undetected), f1(v.median_abs_yaw), f1(v.mean_abs_yaw), pct(v.share_above_30)]),
          ),
          ...(validation.auc_profile_vs_frontal !== undefined ? ['', `ROC AUC of |yaw| for profile vs frontal: ${validation.auc_profile_vs_frontal.toFixed(4)}`] : []),
        ]
      : []),
  ];
  await writeFileAtomic(files.markdown, md.join('\n') + '\n');
  await writeFileAtomic(
    files.csv,
    csvText(
      ['layer', 'dims', 'yaw_r2', 'yaw_mae', 'yaw_best_k', 'pitch_r2', 'pitch_mae', 'frontal_turned_nested_accuracy', 'frontal_turned_majority'],
      res.layers.map((l) => [l.layer, l.dims, l.yaw.nested.r2, l.yaw.nested.mae, l.yaw.bestK, l.pitch.nested.r2, l.pitch.nested.mae, typeof l.frontalTurned === 'object' ? l.frontalTurned.nested_accuracy : '', typeof l.frontalTurned === 'object' ? l.frontalTurned.majority_baseline : '']),
    ),
  );
  await writeFileAtomic(files.poses, csvText(['id', 'identity', 'label', 'yaw', 'pitch', 'roll', 'fit_residual'], c.faces.map((f) => [f.id, f.identity, f.label, f.pose.yaw, f.pose.pitch, f.pose.roll, f.pose.residual])));
  return result;
}
