/**
 * Cosine similarity and distance (paper Sec. III: "we usually use cosine distance of features
 * to measure a face pair"; used by the invariance plot, the verification table and kNN).
 *
 *   cos(a, b) = a.b / (|a| |b|),   cosine distance = 1 - cos(a, b)   (range 0..2).
 *
 * Zero vectors (a dead layer, e.g. an all-zero ReLU map) have no direction, so cos is undefined.
 * facelens defines, everywhere in this module:
 *   - both vectors zero        -> similarity 1 (distance 0): identical vectors are at distance 0;
 *   - exactly one vector zero  -> similarity 0 (distance 1): no shared direction, like orthogonal vectors.
 * Results are clamped to [-1, 1] to absorb rounding. Sums are accumulated in float64.
 */
import { checkMatrix, rowDot, rowNorms, type FeatureMatrix } from './matrix.js';

export const ZERO_VECTOR_RULE =
  'cosine with a zero vector: both zero -> similarity 1 (distance 0); one zero -> similarity 0 (distance 1)';

/** Cosine similarity from a dot product and the two norms, applying the zero-vector rule. */
export function cosineFromParts(dot: number, normA: number, normB: number): number {
  if (normA === 0 || normB === 0) return normA === 0 && normB === 0 ? 1 : 0;
  const c = dot / (normA * normB);
  return c > 1 ? 1 : c < -1 ? -1 : c;
}

/** Cosine similarity of two equal-length vectors. */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`length mismatch: ${a.length} vs ${b.length}`);
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!, y = b[i]!;
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return cosineFromParts(ab, Math.sqrt(aa), Math.sqrt(bb));
}

/** Cosine distance 1 - cosineSimilarity(a, b), in [0, 2]. */
export function cosineDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return 1 - cosineSimilarity(a, b);
}

/**
 * Cosine distance of row `ra` of A and row `rb` of B, as half the squared distance of the two
 * unit vectors: 1/2 |a/|a| - b/|b||^2 = 1 - cos(a, b). Mathematically the same as
 * `cosineDistance` above, but computed so that identical rows give exactly 0 (the
 * 1 - a.b/(|a||b|) form can leave a rounding residue of ~1e-16) and small distances keep their
 * relative precision. Zero-vector rule as in cosine.ts: both zero -> 0, one zero -> 1.
 * Float64 accumulation; clamped to [0, 2].
 */
export function rowCosineDistance(a: FeatureMatrix, ra: number, b: FeatureMatrix, rb: number): number {
  if (a.cols !== b.cols) throw new RangeError(`column mismatch: ${a.cols} vs ${b.cols}`);
  const d = a.cols;
  const x = a.data, y = b.data;
  const oa = ra * d, ob = rb * d;
  let na = 0, nb = 0;
  for (let k = 0; k < d; k++) {
    na += x[oa + k]! * x[oa + k]!;
    nb += y[ob + k]! * y[ob + k]!;
  }
  if (na === 0 || nb === 0) return na === 0 && nb === 0 ? 0 : 1;
  const ia = 1 / Math.sqrt(na), ib = 1 / Math.sqrt(nb);
  let s = 0;
  for (let k = 0; k < d; k++) {
    const t = x[oa + k]! * ia - y[ob + k]! * ib;
    s += t * t;
  }
  const dist = s / 2;
  return dist > 2 ? 2 : dist;
}

/** Row-wise cosine similarity: out[r] = cos(A[r], B[r]). A and B must have the same shape. */
export function rowwiseCosine(a: FeatureMatrix, b: FeatureMatrix): Float64Array {
  checkMatrix(a, 'A');
  checkMatrix(b, 'B');
  if (a.rows !== b.rows || a.cols !== b.cols) {
    throw new RangeError(`shape mismatch: ${a.rows}x${a.cols} vs ${b.rows}x${b.cols}`);
  }
  const out = new Float64Array(a.rows);
  for (let r = 0; r < a.rows; r++) {
    out[r] = cosineFromParts(rowDot(a, r, b, r), Math.sqrt(rowDot(a, r, a, r)), Math.sqrt(rowDot(b, r, b, r)));
  }
  return out;
}

/**
 * Cosine similarity of index pairs of one feature matrix: out[p] = cos(F[left[p]], F[right[p]]).
 * This is how a verification protocol scores its pairs (features of all images computed once).
 */
export function pairCosine(f: FeatureMatrix, left: ArrayLike<number>, right: ArrayLike<number>): Float64Array {
  checkMatrix(f, 'features');
  if (left.length !== right.length) throw new RangeError('left/right pair lists differ in length');
  const norms = rowNorms(f);
  const out = new Float64Array(left.length);
  for (let p = 0; p < left.length; p++) {
    const i = left[p]!, j = right[p]!;
    if (!(i >= 0 && i < f.rows && j >= 0 && j < f.rows)) throw new RangeError(`pair ${p}: index out of range`);
    out[p] = cosineFromParts(rowDot(f, i, f, j), norms[i]!, norms[j]!);
  }
  return out;
}

/** All-pairs cosine similarity, out[i * B.rows + j] = cos(A[i], B[j]) (row-major A.rows x B.rows). */
export function cosineSimilarityMatrix(a: FeatureMatrix, b: FeatureMatrix): Float64Array {
  checkMatrix(a, 'A');
  checkMatrix(b, 'B');
  if (a.cols !== b.cols) throw new RangeError(`column mismatch: ${a.cols} vs ${b.cols}`);
  const na = rowNorms(a);
  const nb = a === b ? na : rowNorms(b);
  const out = new Float64Array(a.rows * b.rows);
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < b.rows; j++) {
      if (a === b && j < i) {
        out[i * b.rows + j] = out[j * b.rows + i]!; // symmetric: reuse
        continue;
      }
      out[i * b.rows + j] = cosineFromParts(rowDot(a, i, b, j), na[i]!, nb[j]!);
    }
  }
  return out;
}

/**
 * L2-normalise every row (returns a new matrix; the input is untouched).
 * A zero row stays zero (there is no unit vector to give it).
 */
export function l2NormalizeRows(m: FeatureMatrix): FeatureMatrix {
  checkMatrix(m);
  const norms = rowNorms(m);
  const out = new Float32Array(m.data.length);
  for (let r = 0; r < m.rows; r++) {
    const nrm = norms[r]!;
    if (nrm === 0) continue;
    const inv = 1 / nrm;
    const base = r * m.cols;
    for (let c = 0; c < m.cols; c++) out[base + c] = m.data[base + c]! * inv;
  }
  return { data: out, rows: m.rows, cols: m.cols };
}
