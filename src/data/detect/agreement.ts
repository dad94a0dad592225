/**
 * Agreement between two detectors' results on the same images (the ONNX path against face-api):
 * faces are paired greedily by box IoU, and for each pair the box IoU and the mean landmark
 * distance (pixels of the original image) are recorded.
 */
import type { Box, Detection } from './types.js';

export function boxIou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const inter = ix * iy;
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

export function meanLandmarkError(a: Detection, b: Detection): number {
  let s = 0;
  for (let i = 0; i < a.landmarks.length; i++) s += Math.hypot(a.landmarks[i][0] - b.landmarks[i][0], a.landmarks[i][1] - b.landmarks[i][1]);
  return s / a.landmarks.length;
}

export interface ImageAgreement {
  refCount: number;
  count: number;
  /** One entry per paired face (min(refCount, count) of them). */
  pairs: { iou: number; landmarkError: number }[];
}

export function compareDetections(ref: readonly Detection[], ours: readonly Detection[]): ImageAgreement {
  const cand: { i: number; j: number; iou: number }[] = [];
  ref.forEach((r, i) => ours.forEach((o, j) => cand.push({ i, j, iou: boxIou(r.box, o.box) })));
  cand.sort((a, b) => b.iou - a.iou || a.i - b.i || a.j - b.j);
  const usedR = new Set<number>();
  const usedO = new Set<number>();
  const pairs: ImageAgreement['pairs'] = [];
  for (const c of cand) {
    if (usedR.has(c.i) || usedO.has(c.j)) continue;
    usedR.add(c.i);
    usedO.add(c.j);
    pairs.push({ iou: c.iou, landmarkError: meanLandmarkError(ref[c.i], ours[c.j]) });
  }
  return { refCount: ref.length, count: ours.length, pairs };
}

export interface AgreementSummary {
  images: number;
  countMismatches: number;
  faces: number;
  minIou: number;
  maxLandmarkError: number;
  meanLandmarkError: number;
  /** Paired faces below IoU 0.98 or above 0.5 px mean landmark error. */
  outOfTolerance: number;
}

export function summariseAgreement(rows: readonly ImageAgreement[]): AgreementSummary {
  const pairs = rows.flatMap((r) => r.pairs);
  return {
    images: rows.length,
    countMismatches: rows.filter((r) => r.refCount !== r.count).length,
    faces: pairs.length,
    minIou: pairs.reduce((m, p) => Math.min(m, p.iou), 1),
    maxLandmarkError: pairs.reduce((m, p) => Math.max(m, p.landmarkError), 0),
    meanLandmarkError: pairs.length ? pairs.reduce((s, p) => s + p.landmarkError, 0) / pairs.length : 0,
    outOfTolerance: pairs.filter((p) => p.iou < 0.98 || p.landmarkError > 0.5).length,
  };
}
