/**
 * PCA projection (centred, unscaled), via ml-pca's SVD method (ml-matrix's Golub-Kahan SVD
 * with auto-transpose, so n << d inputs such as 50 samples x 8192 features cost
 * O(d n^2)). This module only adds input conversion, the dims clamp, and a deterministic sign
 * convention, which ml-pca does not define (an SVD's singular vectors are unique up to sign).
 *
 * Sign convention: each component is flipped so that its largest-magnitude loading (entry of
 * the eigenvector; the lowest feature index wins exact ties) is positive.
 */
import { Matrix } from 'ml-matrix';
import { PCA } from 'ml-pca';
import { toRows, type DenseMatrix, type MatrixInput } from './matrix.js';

export type { DenseMatrix, MatrixInput };

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
}

/** Project `input` (n rows x cols) onto its first min(dims, n - 1, cols) principal axes. */
export function pca(input: MatrixInput, dims: number): PcaResult {
  if (!Number.isInteger(dims) || dims < 0) throw new RangeError(`pca: dims must be a non-negative integer, got ${dims}`);
  const rows = toRows(input, 'pca');
  const n = rows.length;
  const d = n > 0 ? rows[0]!.length : 0;
  const mean = new Float64Array(d);
  for (const r of rows) for (let j = 0; j < d; j++) mean[j]! += r[j]! / n;
  const k = Math.max(0, Math.min(dims, n - 1, d));
  if (k === 0) {
    return { coords: Array.from({ length: n }, () => new Float64Array(0)), dims: 0, components: [], variances: [], varianceRatio: [], mean };
  }

  const X = new Matrix(n, d);
  rows.forEach((r, i) => r.forEach((v, j) => X.set(i, j, v)));
  const model = new PCA(X, { method: 'SVD', center: true, scale: false });
  const U = model.getEigenvectors(); // d x r, columns sorted by decreasing eigenvalue
  const eig = model.getEigenvalues();
  const total = eig.reduce((s, v) => s + v, 0);

  const components: Float64Array[] = [];
  for (let c = 0; c < k; c++) {
    const axis = new Float64Array(d);
    let best = 0;
    for (let j = 0; j < d; j++) {
      axis[j] = U.get(j, c);
      if (Math.abs(axis[j]!) > Math.abs(axis[best]!)) best = j;
    }
    if (axis[best]! < 0) for (let j = 0; j < d; j++) axis[j] = -axis[j]!;
    components.push(axis);
  }

  const coords: Float64Array[] = [];
  for (let i = 0; i < n; i++) {
    const row = new Float64Array(k);
    for (let c = 0; c < k; c++) {
      const axis = components[c]!;
      let s = 0;
      const r = rows[i]!;
      for (let j = 0; j < d; j++) s += (r[j]! - mean[j]!) * axis[j]!;
      row[c] = s;
    }
    coords.push(row);
  }
  const variances = eig.slice(0, k);
  return { coords, dims: k, components, variances, varianceRatio: variances.map((v) => (total > 0 ? v / total : 0)), mean };
}
