/**
 * Seeded k-means (Lloyd) with k-means++ seeding (Arthur & Vassilvitskii 2007), for grouping
 * t-SNE coordinates of a neuron's top samples into facets. Works in any dimension.
 *
 * Hand-written: `ml-kmeans` (mljs, maintained, seeded) would do, but it is not a dependency and
 * brings five more packages; this is ~100 lines. If the project adds ml-kmeans later, swapping
 * is fine; results will differ in the random draws, not in quality.
 *
 * Determinism: the same points, k and seed give the same result. Restarts (`nInit`) draw from
 * one seeded stream; the run with the lowest inertia wins (the first on ties). Assignment ties
 * go to the lower centroid index; an emptied cluster takes the point farthest from its centroid.
 * Labels are renumbered in order of first appearance (point 0 is in cluster 0), so they do not
 * depend on the seeding order.
 */
import { seededStream } from '../../core/random.js';
import { toRows, type MatrixInput } from './matrix.js';

export interface KMeansOptions {
  /** RNG seed. Default 0. */
  seed?: number | string;
  /** Independent k-means++ restarts; the lowest inertia wins. Default 10. */
  nInit?: number;
  /** Lloyd iterations per restart. Default 300. */
  maxIter?: number;
}

export interface KMeansResult {
  /** Cluster of each point, 0..k-1, numbered by first appearance. */
  labels: Int32Array;
  /** k centroids, in label order. */
  centroids: Float64Array[];
  /** Sum of squared distances of the points to their centroids. */
  inertia: number;
  /** Lloyd iterations of the winning run. */
  iterations: number;
  /** Whether the winning run stopped because no label changed. */
  converged: boolean;
  /** Points in each cluster. */
  sizes: number[];
}

function dist2(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) {
    const t = a[k]! - b[k]!;
    s += t * t;
  }
  return s;
}

/** k-means++ seeding: indices of k points, each drawn with probability ~ D^2. */
export function kmeansPlusPlus(X: readonly Float64Array[], k: number, rng: () => number): number[] {
  const n = X.length;
  const chosen: number[] = [Math.min(n - 1, Math.floor(rng() * n))];
  const d2 = X.map((x) => dist2(x, X[chosen[0]!]!));
  while (chosen.length < k) {
    const total = d2.reduce((s, v) => s + v, 0);
    let next = -1;
    if (total > 0) {
      let r = rng() * total;
      for (let i = 0; i < n; i++) {
        if (d2[i]! <= 0) continue;
        next = i;
        r -= d2[i]!;
        if (r < 0) break;
      }
    } else {
      // Fewer distinct points than k: take the lowest index not yet chosen.
      for (let i = 0; i < n && next < 0; i++) if (!chosen.includes(i)) next = i;
    }
    chosen.push(next);
    const c = X[next]!;
    for (let i = 0; i < n; i++) d2[i] = Math.min(d2[i]!, dist2(X[i]!, c));
  }
  return chosen;
}

function lloyd(X: readonly Float64Array[], init: number[], maxIter: number): Omit<KMeansResult, 'sizes'> {
  const n = X.length;
  const k = init.length;
  const d = X[0]!.length;
  const C = init.map((i) => Float64Array.from(X[i]!));
  const labels = new Int32Array(n).fill(-1);
  let iterations = 0;
  let converged = false;
  while (iterations < maxIter) {
    iterations++;
    let changed = false;
    for (let i = 0; i < n; i++) {
      let best = 0;
      let bestD = Infinity;
      for (let c = 0; c < k; c++) {
        const dd = dist2(X[i]!, C[c]!);
        if (dd < bestD) {
          bestD = dd;
          best = c;
        }
      }
      if (labels[i] !== best) {
        labels[i] = best;
        changed = true;
      }
    }
    if (!changed) {
      converged = true;
      break;
    }
    const counts = new Array<number>(k).fill(0);
    for (const c of C) c.fill(0);
    for (let i = 0; i < n; i++) {
      const c = labels[i]!;
      counts[c]!++;
      for (let j = 0; j < d; j++) C[c]![j]! += X[i]![j]!;
    }
    for (let c = 0; c < k; c++) {
      if (counts[c]! > 0) {
        for (let j = 0; j < d; j++) C[c]![j] = C[c]![j]! / counts[c]!;
      }
    }
    for (let c = 0; c < k; c++) {
      if (counts[c]! > 0) continue;
      // Empty cluster: move it to the point farthest from its centroid, in a cluster of >= 2.
      let far = -1;
      let farD = -1;
      for (let i = 0; i < n; i++) {
        if (counts[labels[i]!]! < 2) continue;
        const dd = dist2(X[i]!, C[labels[i]!]!);
        if (dd > farD) {
          farD = dd;
          far = i;
        }
      }
      if (far < 0) continue; // fewer distinct points than k
      counts[labels[far]!]!--;
      labels[far] = c;
      counts[c] = 1;
      C[c] = Float64Array.from(X[far]!);
    }
  }
  let inertia = 0;
  for (let i = 0; i < n; i++) inertia += dist2(X[i]!, C[labels[i]!]!);
  return { labels, centroids: C, inertia, iterations, converged };
}

/** Cluster the rows of `points` into k groups. */
export function kmeans(points: MatrixInput, k: number, options: KMeansOptions = {}): KMeansResult {
  const X = toRows(points, 'kmeans');
  const n = X.length;
  if (!Number.isInteger(k) || k < 1 || k > n) throw new RangeError(`kmeans: k must be an integer in [1, ${n}], got ${k}`);
  const nInit = options.nInit ?? 10;
  const maxIter = options.maxIter ?? 300;
  if (!Number.isInteger(nInit) || nInit < 1) throw new RangeError(`kmeans: bad nInit ${nInit}`);
  if (!Number.isInteger(maxIter) || maxIter < 1) throw new RangeError(`kmeans: bad maxIter ${maxIter}`);
  const rng = seededStream(options.seed ?? 0);
  let best: Omit<KMeansResult, 'sizes'> | undefined;
  for (let run = 0; run < nInit; run++) {
    const r = lloyd(X, kmeansPlusPlus(X, k, rng), maxIter);
    if (best === undefined || r.inertia < best.inertia) best = r;
  }
  const win = best!;
  // Renumber by first appearance.
  const map = new Int32Array(k).fill(-1);
  let next = 0;
  for (const l of win.labels) if (map[l] === -1) map[l] = next++;
  for (let c = 0; c < k; c++) if (map[c] === -1) map[c] = next++;
  const labels = win.labels.map((l) => map[l]!);
  const centroids = new Array<Float64Array>(k);
  for (let c = 0; c < k; c++) centroids[map[c]!] = win.centroids[c]!;
  const sizes = new Array<number>(k).fill(0);
  for (const l of labels) sizes[l]!++;
  return { labels, centroids, inertia: win.inertia, iterations: win.iterations, converged: win.converged, sizes };
}
