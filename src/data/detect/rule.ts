/**
 * The detection rule around one detector pass, shared by the ONNX path (in worker threads or
 * in-process) and the face-api reference path, so both apply exactly the same retry and merge.
 * Free of TF.js imports on purpose: worker threads load this without the TF.js engine.
 */
import type { RgbImage } from '../image.js';
import { resizeRgb } from '../image-io.js';
import type { Box, DetectOptions, Detection, Point } from './types.js';

/** SSD sees a 512x512 resize anyway; bigger inputs only cost memory, so they are shrunk first. */
const MAX_DETECT_SIDE = 2048;

/** `img` centred in a canvas with `pad` pixels of `grey` on every side. */
export function padImage(img: RgbImage, pad: number, grey = 128): RgbImage {
  const w = img.width + 2 * pad;
  const h = img.height + 2 * pad;
  const out = new Uint8Array(w * h * 3).fill(grey);
  for (let y = 0; y < img.height; y++) {
    out.set(img.data.subarray(y * img.width * 3, (y + 1) * img.width * 3), ((y + pad) * w + pad) * 3);
  }
  return { width: w, height: h, data: out };
}

function iou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const inter = ix * iy;
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

/** Union of two detection lists; boxes overlapping by IoU > 0.5 are one face (higher score kept). */
function mergeDetections(a: Detection[], b: Detection[]): Detection[] {
  const out = [...a];
  for (const d of b) {
    const k = out.findIndex((e) => iou(e.box, d.box) > 0.5);
    if (k < 0) out.push(d);
    else if (d.score > out[k].score) out[k] = d;
  }
  return out;
}

/**
 * SSD MobileNet v1 (trained on WIDER FACE crowds) under-scores faces that fill much of the frame:
 * on the LFW subset (250x250, face ~half the width) 142 of 1,583 images had no detection at
 * 0.5, and placing such an image in a canvas twice its size lifted typical scores from ~0.4 to
 * ~0.98. So when the first pass finds no face at least LARGE_FACE x the shorter image side wide,
 * a second pass runs on the image centred in a mid-grey canvas (half the longer side of padding
 * on each side) and the two passes are merged. Images with a large face already found, the
 * common case, pay for one pass only.
 */
const LARGE_FACE = 0.3;

/** One detection pass over a whole image: detections in its pixel coordinates. */
export type DetectionPass = (input: RgbImage, opts: { minConfidence: number; maxResults: number }) => Promise<Detection[]>;

/**
 * The detection rule around a pass (shared by the ONNX path and the face-api reference):
 * shrink huge images, one pass, the padded second pass when no large face was found, merge,
 * back to `img` coordinates, sort by score, cap at maxResults.
 */
export async function detectWithPass(img: RgbImage, opts: DetectOptions, pass: DetectionPass): Promise<Detection[]> {
  const passOpts = { minConfidence: opts.minConfidence ?? 0.5, maxResults: opts.maxResults ?? 10 };
  let input = img;
  const side = Math.max(img.width, img.height);
  if (side > MAX_DETECT_SIDE) {
    const k = MAX_DETECT_SIDE / side;
    input = await resizeRgb(img, Math.max(1, Math.round(img.width * k)), Math.max(1, Math.round(img.height * k)));
  }
  let dets = await pass(input, passOpts);
  const minSide = Math.min(input.width, input.height);
  if (opts.padRetry !== false && !dets.some((d) => d.box.width >= LARGE_FACE * minSide)) {
    const pad = Math.ceil(Math.max(input.width, input.height) / 2);
    const shifted = (await pass(padImage(input, pad), passOpts)).map((d) => ({
      box: { ...d.box, x: d.box.x - pad, y: d.box.y - pad },
      score: d.score,
      landmarks: d.landmarks.map(([x, y]) => [x - pad, y - pad] as Point),
    }));
    dets = mergeDetections(dets, shifted);
  }
  // Back to `img` coordinates (continuous coordinates scale exactly by the size ratio).
  const kx = img.width / input.width;
  const ky = img.height / input.height;
  if (kx !== 1 || ky !== 1) {
    dets = dets.map((d) => ({
      box: { x: d.box.x * kx, y: d.box.y * ky, width: d.box.width * kx, height: d.box.height * ky },
      score: d.score,
      landmarks: d.landmarks.map(([x, y]) => [x * kx, y * ky] as Point),
    }));
  }
  dets.sort((a, b) => b.score - a.score);
  return dets.slice(0, opts.maxResults ?? 10);
}

