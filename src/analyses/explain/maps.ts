/**
 * Attribution maps of the pair similarity over one face (H x W, row-major, one value per pixel):
 *
 * - occlusion: a `patch` x `patch` square slides with `stride` (positions 0, stride, ... and the
 *   last position size - patch, so the border is covered); each position is filled from the
 *   `fill` image (grey or blurred face) and the similarity drop s(face) - s(occluded) is
 *   recorded; a pixel's value is the mean drop over the positions that cover it
 *   (Zeiler & Fergus 2014 style; positive = the region supports the match).
 * - gradient: sum over RGB of |ds/dp| (saliency, Simonyan et al. 2014).
 * - gradient x input: sum over RGB of ds/dp (p - mean), the first-order contribution of each
 *   pixel relative to the model's mean colour (the baseline where the model input is 0). Signed.
 * - parts: the drop when a landmark-placed square (as in `correspondence`: side = round(k IOD),
 *   centre = mean of the part's 68-point landmarks) over each eye, the nose and the mouth is
 *   filled from the fill image.
 */
import sharp from 'sharp';
import type { Point } from '../../data/detector.js';
import { rgbImage, type RgbImage } from '../../data/image.js';
import { interOcular, partCentre, PARTS, squareMask, type MaskRect, type Part } from '../probes/correspondence.js';
import type { FaceGradient, PairScorer } from './scorer.js';

export type FillMode = 'grey' | 'blur';
export const FILL_MODES: readonly FillMode[] = ['grey', 'blur'];

/** The image occluded / deleted pixels are taken from: flat grey 128, or the face blurred. */
export async function fillImage(face: RgbImage, mode: FillMode, blurSigma: number): Promise<RgbImage> {
  if (mode === 'grey') return rgbImage(face.width, face.height, new Uint8Array(face.data.length).fill(128));
  const data = await sharp(face.data, { raw: { width: face.width, height: face.height, channels: 3 } })
    .blur(blurSigma)
    .raw()
    .toBuffer();
  return rgbImage(face.width, face.height, new Uint8Array(data.buffer, data.byteOffset, data.length).slice());
}

/** Copy of `face` with rectangle `r` taken from `fill`. */
export function pasteRect(face: RgbImage, fill: RgbImage, r: MaskRect): RgbImage {
  const out = new Uint8Array(face.data);
  for (let y = r.y0; y < r.y1; y++) {
    const o = (y * face.width + r.x0) * 3;
    out.set(fill.data.subarray(o, o + (r.x1 - r.x0) * 3), o);
  }
  return rgbImage(face.width, face.height, out);
}

/** Patch offsets along one axis: 0, stride, ..., plus size - patch if not already there. */
export function patchOffsets(size: number, patch: number, stride: number): number[] {
  if (!(Number.isInteger(patch) && patch >= 1 && patch <= size)) throw new RangeError(`patch must be an integer in 1..${size} (got ${patch})`);
  if (!(Number.isInteger(stride) && stride >= 1)) throw new RangeError(`stride must be a positive integer (got ${stride})`);
  const out: number[] = [];
  for (let o = 0; o + patch <= size; o += stride) out.push(o);
  if (out[out.length - 1] !== size - patch) out.push(size - patch);
  return out;
}

export interface OcclusionMap {
  map: Float32Array;
  /** Similarity drop per patch position, rows x cols (positions ys x xs). */
  grid: Float64Array;
  xs: number[];
  ys: number[];
}

export async function occlusionMap(
  scorer: PairScorer,
  face: RgbImage,
  ref: Float32Array,
  base: number,
  fill: RgbImage,
  opts: { patch: number; stride: number },
): Promise<OcclusionMap> {
  const { width: w, height: h } = face;
  const xs = patchOffsets(w, opts.patch, opts.stride);
  const ys = patchOffsets(h, opts.patch, opts.stride);
  const rects = ys.flatMap((y0) => xs.map((x0) => ({ x0, y0, x1: x0 + opts.patch, y1: y0 + opts.patch })));
  const grid = new Float64Array(rects.length);
  // Score in slices so memory stays bounded for small strides.
  const slice = 64;
  for (let s = 0; s < rects.length; s += slice) {
    const part = rects.slice(s, s + slice);
    const sims = await scorer.similarities(part.map((r) => pasteRect(face, fill, r)), ref);
    sims.forEach((v, i) => (grid[s + i] = base - v));
  }
  const sum = new Float64Array(w * h);
  const count = new Uint32Array(w * h);
  rects.forEach((r, k) => {
    for (let y = r.y0; y < r.y1; y++) {
      for (let x = r.x0; x < r.x1; x++) {
        sum[y * w + x] += grid[k]!;
        count[y * w + x]! += 1;
      }
    }
  });
  const map = new Float32Array(w * h);
  for (let i = 0; i < map.length; i++) map[i] = count[i]! > 0 ? sum[i]! / count[i]! : 0;
  return { map, grid, xs, ys };
}

/** Saliency (sum |ds/dp| over RGB) and gradient x input (sum ds/dp (p - mean)) per pixel. */
export function gradientMaps(g: FaceGradient): { gradient: Float32Array; gradInput: Float32Array } {
  const n = g.grad.length / 3;
  const gradient = new Float32Array(n);
  const gradInput = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let a = 0, b = 0;
    for (let c = 0; c < 3; c++) {
      a += Math.abs(g.grad[i * 3 + c]!);
      b += g.grad[i * 3 + c]! * g.centred[i * 3 + c]!;
    }
    gradient[i] = a;
    gradInput[i] = b;
  }
  return { gradient, gradInput };
}

export interface PartDrop {
  part: Part;
  rect: MaskRect;
  similarity: number;
  /** base - similarity. */
  drop: number;
}

export const DEFAULT_PART_SCALE = 0.5;

export async function partDrops(
  scorer: PairScorer,
  face: RgbImage,
  landmarks: readonly Point[],
  ref: Float32Array,
  base: number,
  fill: RgbImage,
  scale = DEFAULT_PART_SCALE,
): Promise<PartDrop[]> {
  const side = Math.max(1, Math.round(scale * interOcular(landmarks)));
  const rects = PARTS.map((p) => squareMask(partCentre(landmarks, p), side, face.width, face.height));
  const sims = await scorer.similarities(rects.map((r) => pasteRect(face, fill, r)), ref);
  return PARTS.map((part, i) => ({ part, rect: rects[i]!, similarity: sims[i]!, drop: base - sims[i]! }));
}
