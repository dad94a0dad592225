/**
 * Neuron similarity matrix (paper eq. 2, Fig. 8, Table III).
 *
 * Input: a sweep table V [images x neurons] (row-major Float32Array), V[x, i] = neuron i's
 * projection value on image x (facelens: spatial max of channel i's map).
 *   C_i    = top-n images of neuron i (value descending, ties to the lower image index),
 *   A[i,j] = sum_{x in C_j} V[x, i]        (what neuron i gives to neuron j's favourite images),
 *   S_ij   = 1/2 ( A[i,j] / A[i,i] + A[j,i] / A[j,j] ),   S_ii = 1.
 * With non-negative V (post-ReLU pooled maps, the paper's setting) A[i,j] <= A[i,i], because C_i
 * maximises the n-sum of neuron i, so 0 <= S_ij <= 1. Eq. 2 assumes this; with signed values
 * (e.g. pre-activation or embedding units) the ratios are computed the same way but have no
 * bounded meaning.
 *
 * Zero denominator: A[i,i] = 0 means neuron i's top-n sum is 0 (a dead neuron on this data set
 * when V >= 0). Its ratio A[i,j] / A[i,i] is then defined as 0, so S_ij = 1/2 (A[j,i] / A[j,j]);
 * S_ii stays 1. Such neurons are listed in `deadNeurons`.
 *
 * Fast path: B = A^T is built by summing, for each neuron j, the n rows V[x, :] with x in C_j:
 * O(neurons * n * neurons), no dense products (512 x 5000 with n = 50: ~13 M multiply-adds).
 */

export interface SimilarityResult {
  /** neurons x neurons, row-major, symmetric, diagonal 1. */
  S: Float64Array;
  neurons: number;
  images: number;
  n: number;
  /** neurons x n, row j = C_j in descending-value order (ties by image index asc). */
  topSets: Int32Array;
  /** A[i,i] = sum of neuron i's top-n values, per neuron. */
  topSums: Float64Array;
  /** Neurons whose top-n sum is exactly 0. */
  deadNeurons: number[];
  zeroDenominatorRule: string;
}

export const ZERO_DENOMINATOR_RULE =
  'if sum_{x in C_i} V[x,i] = 0 the ratio A[i,j]/A[i,i] is taken as 0 (S_ii stays 1)';

function checkTable(V: Float32Array, images: number, neurons: number, n: number): void {
  if (!Number.isInteger(images) || !Number.isInteger(neurons) || images < 1 || neurons < 1) {
    throw new RangeError(`bad table shape ${images} x ${neurons}`);
  }
  if (V.length !== images * neurons) throw new RangeError(`V length ${V.length} != images*neurons ${images * neurons}`);
  if (!(Number.isInteger(n) && n >= 1 && n <= images)) throw new RangeError(`n must be an integer in [1, ${images}] (got ${n})`);
  for (let k = 0; k < V.length; k++) if (Number.isNaN(V[k])) throw new RangeError(`V has NaN at flat index ${k}`);
}

/**
 * Top-n image indices of every neuron: row i of the result (neurons x n) holds neuron i's images
 * by value descending, ties by image index ascending. O(images * neurons) typical (insertion into
 * an n-slot buffer that rejects most candidates with one comparison).
 */
export function topN(V: Float32Array, images: number, neurons: number, n: number): Int32Array {
  checkTable(V, images, neurons, n);
  const out = new Int32Array(neurons * n);
  const vals = new Float64Array(n);
  const idx = new Int32Array(n);
  for (let i = 0; i < neurons; i++) {
    let count = 0;
    for (let x = 0; x < images; x++) {
      const v = V[x * neurons + i]!;
      // scanning x ascending, an equal value never displaces an earlier (lower-index) image
      if (count === n && !(v > vals[n - 1]!)) continue;
      let p = count < n ? count++ : n - 1;
      while (p > 0 && vals[p - 1]! < v) {
        vals[p] = vals[p - 1]!;
        idx[p] = idx[p - 1]!;
        p--;
      }
      vals[p] = v;
      idx[p] = x;
    }
    out.set(idx, i * n);
  }
  return out;
}

/** The similarity matrix of eq. 2 for every pair of neurons (see the module comment). */
export function similarityMatrix(V: Float32Array, images: number, neurons: number, n = 50): SimilarityResult {
  const top = topN(V, images, neurons, n);
  // B[j, i] = A[i, j] = sum_{x in C_j} V[x, i]: add the n rows of C_j into row j of B.
  const B = new Float64Array(neurons * neurons);
  for (let j = 0; j < neurons; j++) {
    const bRow = j * neurons;
    for (let t = 0; t < n; t++) {
      const vRow = top[j * n + t]! * neurons;
      for (let i = 0; i < neurons; i++) B[bRow + i]! += V[vRow + i]!;
    }
  }
  const diag = new Float64Array(neurons);
  const dead: number[] = [];
  for (let i = 0; i < neurons; i++) {
    diag[i] = B[i * neurons + i]!;
    if (diag[i] === 0) dead.push(i);
  }
  const S = new Float64Array(neurons * neurons);
  for (let i = 0; i < neurons; i++) {
    S[i * neurons + i] = 1;
    for (let j = i + 1; j < neurons; j++) {
      const aij = B[j * neurons + i]!; // A[i,j]
      const aji = B[i * neurons + j]!; // A[j,i]
      const r1 = diag[i] === 0 ? 0 : aij / diag[i]!;
      const r2 = diag[j] === 0 ? 0 : aji / diag[j]!;
      const s = 0.5 * (r1 + r2);
      S[i * neurons + j] = s;
      S[j * neurons + i] = s;
    }
  }
  return {
    S,
    neurons,
    images,
    n,
    topSets: top,
    topSums: diag,
    deadNeurons: dead,
    zeroDenominatorRule: ZERO_DENOMINATOR_RULE,
  };
}

/** The k most similar (redundant) neuron pairs i < j, by S_ij descending, ties by (i, j) ascending. */
export function mostRedundantPairs(S: Float64Array, k: number): { i: number; j: number; s: number }[] {
  const m = squareSide(S);
  const pairs: { i: number; j: number; s: number }[] = [];
  for (let i = 0; i < m; i++) for (let j = i + 1; j < m; j++) pairs.push({ i, j, s: S[i * m + j]! });
  pairs.sort((a, b) => b.s - a.s || a.i - b.i || a.j - b.j);
  return pairs.slice(0, Math.max(0, k));
}

/**
 * The k most independent neurons: lowest mean off-diagonal similarity (mean over j != i of S_ij),
 * ascending, ties by neuron index ascending.
 */
export function mostIndependent(S: Float64Array, k: number): { neuron: number; meanSimilarity: number }[] {
  const m = squareSide(S);
  const out: { neuron: number; meanSimilarity: number }[] = [];
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let j = 0; j < m; j++) if (j !== i) s += S[i * m + j]!;
    out.push({ neuron: i, meanSimilarity: m > 1 ? s / (m - 1) : NaN });
  }
  out.sort((a, b) => a.meanSimilarity - b.meanSimilarity || a.neuron - b.neuron);
  return out.slice(0, Math.max(0, k));
}

function squareSide(S: Float64Array): number {
  const m = Math.round(Math.sqrt(S.length));
  if (m * m !== S.length) throw new RangeError(`S has ${S.length} entries, not a square matrix`);
  return m;
}

export interface HierarchicalResult {
  /** Leaf order for a reordered heatmap (left subtree first). */
  order: Int32Array;
  /**
   * Merges in scipy `linkage` form: cluster ids 0..m-1 are leaves, merge t creates id m + t;
   * each row is [a, b, distance, size] with a < b.
   */
  merges: [number, number, number, number][];
}

/**
 * Average-linkage (UPGMA) agglomerative clustering on distance 1 - S (S symmetrised as
 * (S_ij + S_ji) / 2), returning the dendrogram leaf order. Each step merges the closest pair of
 * active clusters (ties: the pair found first scanning ids ascending, i.e. smallest (a, b)); the
 * new cluster lists the leaves of its smaller-id child first. Without ties this is the order
 * scipy's `leaves_list(linkage(1 - S, 'average'))` gives. O(m^3) time, O(m^2) memory.
 */
export function hierarchicalOrder(S: Float64Array): HierarchicalResult {
  const m = squareSide(S);
  if (m === 0) return { order: new Int32Array(0), merges: [] };
  const total = 2 * m - 1;
  // Distances between active clusters, indexed by cluster id (up to 2m-1 ids).
  const D = new Float64Array(total * total);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) D[i * total + j] = i === j ? 0 : 1 - 0.5 * (S[i * m + j]! + S[j * m + i]!);
  }
  const size = new Int32Array(total);
  const leaves: number[][] = [];
  const active: number[] = [];
  for (let i = 0; i < m; i++) {
    size[i] = 1;
    leaves.push([i]);
    active.push(i);
  }
  const merges: [number, number, number, number][] = [];
  for (let t = 0; t < m - 1; t++) {
    let bestD = Infinity, ba = -1, bb = -1;
    for (let p = 0; p < active.length; p++) {
      const a = active[p]!;
      for (let q = p + 1; q < active.length; q++) {
        const b = active[q]!;
        const v = D[a * total + b]!;
        if (v < bestD) {
          bestD = v;
          ba = a;
          bb = b;
        }
      }
    }
    const id = m + t;
    const na = size[ba]!, nb = size[bb]!;
    size[id] = na + nb;
    leaves.push([...leaves[ba]!, ...leaves[bb]!]);
    for (const c of active) {
      if (c === ba || c === bb) continue;
      const v = (na * D[c * total + ba]! + nb * D[c * total + bb]!) / (na + nb);
      D[c * total + id] = v;
      D[id * total + c] = v;
    }
    active.splice(active.indexOf(bb), 1);
    active.splice(active.indexOf(ba), 1);
    active.push(id); // ids stay ascending in `active`
    merges.push([ba, bb, bestD, na + nb]);
  }
  return { order: Int32Array.from(leaves[total - 1]!), merges };
}
