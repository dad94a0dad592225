/**
 * k-nearest-neighbour classification with k chosen by cross-validation (paper Fig. 6:
 * frontal/profile classification from each layer's features, "k learned via 10-fold CV and the
 * best result reported").
 *
 * Rules (stated in output via KNN_RULES):
 *   - Distance: 'cosine' = 1 - cosine similarity (zero-vector rule of cosine.ts), or 'euclidean'.
 *   - Neighbour order: ascending distance, ties by ascending sample index (deterministic).
 *   - Vote: majority among the k nearest; when classes tie on count, the tied class whose nearest
 *     member comes first in the neighbour order wins.
 *   - k larger than the training set is clamped to the training-set size.
 *   - Folds: stratified and seeded. Classes in ascending label order; each class's samples are
 *     shuffled (Fisher-Yates, seedrandom(seed)) and dealt round-robin to folds 0..F-1, the dealer
 *     continuing across classes, so fold sizes differ by at most one and every class is spread
 *     as evenly as possible.
 *   - CV accuracy of a k = pooled correct predictions over all held-out folds / n. The best k is
 *     the one with the highest CV accuracy, ties to the smallest k. Reporting that best accuracy
 *     (what the paper does) is optimistically biased; `nestedKnnAccuracy` gives the unbiased
 *     figure (k chosen by inner CV inside each outer training set).
 *   - A query's neighbours come from a scan of its distance-matrix row, or from neighbour lists
 *     sorted once (neighbours.ts, `knnCvFromNeighbours`): the same rows in the same order.
 */
import { seededStream } from '../../core/random.js';
import { cosineFromParts } from './cosine.js';
import { gramMatrix } from './gram.js';
import { checkMatrix, pairwiseRowSums, rowDot, rowNorms, rowSqDist, type FeatureMatrix } from './matrix.js';
import { NeighbourLists } from './neighbours.js';

export type KnnMetric = 'cosine' | 'euclidean';

export const KNN_RULES = {
  neighbourOrder: 'ascending distance, ties by ascending sample index',
  vote: 'majority of the k nearest; count ties go to the tied class with the nearest member',
  kClamp: 'k > training-set size is clamped to the training-set size',
  folds: 'stratified: per class (ascending label) seeded Fisher-Yates shuffle, dealt round-robin across folds',
  cvAccuracy: 'pooled correct over all held-out folds / n; best k = highest accuracy, ties to smallest k',
} as const;

/** Full n x n distance matrix of the rows of `x` (row-major Float64Array, symmetric, zero diagonal). */
export function distanceMatrix(x: FeatureMatrix, metric: KnnMetric = 'cosine'): Float64Array {
  checkMatrix(x, 'features');
  const n = x.rows;
  if (metric === 'euclidean') {
    const d = pairwiseRowSums(x, 'sqdist');
    for (let k = 0; k < d.length; k++) d[k] = Math.sqrt(d[k]!);
    return d;
  }
  return cosineFromGram(pairwiseRowSums(x, 'dot'), n);
}

/** Gram matrix -> cosine distances, in place (zero-vector rule of cosine.ts, zero diagonal). */
function cosineFromGram(d: Float64Array, n: number): Float64Array {
  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) norms[i] = Math.sqrt(d[i * n + i]!);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) d[i * n + j] = i === j ? 0 : 1 - cosineFromParts(d[i * n + j]!, norms[i]!, norms[j]!);
  }
  return d;
}

/**
 * `distanceMatrix`, with the cosine Gram matrix as blocked float64 matrix products on ONNX
 * Runtime (gram.ts, all cores) instead of the JS loop: the same numbers to float64 rounding,
 * many times faster on wide layers. Euclidean stays on the JS loop, which gives identical rows
 * an exact 0 (|a|^2 + |b|^2 - 2ab would not).
 */
export async function distanceMatrixFast(x: FeatureMatrix, metric: KnnMetric = 'cosine'): Promise<Float64Array> {
  if (metric === 'euclidean') return distanceMatrix(x, metric);
  checkMatrix(x, 'features');
  return cosineFromGram(await gramMatrix(x), x.rows);
}

/** The square sub-matrix D[idx, idx] of an n x n matrix (idx ascending keeps the index tie-break). */
export function subDistanceMatrix(D: Float64Array, n: number, idx: readonly number[]): Float64Array {
  const m = idx.length;
  const out = new Float64Array(m * m);
  for (let a = 0; a < m; a++) {
    const row = idx[a]! * n;
    for (let b = 0; b < m; b++) out[a * m + b] = D[row + idx[b]!]!;
  }
  return out;
}

function checkDistances(D: Float64Array | undefined, n: number): void {
  if (D && D.length !== n * n) throw new RangeError(`distances: ${D.length} values for ${n} x ${n}`);
}

/** Maps arbitrary integer labels to dense ids 0..C-1 (ascending label order). */
function denseLabels(labels: ArrayLike<number>): { y: Int32Array; classes: number[] } {
  const classes = [...new Set(Array.from(labels))].sort((a, b) => a - b);
  const map = new Map(classes.map((c, i) => [c, i]));
  const y = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) y[i] = map.get(labels[i]!)!;
  return { y, classes };
}

/**
 * The `kMax` nearest of `candidates` (ascending sample indices) to a query, as positions into a
 * caller-provided distance getter. Returned in neighbour order (distance asc, index asc).
 */
function nearest(dist: (j: number) => number, candidates: ArrayLike<number>, kMax: number): Int32Array {
  const K = Math.min(kMax, candidates.length);
  const idx = new Int32Array(K);
  const dd = new Float64Array(K);
  let count = 0;
  for (let c = 0; c < candidates.length; c++) {
    const j = candidates[c]!;
    const v = dist(j);
    if (count === K && !(v < dd[K - 1]!)) continue; // equal distance loses: larger index
    let p = count < K ? count++ : K - 1;
    while (p > 0 && dd[p - 1]! > v) {
      dd[p] = dd[p - 1]!;
      idx[p] = idx[p - 1]!;
      p--;
    }
    dd[p] = v;
    idx[p] = j;
  }
  return idx;
}

/** Majority vote over the first k neighbours' (dense) labels with the nearest-member tie-break. */
function vote(neighbourLabels: Int32Array, k: number, counts: Int32Array): number {
  counts.fill(0);
  const kk = Math.min(k, neighbourLabels.length);
  let max = 0;
  for (let t = 0; t < kk; t++) {
    const c = ++counts[neighbourLabels[t]!]!;
    if (c > max) max = c;
  }
  for (let t = 0; t < kk; t++) if (counts[neighbourLabels[t]!] === max) return neighbourLabels[t]!;
  return -1; // no neighbours
}

/**
 * Where a query's neighbours come from: a scan of its row of the n x n distance matrix, or the
 * shared sorted lists of neighbours.ts (same neighbours, same order; faster when many folds ask).
 */
type NeighbourSource = { D: Float64Array; n: number } | NeighbourLists;

/**
 * For each query in `test`, its neighbours among `train` (both ascending global indices into the
 * neighbour source), then the number of correct predictions for each k in `ks`.
 */
function correctPerK(
  src: NeighbourSource,
  y: Int32Array,
  numClasses: number,
  train: ArrayLike<number>,
  test: ArrayLike<number>,
  ks: readonly number[],
): Int32Array {
  const kMax = Math.max(...ks);
  const correct = new Int32Array(ks.length);
  const counts = new Int32Array(numClasses);
  const lists = src instanceof NeighbourLists ? src : undefined;
  let member: Uint8Array | undefined;
  let buf: Int32Array | undefined;
  if (lists) {
    member = new Uint8Array(lists.n);
    for (let t = 0; t < train.length; t++) member[train[t]!] = 1;
    buf = new Int32Array(Math.min(kMax, train.length));
  }
  for (let q = 0; q < test.length; q++) {
    const i = test[q]!;
    let nb: Int32Array;
    if (lists) nb = buf!.subarray(0, lists.nearestIn(i, member!, buf!.length, buf!));
    else {
      const { D, n } = src as { D: Float64Array; n: number };
      const row = i * n;
      nb = nearest((j) => D[row + j]!, train, kMax);
    }
    const nbLabels = new Int32Array(nb.length);
    for (let t = 0; t < nb.length; t++) nbLabels[t] = y[nb[t]!]!;
    for (let s = 0; s < ks.length; s++) if (vote(nbLabels, ks[s]!, counts) === y[i]) correct[s]!++;
  }
  return correct;
}

/**
 * Predicts labels of `test` rows from `train` rows with k-NN (returns the original label values).
 */
export function knnPredict(
  train: FeatureMatrix,
  trainLabels: ArrayLike<number>,
  test: FeatureMatrix,
  k: number,
  metric: KnnMetric = 'cosine',
): Float64Array {
  checkMatrix(train, 'train');
  checkMatrix(test, 'test');
  if (train.cols !== test.cols) throw new RangeError(`column mismatch: ${train.cols} vs ${test.cols}`);
  if (trainLabels.length !== train.rows) throw new RangeError('trainLabels length != train.rows');
  if (!(Number.isInteger(k) && k >= 1)) throw new RangeError(`k must be a positive integer (got ${k})`);
  const { y, classes } = denseLabels(trainLabels);
  const candidates = Int32Array.from({ length: train.rows }, (_, j) => j);
  const trainNorms = metric === 'cosine' ? rowNorms(train) : undefined;
  const testNorms = metric === 'cosine' ? rowNorms(test) : undefined;
  const counts = new Int32Array(classes.length);
  const out = new Float64Array(test.rows);
  for (let i = 0; i < test.rows; i++) {
    const dist = trainNorms
      ? (j: number) => 1 - cosineFromParts(rowDot(test, i, train, j), testNorms![i]!, trainNorms[j]!)
      : (j: number) => rowSqDist(test, i, train, j); // squared: same order as euclidean
    const nb = nearest(dist, candidates, k);
    const nbLabels = new Int32Array(nb.length);
    for (let t = 0; t < nb.length; t++) nbLabels[t] = y[nb[t]!]!;
    const c = vote(nbLabels, k, counts);
    out[i] = c < 0 ? NaN : classes[c]!;
  }
  return out;
}

/**
 * Stratified, seeded fold assignment: returns fold id (0..folds-1) per sample. See KNN_RULES.folds.
 */
export function stratifiedFolds(labels: ArrayLike<number>, folds: number, seed: string | number): Int32Array {
  const n = labels.length;
  if (!(Number.isInteger(folds) && folds >= 2 && folds <= n)) {
    throw new RangeError(`folds must be an integer in [2, n=${n}] (got ${folds})`);
  }
  const { y, classes } = denseLabels(labels);
  const rng = seededStream(seed);
  const out = new Int32Array(n);
  let dealer = 0;
  for (let c = 0; c < classes.length; c++) {
    const members: number[] = [];
    for (let i = 0; i < n; i++) if (y[i] === c) members.push(i);
    for (let t = members.length - 1; t > 0; t--) {
      const r = Math.floor(rng() * (t + 1));
      const tmp = members[t]!;
      members[t] = members[r]!;
      members[r] = tmp;
    }
    for (const i of members) out[i] = dealer++ % folds;
  }
  return out;
}

export interface KnnCvResult {
  ks: number[];
  /** Pooled CV accuracy per k (same order as ks). */
  accuracies: number[];
  /** foldAccuracies[s][f] = accuracy of ks[s] on held-out fold f. */
  foldAccuracies: number[][];
  bestK: number;
  bestAccuracy: number;
  folds: number;
  seed: string;
  metric: KnnMetric;
  rules: typeof KNN_RULES;
}

function validateKs(ks: readonly number[]): number[] {
  if (ks.length === 0) throw new RangeError('ks is empty');
  for (const k of ks) if (!(Number.isInteger(k) && k >= 1)) throw new RangeError(`bad k ${k}`);
  return [...ks];
}

/** CV over a precomputed distance matrix restricted to `subset` (ascending global indices). */
function cvOnSubset(
  src: NeighbourSource,
  y: Int32Array,
  numClasses: number,
  subset: Int32Array,
  ks: number[],
  folds: number,
  seed: string,
): { accuracies: number[]; foldAccuracies: number[][]; bestK: number; bestAccuracy: number } {
  const subLabels = Int32Array.from(subset, (i) => y[i]!);
  const foldOf = stratifiedFolds(subLabels, folds, seed);
  const total = new Int32Array(ks.length);
  const foldAccuracies: number[][] = ks.map(() => []);
  for (let f = 0; f < folds; f++) {
    const train: number[] = [];
    const test: number[] = [];
    for (let t = 0; t < subset.length; t++) (foldOf[t] === f ? test : train).push(subset[t]!);
    const correct = correctPerK(src, y, numClasses, train, test, ks);
    for (let s = 0; s < ks.length; s++) {
      total[s]! += correct[s]!;
      foldAccuracies[s]!.push(correct[s]! / test.length);
    }
  }
  const accuracies = Array.from(total, (c) => c / subset.length);
  let best = 0;
  for (let s = 1; s < ks.length; s++) {
    if (accuracies[s]! > accuracies[best]! || (accuracies[s] === accuracies[best] && ks[s]! < ks[best]!)) best = s;
  }
  return { accuracies, foldAccuracies, bestK: ks[best]!, bestAccuracy: accuracies[best]! };
}

/** The checks and the distance matrix both CV entry points start from. */
function prepareKnn(features: FeatureMatrix, labels: ArrayLike<number>, ks: readonly number[], metric: KnnMetric, distances?: Float64Array) {
  checkMatrix(features, 'features');
  if (labels.length !== features.rows) throw new RangeError('labels length != features.rows');
  const kList = validateKs(ks);
  const { y, classes } = denseLabels(labels);
  checkDistances(distances, features.rows);
  return { kList, y, classes, n: features.rows, D: distances ?? distanceMatrix(features, metric) };
}

/**
 * k-fold CV accuracy of k-NN for every k in `ks`, and the best k (what the paper's Fig. 6 reports).
 * `labels` are integer class ids (e.g. 0 = frontal, 1 = profile).
 */
export function crossValidateK(
  features: FeatureMatrix,
  labels: ArrayLike<number>,
  ks: readonly number[],
  folds = 10,
  seed: string | number = 'facelens',
  metric: KnnMetric = 'cosine',
  /** Precomputed distanceMatrix(features, metric), e.g. shared with nestedKnnAccuracy. */
  distances?: Float64Array,
): KnnCvResult {
  const { kList, y, classes, n, D } = prepareKnn(features, labels, ks, metric, distances);
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const r = cvOnSubset({ D, n }, y, classes.length, all, kList, folds, String(seed));
  return { ks: kList, ...r, folds, seed: String(seed), metric, rules: KNN_RULES };
}

export interface NestedKnnResult {
  /** Pooled outer accuracy: correct outer-test predictions / n, each made with its fold's chosen k. */
  accuracy: number;
  /** Accuracy per outer fold. */
  foldAccuracies: number[];
  /** k chosen by inner CV in each outer fold. */
  chosenK: number[];
  outerFolds: number;
  innerFolds: number;
  seed: string;
  metric: KnnMetric;
  rules: typeof KNN_RULES;
}

/**
 * Nested CV: for each outer fold f (stratified, seed `seed`), run `innerFolds`-fold CV over `ks` on
 * the outer training set only (stratified, seed `${seed}/inner${f}`), take its best k, and classify
 * outer fold f's samples with that k against the whole outer training set. The result is an
 * unbiased estimate of "k-NN with k tuned by CV", unlike crossValidateK's bestAccuracy.
 */
export function nestedKnnAccuracy(
  features: FeatureMatrix,
  labels: ArrayLike<number>,
  ks: readonly number[],
  options: { outerFolds?: number; innerFolds?: number; seed?: string | number; metric?: KnnMetric; distances?: Float64Array } = {},
): NestedKnnResult {
  const outerFolds = options.outerFolds ?? 10;
  const innerFolds = options.innerFolds ?? 10;
  const seed = String(options.seed ?? 'facelens');
  const metric = options.metric ?? 'cosine';
  const { kList, y, classes, n, D } = prepareKnn(features, labels, ks, metric, options.distances);
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const r = nestedOnSubset({ D, n }, y, classes.length, all, kList, outerFolds, innerFolds, seed);
  return { ...r, outerFolds, innerFolds, seed, metric, rules: KNN_RULES };
}

/** Nested CV over `subset` (ascending global indices); `y` holds dense labels at global indices. */
function nestedOnSubset(
  src: NeighbourSource,
  y: Int32Array,
  numClasses: number,
  subset: Int32Array,
  kList: number[],
  outerFolds: number,
  innerFolds: number,
  seed: string,
): { accuracy: number; foldAccuracies: number[]; chosenK: number[] } {
  const outerOf = stratifiedFolds(Int32Array.from(subset, (i) => y[i]!), outerFolds, seed);
  let correctTotal = 0;
  const foldAccuracies: number[] = [];
  const chosenK: number[] = [];
  for (let f = 0; f < outerFolds; f++) {
    const train: number[] = [];
    const test: number[] = [];
    for (let t = 0; t < subset.length; t++) (outerOf[t] === f ? test : train).push(subset[t]!);
    const inner = cvOnSubset(src, y, numClasses, Int32Array.from(train), kList, innerFolds, `${seed}/inner${f}`);
    const correct = correctPerK(src, y, numClasses, train, test, [inner.bestK])[0]!;
    chosenK.push(inner.bestK);
    foldAccuracies.push(correct / test.length);
    correctTotal += correct;
  }
  return { accuracy: correctTotal / subset.length, foldAccuracies, chosenK };
}

/**
 * `crossValidateK` and `nestedKnnAccuracy` of the rows `rows` (ascending indices into `lists`;
 * `labels[t]` is row rows[t]'s class), from shared neighbour lists instead of a distance matrix:
 * the same folds, neighbours and votes, so the same numbers as those two run on those rows'
 * features (the yaw probe's frontal/turned subset uses it with the lists of all its faces).
 */
export function knnCvFromNeighbours(
  lists: NeighbourLists,
  rows: readonly number[],
  labels: ArrayLike<number>,
  ks: readonly number[],
  options: { folds?: number; innerFolds?: number; seed?: string | number } = {},
): { cv: Omit<KnnCvResult, 'rules' | 'metric'>; nested: Omit<NestedKnnResult, 'rules' | 'metric'> } {
  if (labels.length !== rows.length) throw new RangeError(`labels: ${labels.length} for ${rows.length} rows`);
  for (let t = 0; t < rows.length; t++) {
    const r = rows[t]!;
    if (!(Number.isInteger(r) && r >= 0 && r < lists.n) || (t > 0 && r <= rows[t - 1]!)) throw new RangeError('rows must be ascending indices into the neighbour lists');
  }
  const kList = validateKs(ks);
  const folds = options.folds ?? 10;
  const innerFolds = options.innerFolds ?? 10;
  const seed = String(options.seed ?? 'facelens');
  const { y: dense, classes } = denseLabels(labels);
  const y = new Int32Array(lists.n).fill(-1);
  rows.forEach((r, t) => (y[r] = dense[t]!));
  const subset = Int32Array.from(rows);
  const cv = cvOnSubset(lists, y, classes.length, subset, kList, folds, seed);
  const nested = nestedOnSubset(lists, y, classes.length, subset, kList, folds, innerFolds, seed);
  return { cv: { ks: kList, ...cv, folds, seed }, nested: { ...nested, outerFolds: folds, innerFolds, seed } };
}
