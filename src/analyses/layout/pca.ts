/**
 * PCA projection (centred, unscaled) with a deterministic sign convention.
 *
 * Two routes to the same result:
 *  - d <= n (more samples than features): ml-pca's SVD method (ml-matrix Golub-Kahan SVD).
 *  - d > n (the t-SNE case: 50 samples of a 4x4x512 = 8192-value pool5 window): ml-pca would
 *    be correct but takes ~2 s per call here (its SVD walks an 8192 x 50 matrix through
 *    Matrix.get/set), i.e. minutes per layer when every neuron gets a layout. Instead the n x n
 *    Gram matrix Xc Xc^T is formed with plain loops (O(n^2 d), ~10 ms) and eigen-decomposed with
 *    ml-matrix's symmetric EVD; axes are Xc^T v_k, re-orthogonalised and normalised, and
 *    coordinates the projections onto them, as on the other route. Directions whose
 *    eigenvalue is below 1e-10 of the largest (rank-deficient data) are rounding noise; they
 *    get variance 0 and an axis completing the orthonormal basis. Squaring the data conditions only the smallest components, which matter
 *    neither for the variance ordering nor for t-SNE (it keeps all n - 1 of them and only
 *    sees distances, which any orthonormal basis of the span preserves).
 * `method` forces a route (tests check both agree).
 *
 * Sign convention: each component is flipped so that its largest-magnitude loading (entry of
 * the unit axis; the lowest feature index wins exact ties) is positive. ml-pca defines none
 * (singular vectors are unique only up to sign), so without this a library update could
 * mirror every layout.
 */
import { EVD, Matrix } from 'ml-matrix';
import { PCA } from 'ml-pca';
import { toRows, type DenseMatrix, type MatrixInput } from './matrix.js';

export type { DenseMatrix, MatrixInput };

export interface PcaOptions {
  /** 'auto' (default): Gram route when cols > rows, ml-pca's SVD otherwise. */
  method?: 'auto' | 'svd' | 'gram';
}

export interface PcaResult {
  /** n rows of `dims` projected coordinates. */
  coords: Float64Array[];
  /** Number of components kept: min(requested, n - 1, cols), 0 when n <= 1. */
  dims: number;
  /** `dims` unit principal axes, each of length cols, sign-normalised (see module comment). */
  components: Float64Array[];
  /** Variance along each kept axis (eigenvalues of the covariance, divisor n - 1). */
  variances: number[];
  /** Fraction of the total variance each kept axis explains. */
  varianceRatio: number[];
  /** Column means subtracted before projecting. */
  mean: Float64Array;
  /** Route taken. */
  method: 'svd' | 'gram';
}

/** Axes (unit, d long) and variances of the top k components, before the sign convention. */
interface Decomposition {
  axes: Float64Array[];
  variances: number[];
  total: number;
}

function viaSvd(Xc: Float64Array[], d: number, k: number): Decomposition {
  const n = Xc.length;
  const X = new Matrix(n, d);
  Xc.forEach((r, i) => r.forEach((v, j) => X.set(i, j, v)));
  // Already centred; ml-pca centring again is harmless (means are ~0).
  const model = new PCA(X, { method: 'SVD', center: true, scale: false });
  const U = model.getEigenvectors(); // d x r, columns sorted by decreasing eigenvalue
  const eig = model.getEigenvalues();
  const axes: Float64Array[] = [];
  for (let c = 0; c < k; c++) axes.push(Float64Array.from({ length: d }, (_, j) => U.get(j, c)));
  return { axes, variances: eig.slice(0, k), total: eig.reduce((s, v) => s + v, 0) };
}

/** Subtract from `v` its projections on the unit, orthogonal `axes` (modified Gram-Schmidt). */
function orthogonalise(v: Float64Array, axes: readonly Float64Array[]): number {
  for (const a of axes) {
    let p = 0;
    for (let t = 0; t < v.length; t++) p += v[t]! * a[t]!;
    for (let t = 0; t < v.length; t++) v[t] = v[t]! - p * a[t]!;
  }
  let norm = 0;
  for (let t = 0; t < v.length; t++) norm += v[t]! * v[t]!;
  return Math.sqrt(norm);
}

function viaGram(Xc: Float64Array[], d: number, k: number): Decomposition {
  const n = Xc.length;
  const K = new Matrix(n, n);
  for (let i = 0; i < n; i++) {
    const a = Xc[i]!;
    for (let j = i; j < n; j++) {
      const b = Xc[j]!;
      let s = 0;
      for (let t = 0; t < d; t++) s += a[t]! * b[t]!;
      K.set(i, j, s);
      K.set(j, i, s);
    }
  }
  const evd = new EVD(K, { assumeSymmetric: true });
  const lambda = evd.realEigenvalues;
  const V = evd.eigenvectorMatrix;
  const order = lambda.map((_, i) => i).sort((a, b) => lambda[b]! - lambda[a]! || a - b);
  // Eigenvalues this small relative to the largest are rounding noise: Xc^T v is then noise of
  // size ~eps lying inside the data span, and normalising it would give a non-orthogonal axis.
  const nullBelow = 1e-10 * Math.max(0, lambda[order[0]!]!);
  const axes: Float64Array[] = [];
  const variances: number[] = [];
  for (let c = 0; c < k; c++) {
    const col = order[c]!;
    let axis = new Float64Array(d);
    let norm = 0;
    if (lambda[col]! > nullBelow) {
      for (let i = 0; i < n; i++) {
        const w = V.get(i, col);
        const r = Xc[i]!;
        for (let t = 0; t < d; t++) axis[t] = axis[t]! + w * r[t]!;
      }
      // Axes of eigenvalues near the noise floor lose orthogonality (error ~ eps lambda_max /
      // lambda): re-orthogonalise those; the others are orthogonal to ~1e-10 as they are.
      norm = orthogonalise(axis, lambda[col]! < 1e-6 * lambda[order[0]!]! ? axes : []);
    }
    // Null direction: complete the orthonormal basis with the first unit vector e_j not in the
    // span of the axes so far (deterministic; the data have ~0 variance along it).
    for (let j = 0; norm < 0.5 && j < d; j++) {
      axis = new Float64Array(d);
      axis[j] = 1;
      norm = orthogonalise(axis, axes);
    }
    for (let t = 0; t < d; t++) axis[t] = axis[t]! / norm;
    axes.push(axis);
    variances.push(lambda[col]! > nullBelow ? lambda[col]! / (n - 1) : 0);
  }
  const total = lambda.reduce((s, v) => s + Math.max(0, v), 0) / (n - 1);
  return { axes, variances, total };
}

/** Project `input` (n rows x cols) onto its first min(dims, n - 1, cols) principal axes. */
export function pca(input: MatrixInput, dims: number, options: PcaOptions = {}): PcaResult {
  if (!Number.isInteger(dims) || dims < 0) throw new RangeError(`pca: dims must be a non-negative integer, got ${dims}`);
  const rows = toRows(input, 'pca');
  const n = rows.length;
  const d = n > 0 ? rows[0]!.length : 0;
  const mean = new Float64Array(d);
  for (const r of rows) for (let j = 0; j < d; j++) mean[j] = mean[j]! + r[j]! / n;
  const method = options.method === undefined || options.method === 'auto' ? (d > n ? 'gram' : 'svd') : options.method;
  const k = Math.max(0, Math.min(dims, n - 1, d));
  if (k === 0) {
    return { coords: rows.map(() => new Float64Array(0)), dims: 0, components: [], variances: [], varianceRatio: [], mean, method };
  }
  const Xc = rows.map((r) => r.map((v, j) => v - mean[j]!));
  const dec = method === 'gram' ? viaGram(Xc, d, k) : viaSvd(Xc, d, k);

  for (const axis of dec.axes) {
    let best = 0;
    for (let j = 1; j < d; j++) if (Math.abs(axis[j]!) > Math.abs(axis[best]!)) best = j;
    if (axis[best]! < 0) for (let j = 0; j < d; j++) axis[j] = -axis[j]!;
  }
  const coords = Xc.map((r) => {
    const out = new Float64Array(k);
    for (let c = 0; c < k; c++) {
      const axis = dec.axes[c]!;
      let s = 0;
      for (let j = 0; j < d; j++) s += r[j]! * axis[j]!;
      out[c] = s;
    }
    return out;
  });
  return {
    coords,
    dims: k,
    components: dec.axes,
    variances: dec.variances,
    varianceRatio: dec.variances.map((v) => (dec.total > 0 ? v / dec.total : 0)),
    mean,
    method,
  };
}
