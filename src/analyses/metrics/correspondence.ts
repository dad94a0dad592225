/**
 * Part correspondence Delta_l (paper eq. 1, Table I; after Zeiler & Fergus 2014, Sec. 5.2).
 *
 * For m images with features x_i (original) and x~_i (same part occluded) at layer l:
 *   eps_i = x_i - x~_i,
 *   Delta = mean over ordered pairs (i, j), i != j, of Hamming(sign(eps_i), sign(eps_j)) / d,
 * where d is the feature length, reported with the population std over the same pairs. (The
 * paper writes a raw sum, but Table I's 0.09-0.25 only fit the normalised mean; see NOTES.md.)
 * Ordered and unordered pairs give the same mean and population std (each value appears twice).
 *
 * sign(0) matters: post-ReLU / pooled maps are exactly zero in many places and, at low layers,
 * eps is exactly zero wherever the mask lies outside a unit's receptive field. Rules:
 *   - 'zero' (default): sign(0) = 0 is a third value; 0 vs +1 and 0 vs -1 are mismatches,
 *     0 vs 0 is a match (MATLAB/numpy `sign`, as Zeiler & Fergus's code would have it).
 *   - 'positive': sign(0) = +1 (a binary sign; 0 vs +1 match, 0 vs -1 mismatch).
 *   - 'exclude': a position where either eps is zero is skipped; the pair's distance is
 *     mismatches / (#positions where both are non-zero), and 0 when there is no such position.
 * `zeroTolerance` (default 0) treats |eps| <= tolerance as zero (float noise between two runs).
 */
import { checkMatrix, meanStd, type FeatureMatrix } from './matrix.js';

export type SignZeroRule = 'zero' | 'positive' | 'exclude';

export interface CorrespondenceOptions {
  signZeroRule?: SignZeroRule;
  zeroTolerance?: number;
}

export interface CorrespondenceResult {
  /** Mean normalised Hamming distance over ordered pairs i != j. */
  delta_mean: number;
  /** Population std of the pair distances. */
  delta_std: number;
  /** Number of ordered pairs, m(m-1). */
  pairs: number;
  /** m, the number of images. */
  images: number;
  /** d, the feature length. */
  featureLength: number;
  signZeroRule: SignZeroRule;
  zeroTolerance: number;
  /** m x m normalised Hamming distances (row-major, zero diagonal). */
  pairDistances: Float64Array;
  /** Fraction of all eps entries classed as zero (|eps| <= tolerance): a diagnostic for the sign(0) rule. */
  zeroFraction: number;
}

/** Sign codes of eps = original - occluded, per the rule: -1, 0, +1 ('positive' maps 0 to +1). */
function signCodes(orig: FeatureMatrix, occl: FeatureMatrix, rule: SignZeroRule, tol: number): { s: Int8Array; zeros: number } {
  const n = orig.data.length;
  const s = new Int8Array(n);
  let zeros = 0;
  const a = orig.data, b = occl.data;
  for (let k = 0; k < n; k++) {
    const e = a[k]! - b[k]!;
    if (Number.isNaN(e)) throw new RangeError(`NaN in features at flat index ${k}`);
    if (e > tol) s[k] = 1;
    else if (e < -tol) s[k] = -1;
    else {
      zeros++;
      s[k] = rule === 'positive' ? 1 : 0;
    }
  }
  return { s, zeros };
}

/**
 * Delta of one occlusion type at one layer. Row i of `original` / `occluded` is image i's feature
 * (flattened) without / with the occlusion. Needs m >= 2 images.
 */
export function correspondenceDelta(
  original: FeatureMatrix,
  occluded: FeatureMatrix,
  options: CorrespondenceOptions = {},
): CorrespondenceResult {
  const rule = options.signZeroRule ?? 'zero';
  const tol = options.zeroTolerance ?? 0;
  checkMatrix(original, 'original');
  checkMatrix(occluded, 'occluded');
  if (original.rows !== occluded.rows || original.cols !== occluded.cols) {
    throw new RangeError(`shape mismatch: ${original.rows}x${original.cols} vs ${occluded.rows}x${occluded.cols}`);
  }
  if (!(tol >= 0)) throw new RangeError('zeroTolerance must be >= 0');
  const m = original.rows, d = original.cols;
  if (m < 2) throw new RangeError('correspondenceDelta needs at least 2 images');
  if (d === 0) throw new RangeError('empty features');
  const { s, zeros } = signCodes(original, occluded, rule, tol);

  const dist = new Float64Array(m * m);
  const values: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = i + 1; j < m; j++) {
      let mismatch = 0;
      let valid = 0;
      const oi = i * d, oj = j * d;
      if (rule === 'exclude') {
        for (let k = 0; k < d; k++) {
          const x = s[oi + k]!, y = s[oj + k]!;
          if (x !== 0 && y !== 0) {
            valid++;
            if (x !== y) mismatch++;
          }
        }
      } else {
        for (let k = 0; k < d; k++) if (s[oi + k] !== s[oj + k]) mismatch++;
        valid = d;
      }
      const h = valid === 0 ? 0 : mismatch / valid;
      dist[i * m + j] = h;
      dist[j * m + i] = h;
      values.push(h, h); // (i, j) and (j, i)
    }
  }
  const { mean, std } = meanStd(values);
  return {
    delta_mean: mean,
    delta_std: std,
    pairs: values.length,
    images: m,
    featureLength: d,
    signZeroRule: rule,
    zeroTolerance: tol,
    pairDistances: dist,
    zeroFraction: zeros / (m * d),
  };
}
