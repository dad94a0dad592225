/**
 * SSD post-processing as face-api does it (facts from its outputLayer / nonMaxSuppression /
 * locateFaces), in TypeScript: decode the box encodings against the anchors, keep scores above
 * the threshold, greedy non-maximum suppression at IoU 0.5, then map to image fractions.
 *
 * Decoding, with anchor (ymin, xmin, ymax, xmax) -> centre (cy, cx), size (h, w) and encoding
 * (ty, tx, th, tw), variances 10 / 5:
 *   cy' = ty / 10 * h + cy,  h' = exp(th / 5) * h   (same for x), box = centre -+ size / 2.
 * NMS is face-api's variant: candidates above the threshold in descending score order (ties by
 * anchor index); a candidate is kept when no already kept box overlaps it by IoU > 0.5.
 * ONNX NonMaxSuppression would do the same but needs another session run and a round trip for
 * ~5,000 anchors of which only a handful pass the threshold; this loop touches only those.
 */

export interface RawBox {
  /** Fractions of the padded 512 square. */
  ymin: number;
  xmin: number;
  ymax: number;
  xmax: number;
  score: number;
}

export function decodeBox(anchors: Float32Array, enc: Float32Array, i: number): Omit<RawBox, 'score'> {
  const a = i * 4;
  const h = anchors[a + 2] - anchors[a];
  const w = anchors[a + 3] - anchors[a + 1];
  const cy = anchors[a] + h / 2;
  const cx = anchors[a + 1] + w / 2;
  const hh = (Math.exp(enc[a + 2] / 5) * h) / 2;
  const hw = (Math.exp(enc[a + 3] / 5) * w) / 2;
  const y = (enc[a] / 10) * h + cy;
  const x = (enc[a + 1] / 10) * w + cx;
  return { ymin: y - hh, xmin: x - hw, ymax: y + hh, xmax: x + hw };
}

function iou(p: Omit<RawBox, 'score'>, q: Omit<RawBox, 'score'>): number {
  const py0 = Math.min(p.ymin, p.ymax);
  const px0 = Math.min(p.xmin, p.xmax);
  const py1 = Math.max(p.ymin, p.ymax);
  const px1 = Math.max(p.xmin, p.xmax);
  const qy0 = Math.min(q.ymin, q.ymax);
  const qx0 = Math.min(q.xmin, q.xmax);
  const qy1 = Math.max(q.ymin, q.ymax);
  const qx1 = Math.max(q.xmin, q.xmax);
  const ap = (py1 - py0) * (px1 - px0);
  const aq = (qy1 - qy0) * (qx1 - qx0);
  if (ap <= 0 || aq <= 0) return 0;
  const inter = Math.max(Math.min(py1, qy1) - Math.max(py0, qy0), 0) * Math.max(Math.min(px1, qx1) - Math.max(px0, qx0), 0);
  return inter / (ap + aq - inter);
}

/** Boxes kept after threshold + NMS, in selection (descending score) order. */
export function selectBoxes(anchors: Float32Array, enc: Float32Array, scores: Float32Array, minConfidence: number, maxResults: number, iouThreshold = 0.5): RawBox[] {
  const cand: number[] = [];
  for (let i = 0; i < scores.length; i++) if (scores[i] > minConfidence) cand.push(i);
  cand.sort((a, b) => scores[b] - scores[a] || a - b);
  const kept: RawBox[] = [];
  const limit = Math.min(maxResults, scores.length);
  for (const i of cand) {
    if (kept.length >= limit) break;
    const box = decodeBox(anchors, enc, i);
    let suppressed = false;
    for (let j = kept.length - 1; j >= 0; j--) {
      const o = iou(box, kept[j]);
      if (o === 0) continue;
      if (o > iouThreshold) {
        suppressed = true;
        break;
      }
    }
    if (!suppressed) kept.push({ ...box, score: scores[i] });
  }
  return kept;
}
