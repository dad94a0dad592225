/**
 * The demo's cross-pose verification comparison (`verify-cfp/summary.json`): per layer, the
 * verification accuracy on LFW next to CFP-FF (frontal-frontal) and CFP-FP (frontal-profile),
 * the paper's Table II comparison (it used CPLFW, not available here). Each protocol's own
 * summary (a VerifySummary) sits in `verify/`, `verify-cfp/FF/` and `verify-cfp/FP/`.
 */

export interface CrossPoseProtocol {
  /** `LFW`, `CFP-FF` or `CFP-FP`. */
  name: string;
  /** Its verify folder, relative to the results directory. */
  dir: string;
  pairs: number;
  folds: number;
  /** How the folds were formed (e.g. CFP split 01 dealt into 10 folds). */
  note?: string;
}

export interface CrossPoseLayer {
  layer: string;
  /** Per protocol name: k-fold accuracy mean and std, or null where that protocol has no result. */
  accuracy: Record<string, { mean: number; std: number } | null>;
}

export interface CrossPoseSummary {
  command: 'demo/verify-cfp';
  protocols: CrossPoseProtocol[];
  layers: CrossPoseLayer[];
}
