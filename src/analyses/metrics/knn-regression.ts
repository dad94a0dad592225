/**
 * k-NN regression with k chosen by cross-validation, the regression twin of knn.ts (same distance,
 * neighbour order, k clamping, seeded stratified folds): the prediction is the mean target of the
 * k nearest training rows. Folds are stratified on target quantile bins (`binTargets`) so every
 * fold spans the target range. Scores: R^2 = 1 - SSE / SST (SST around the mean of all targets)
 * and the mean absolute error, both pooled over the held-out folds. As in knn.ts the best-k CV
 * score is optimistic; the nested score chooses k inside each outer training set. Neighbours come
 * from sorted lists computed once (neighbours.ts) and shared by every fold, k and target.
 */
import { distanceMatrix, stratifiedFolds, type KnnMetric } from './knn.js';
import { checkMatrix, type FeatureMatrix } from './matrix.js';
import { NeighbourLists, neighbourPrefix } from './neighbours.js';

export const KNN_REGRESSION_RULES = {
  prediction: 'mean target of the k nearest training rows (knn.ts neighbour order: ascending distance, ties by index; k clamped to the training size)',
  folds: 'stratified (knn.ts rule) on target quantile bins (5 bins, fewer for small sets)',
  r2: '1 - SSE / SST over all held-out predictions; SST around the mean of all targets',
  bestK: 'lowest CV squared error, ties to the smallest k',
} as const;

/** Quantile bin (0..bins-1) of each target, for stratified folds. */
export function binTargets(y: ArrayLike<number>, bins = 5): Int32Array {
  const n = y.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => y[a]! - y[b]! || a - b);
  const out = new Int32Array(n);
  order.forEach((i, r) => (out[i] = Math.min(bins - 1, Math.floor((r * bins) / n))));
  return out;
}

export interface RegressionScore {
  r2: number;
  mae: number;
  mse: number;
}

export function regressionScore(y: ArrayLike<number>, pred: ArrayLike<number>): RegressionScore {
  const n = y.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += y[i]!;
  mean /= n;
  let sse = 0, sst = 0, abs = 0;
  for (let i = 0; i < n; i++) {
    const e = pred[i]! - y[i]!;
    sse += e * e;
    abs += Math.abs(e);
    sst += (y[i]! - mean) ** 2;
  }
  return { r2: sst > 0 ? 1 - sse / sst : NaN, mae: abs / n, mse: sse / n };
}

/** Predictions of `test` rows for every k (predictions[s][t]), from train rows, in neighbour order. */
function predictPerK(lists: NeighbourLists, y: ArrayLike<number>, train: number[], test: number[], ks: readonly number[]): Float64Array[] {
  const out = ks.map(() => new Float64Array(test.length));
  const kmax = Math.min(Math.max(...ks), train.length);
  const inTrain = new Uint8Array(lists.n);
  for (const j of train) inTrain[j] = 1;
  const nb = new Int32Array(kmax);
  const cum = new Float64Array(kmax + 1);
  test.forEach((i, t) => {
    const c = lists.nearestIn(i, inTrain, kmax, nb);
    for (let j = 0; j < c; j++) cum[j + 1] = cum[j]! + y[nb[j]!]!;
    ks.forEach((k, s) => {
      const kk = Math.min(k, c);
      out[s]![t] = cum[kk]! / kk;
    });
  });
  return out;
}

export interface KnnRegressionResult {
  ks: number[];
  /** Pooled CV score per k. */
  perK: RegressionScore[];
  bestK: number;
  /** Best-k CV score (optimistic). */
  best: RegressionScore;
  /** Nested CV score (k chosen by inner CV on each outer training set). */
  nested: RegressionScore;
  nestedChosenK: number[];
  folds: number;
  innerFolds: number;
  seed: string;
  metric: KnnMetric;
}

function cv(lists: NeighbourLists, y: ArrayLike<number>, subset: number[], ks: readonly number[], folds: number, seed: string): { perK: RegressionScore[]; best: number } {
  const sub = subset.map((i) => y[i]!);
  const foldOf = stratifiedFolds(binTargets(sub, Math.min(5, Math.floor(subset.length / folds) || 1)), folds, seed);
  const preds = ks.map(() => new Float64Array(subset.length));
  for (let f = 0; f < folds; f++) {
    const train: number[] = [], test: number[] = [], at: number[] = [];
    subset.forEach((g, t) => {
      if (foldOf[t] === f) {
        test.push(g);
        at.push(t);
      } else train.push(g);
    });
    if (test.length === 0) continue;
    const p = predictPerK(lists, y, train, test, ks);
    ks.forEach((_, s) => at.forEach((t, j) => (preds[s]![t] = p[s]![j]!)));
  }
  const perK = preds.map((p) => regressionScore(sub, p));
  let best = 0;
  for (let s = 1; s < ks.length; s++) if (perK[s]!.mse < perK[best]!.mse || (perK[s]!.mse === perK[best]!.mse && ks[s]! < ks[best]!)) best = s;
  return { perK, best };
}

/** k-fold CV of k-NN regression for every k, plus the nested-CV score (see module comment). */
export function knnRegression(
  features: FeatureMatrix,
  targets: ArrayLike<number>,
  ks: readonly number[],
  options: { folds?: number; seed?: string | number; metric?: KnnMetric; /** Neighbour lists of the rows (neighbours.ts), to share between targets; by default built from distanceMatrix(features, metric). */ neighbours?: NeighbourLists } = {},
): KnnRegressionResult {
  checkMatrix(features, 'features');
  const n = features.rows;
  if (targets.length !== n) throw new RangeError('targets length != features.rows');
  if (ks.length === 0 || ks.some((k) => !(Number.isInteger(k) && k >= 1))) throw new RangeError(`bad ks ${ks.join(',')}`);
  const folds = Math.min(options.folds ?? 10, n);
  if (folds < 2) throw new RangeError(`k-NN regression needs at least 2 samples (got ${n})`);
  const innerFolds = Math.min(options.folds ?? 10, n - Math.ceil(n / folds));
  if (innerFolds < 2) throw new RangeError(`k-NN regression: ${n} samples are too few for nested CV`);
  const seed = String(options.seed ?? 'facelens');
  const metric = options.metric ?? 'cosine';
  const lists = options.neighbours ?? new NeighbourLists(distanceMatrix(features, metric), n, neighbourPrefix(Math.max(...ks), (n - Math.ceil(n / folds)) / n * (innerFolds - 1) / innerFolds, n));
  if (lists.n !== n) throw new RangeError(`neighbour lists of ${lists.n} rows, features have ${n}`);
  const all = Array.from({ length: n }, (_, i) => i);
  const plain = cv(lists, targets, all, ks, folds, seed);
  // nested
  const outerOf = stratifiedFolds(binTargets(targets, Math.min(5, Math.floor(n / folds) || 1)), folds, seed);
  const pred = new Float64Array(n);
  const chosen: number[] = [];
  for (let f = 0; f < folds; f++) {
    const train = all.filter((i) => outerOf[i] !== f);
    const test = all.filter((i) => outerOf[i] === f);
    const inner = cv(lists, targets, train, ks, innerFolds, `${seed}/inner${f}`);
    const k = ks[inner.best]!;
    chosen.push(k);
    const p = predictPerK(lists, targets, train, test, [k])[0]!;
    test.forEach((i, j) => (pred[i] = p[j]!));
  }
  return {
    ks: [...ks],
    perK: plain.perK,
    bestK: ks[plain.best]!,
    best: plain.perK[plain.best]!,
    nested: regressionScore(targets, pred),
    nestedChosenK: chosen,
    folds,
    innerFolds,
    seed,
    metric,
  };
}
