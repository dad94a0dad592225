/**
 * Face verification metrics (paper Table II; LFW "unrestricted" 10-fold protocol).
 *
 * Conventions used throughout (facelens states them in its output via VERIFICATION_RULES):
 *   - A score is a similarity (higher = more alike, e.g. cosine similarity).
 *   - Decision rule: predict "same" iff score >= threshold.
 *   - Labels: truthy / 1 = same identity (positive pair), falsy / 0 = different (negative pair).
 *
 * k-fold accuracy (`kFoldVerification`): for each fold f, the threshold is chosen on all pairs
 * NOT in f and the accuracy of that threshold is measured on f. Candidate thresholds are the
 * midpoints between consecutive distinct training scores, plus -Infinity (accept all) and
 * +Infinity (reject all). When several candidates reach the same best training accuracy the
 * LOWEST threshold wins (the first maximiser in ascending order, as `np.argmax` over an ascending
 * grid does in facenet/insightface evaluators). Fold std is reported both ways: `accuracy_std`
 * is the SAMPLE std (divide by k-1; the LFW README's sigma estimate) and
 * `accuracy_std_population` divides by k (what `np.std` in insightface/facenet prints).
 */

export type BinaryLabels = ArrayLike<boolean> | ArrayLike<number>;

export const VERIFICATION_RULES = {
  decision: 'same iff score >= threshold',
  candidates: 'midpoints of consecutive distinct training scores, plus -Infinity and +Infinity',
  ties: 'lowest threshold among those with the best training accuracy',
  std: 'accuracy_std = sample std over folds (n-1); accuracy_std_population = divide by n',
  tarAtFar: 'step ROC, no interpolation: TAR at the lowest threshold (a distinct score) whose FAR <= target',
  auc: 'exact Mann-Whitney U with midranks (a tied positive/negative pair counts 1/2)',
} as const;

function toBinary(labels: BinaryLabels, n: number): Uint8Array {
  if (labels.length !== n) throw new RangeError(`labels length ${labels.length} != scores length ${n}`);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = labels[i] ? 1 : 0;
  return out;
}

function checkScores(scores: ArrayLike<number>): void {
  for (let i = 0; i < scores.length; i++) {
    if (Number.isNaN(scores[i])) throw new RangeError(`score ${i} is NaN`);
  }
}

/** Indices 0..n-1 (or of `subset`) sorted by score ascending (stable: ties keep index order). */
function sortByScore(scores: ArrayLike<number>, subset?: ArrayLike<number>): Uint32Array {
  const idx = subset ? Uint32Array.from(subset as ArrayLike<number>) : Uint32Array.from({ length: scores.length }, (_, i) => i);
  return idx.sort((a, b) => scores[a]! - scores[b]! || a - b);
}

/** Accuracy of the rule "same iff score >= threshold" over the given indices (default: all). */
export function accuracyAtThreshold(
  scores: ArrayLike<number>,
  labels: BinaryLabels,
  threshold: number,
  subset?: ArrayLike<number>,
): number {
  const y = toBinary(labels, scores.length);
  const n = subset ? subset.length : scores.length;
  if (n === 0) return NaN;
  let correct = 0;
  for (let k = 0; k < n; k++) {
    const i = subset ? subset[k]! : k;
    if ((scores[i]! >= threshold ? 1 : 0) === y[i]) correct++;
  }
  return correct / n;
}

/**
 * The training-optimal threshold over `subset` (default: all pairs): sweeps the candidates in
 * ascending order in O(n log n) and returns the lowest one with the best accuracy.
 */
export function bestThreshold(
  scores: ArrayLike<number>,
  labels: BinaryLabels,
  subset?: ArrayLike<number>,
): { threshold: number; accuracy: number } {
  checkScores(scores);
  const y = toBinary(labels, scores.length);
  const order = sortByScore(scores, subset);
  const n = order.length;
  if (n === 0) throw new RangeError('bestThreshold: no pairs');
  let pos = 0;
  for (let k = 0; k < n; k++) pos += y[order[k]!]!;
  // threshold = -Infinity: everything accepted, correct = #positives.
  let correct = pos;
  let bestCorrect = correct;
  let best = -Infinity;
  let k = 0;
  while (k < n) {
    const v = scores[order[k]!]!;
    // reject the whole group of equal scores v
    while (k < n && scores[order[k]!] === v) {
      correct += y[order[k]!] ? -1 : 1;
      k++;
    }
    let t: number;
    if (k < n) {
      const next = scores[order[k]!]!;
      t = v + (next - v) / 2;
      if (!(t > v)) t = next; // adjacent doubles: keep v rejected, next accepted
    } else {
      t = Infinity;
    }
    if (correct > bestCorrect) {
      bestCorrect = correct;
      best = t;
    }
  }
  return { threshold: best, accuracy: bestCorrect / n };
}

export interface KFoldVerificationResult {
  /** Distinct fold ids, ascending; every per-fold array below follows this order. */
  foldIds: number[];
  /** Accuracy on fold f of the threshold chosen on the other folds. */
  foldAccuracies: number[];
  /** The threshold chosen for each fold (on the other folds). */
  thresholds: number[];
  /** Accuracy of that threshold on its own training folds. */
  trainAccuracies: number[];
  accuracy_mean: number;
  /** Sample standard deviation over folds (divide by k-1). */
  accuracy_std: number;
  /** Population standard deviation over folds (divide by k), as np.std reports it. */
  accuracy_std_population: number;
  rules: typeof VERIFICATION_RULES;
}

/**
 * LFW-style k-fold verification accuracy. `folds[p]` is the fold id of pair p (any numbers; at
 * least 2 distinct ids). See the module comment for the threshold and std conventions.
 */
export function kFoldVerification(
  scores: ArrayLike<number>,
  labels: BinaryLabels,
  folds: ArrayLike<number>,
): KFoldVerificationResult {
  const n = scores.length;
  checkScores(scores);
  const y = toBinary(labels, n);
  if (folds.length !== n) throw new RangeError(`folds length ${folds.length} != scores length ${n}`);
  const foldIds = [...new Set(Array.from(folds))].sort((a, b) => a - b);
  if (foldIds.length < 2) throw new RangeError('kFoldVerification needs at least 2 folds');

  const foldAccuracies: number[] = [];
  const thresholds: number[] = [];
  const trainAccuracies: number[] = [];
  for (const f of foldIds) {
    const train: number[] = [];
    const test: number[] = [];
    for (let i = 0; i < n; i++) (folds[i] === f ? test : train).push(i);
    const { threshold, accuracy } = bestThreshold(scores, y, train);
    thresholds.push(threshold);
    trainAccuracies.push(accuracy);
    foldAccuracies.push(accuracyAtThreshold(scores, y, threshold, test));
  }
  const k = foldAccuracies.length;
  const mean = foldAccuracies.reduce((s, a) => s + a, 0) / k;
  const ss = foldAccuracies.reduce((s, a) => s + (a - mean) ** 2, 0);
  return {
    foldIds,
    foldAccuracies,
    thresholds,
    trainAccuracies,
    accuracy_mean: mean,
    accuracy_std: Math.sqrt(ss / (k - 1)),
    accuracy_std_population: Math.sqrt(ss / k),
    rules: VERIFICATION_RULES,
  };
}

/**
 * Exact ROC AUC = P(score_pos > score_neg) + 1/2 P(tie), via the Mann-Whitney U statistic with
 * midranks. NaN when either class is empty.
 */
export function rocAuc(scores: ArrayLike<number>, labels: BinaryLabels): number {
  checkScores(scores);
  const y = toBinary(labels, scores.length);
  const order = sortByScore(scores);
  const n = order.length;
  let nPos = 0;
  for (let i = 0; i < n; i++) nPos += y[i]!;
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return NaN;
  let rankSumPos = 0;
  let k = 0;
  while (k < n) {
    let e = k;
    const v = scores[order[k]!];
    while (e < n && scores[order[e]!] === v) e++;
    const midrank = (k + 1 + e) / 2; // ranks k+1..e (1-based), averaged
    for (let t = k; t < e; t++) if (y[order[t]!]) rankSumPos += midrank;
    k = e;
  }
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

export interface RocCurve {
  /** Thresholds, descending: +Infinity first (accept nothing), then every distinct score. */
  thresholds: Float64Array;
  /** False accept rate at each threshold (#neg accepted / #neg). */
  far: Float64Array;
  /** True accept rate at each threshold (#pos accepted / #pos). */
  tar: Float64Array;
}

/**
 * The empirical ROC: one point per distinct score (accept iff score >= threshold), starting at
 * (FAR 0, TAR 0) for threshold +Infinity and ending at (1, 1). The trapezoid area under these
 * points equals `rocAuc`. FAR (or TAR) is NaN throughout when there are no negatives (positives).
 */
export function rocCurve(scores: ArrayLike<number>, labels: BinaryLabels): RocCurve {
  checkScores(scores);
  const y = toBinary(labels, scores.length);
  const order = sortByScore(scores).reverse();
  const n = order.length;
  let nPos = 0;
  for (let i = 0; i < n; i++) nPos += y[i]!;
  const nNeg = n - nPos;
  const th: number[] = [Infinity];
  const far: number[] = [0];
  const tar: number[] = [0];
  let tp = 0, fp = 0, k = 0;
  while (k < n) {
    const v = scores[order[k]!]!;
    while (k < n && scores[order[k]!] === v) {
      if (y[order[k]!]) tp++;
      else fp++;
      k++;
    }
    th.push(v);
    far.push(fp / nNeg);
    tar.push(tp / nPos);
  }
  return { thresholds: Float64Array.from(th), far: Float64Array.from(far), tar: Float64Array.from(tar) };
}

/**
 * TAR at FAR <= `far` (a.k.a. VAL@FAR): the operating point with the lowest threshold whose FAR
 * does not exceed the target, i.e. the most permissive threshold allowed, hence the highest TAR
 * at that FAR budget. No interpolation between ROC points (conservative: the returned `far` is the
 * achieved FAR, <= the target). Thresholds are the distinct scores (and +Infinity).
 */
export function tarAtFar(
  scores: ArrayLike<number>,
  labels: BinaryLabels,
  far: number,
): { tar: number; far: number; threshold: number } {
  if (!(far >= 0)) throw new RangeError(`far must be >= 0 (got ${far})`);
  const roc = rocCurve(scores, labels);
  if (roc.far.length < 2 || Number.isNaN(roc.far[1]) || Number.isNaN(roc.tar[1])) {
    return { tar: NaN, far: NaN, threshold: NaN }; // needs both positives and negatives
  }
  let best = 0; // +Infinity point always satisfies FAR = 0 <= far
  for (let p = 1; p < roc.far.length; p++) {
    if (roc.far[p]! <= far) best = p;
    else break; // FAR is non-decreasing as the threshold falls
  }
  return { tar: roc.tar[best]!, far: roc.far[best]!, threshold: roc.thresholds[best]! };
}
