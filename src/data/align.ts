/**
 * Face alignment: map five landmarks onto a model's `AlignmentTemplate` with a least-squares
 * similarity transform (rotation + uniform scale + translation) and resample the crop.
 *
 * Coordinate convention (shared with detector.ts): continuous pixel coordinates; an image spans
 * [0, width] x [0, height] and pixel (i, j) (column, row) has its centre at (i + 0.5, j + 0.5).
 * Template points are read in the same convention.
 */
import type { AlignmentTemplate } from '../models/face-model.js';
import { rgbImage, type RgbImage } from './image.js';
import { centreCropResize } from './image-io.js';
import type { Point } from './detector.js';

/**
 * A 2x3 affine matrix [[a, b, tx], [c, d, ty]] mapping (x, y) to (a x + b y + tx, c x + d y + ty).
 * For a similarity, a = d = s cos(theta), c = -b = s sin(theta).
 */
export type Mat2x3 = [[number, number, number], [number, number, number]];

/** 0-based iBUG-68 indices. */
const LEFT_EYE = [36, 37, 38, 39, 40, 41];
const RIGHT_EYE = [42, 43, 44, 45, 46, 47];
const NOSE_TIP = 30;
const MOUTH_LEFT = 48;
const MOUTH_RIGHT = 54;

/**
 * The template's five points from 68 landmarks: left eye centre (mean of 36-41), right eye centre
 * (mean of 42-47), nose tip (30), left and right mouth corners (48, 54). "Left" = image left,
 * matching `AlignmentTemplate`.
 */
export function fivePoints(landmarks68: readonly Point[]): Point[] {
  if (landmarks68.length !== 68) throw new Error(`fivePoints: expected 68 landmarks, got ${landmarks68.length}`);
  const mean = (idx: number[]): Point => {
    let x = 0;
    let y = 0;
    for (const i of idx) {
      x += landmarks68[i][0];
      y += landmarks68[i][1];
    }
    return [x / idx.length, y / idx.length];
  };
  return [mean(LEFT_EYE), mean(RIGHT_EYE), landmarks68[NOSE_TIP], landmarks68[MOUTH_LEFT], landmarks68[MOUTH_RIGHT]].map(
    (p) => [p[0], p[1]] as Point,
  );
}

/**
 * Least-squares similarity transform taking `src` points onto `dst` points: minimises
 * sum_i w_i |dst_i - (s R src_i + t)|^2 over s >= 0, R a rotation (no reflection), t.
 * This is Umeyama's (1991) solution specialised to 2-D, where it has a closed form: writing
 * points as complex numbers, dst ~ z src + t with z = s e^{i theta}, and the minimiser is
 * z = sum w conj(src_c) dst_c / sum w |src_c|^2 on centred coordinates. Because z ranges over
 * all complex numbers (never a reflection), no SVD sign fix is needed.
 * `weights` (default all 1) must be non-negative with a positive sum.
 */
export function similarityTransform(src: readonly Point[], dst: readonly Point[], weights?: readonly number[]): Mat2x3 {
  const n = src.length;
  if (n < 2 || dst.length !== n) throw new Error(`similarityTransform: need >= 2 point pairs, got ${n}/${dst.length}`);
  const w = weights ?? new Array<number>(n).fill(1);
  if (w.length !== n || w.some((v) => !(v >= 0))) throw new Error('similarityTransform: bad weights');
  let wsum = 0;
  let msx = 0;
  let msy = 0;
  let mdx = 0;
  let mdy = 0;
  for (let i = 0; i < n; i++) {
    wsum += w[i];
    msx += w[i] * src[i][0];
    msy += w[i] * src[i][1];
    mdx += w[i] * dst[i][0];
    mdy += w[i] * dst[i][1];
  }
  if (!(wsum > 0)) throw new Error('similarityTransform: weights sum to 0');
  msx /= wsum;
  msy /= wsum;
  mdx /= wsum;
  mdy /= wsum;
  let varS = 0;
  let re = 0; // Re(sum w conj(s) d) = sum w (sx dx + sy dy)
  let im = 0; // Im(sum w conj(s) d) = sum w (sx dy - sy dx)
  for (let i = 0; i < n; i++) {
    const sx = src[i][0] - msx;
    const sy = src[i][1] - msy;
    const dx = dst[i][0] - mdx;
    const dy = dst[i][1] - mdy;
    varS += w[i] * (sx * sx + sy * sy);
    re += w[i] * (sx * dx + sy * dy);
    im += w[i] * (sx * dy - sy * dx);
  }
  if (!(varS > 1e-12)) throw new Error('similarityTransform: source points are (nearly) coincident');
  const a = re / varS; // s cos(theta)
  const b = im / varS; // s sin(theta)
  return [
    [a, -b, mdx - (a * msx - b * msy)],
    [b, a, mdy - (b * msx + a * msy)],
  ];
}

export function applyTransform(M: Mat2x3, p: Point): Point {
  return [M[0][0] * p[0] + M[0][1] * p[1] + M[0][2], M[1][0] * p[0] + M[1][1] * p[1] + M[1][2]];
}

export function invertAffine(M: Mat2x3): Mat2x3 {
  const [[a, b, tx], [c, d, ty]] = M;
  const det = a * d - b * c;
  if (!(Math.abs(det) > 1e-15)) throw new Error('invertAffine: singular matrix');
  const ia = d / det;
  const ib = -b / det;
  const ic = -c / det;
  const id = a / det;
  return [
    [ia, ib, -(ia * tx + ib * ty)],
    [ic, id, -(ic * tx + id * ty)],
  ];
}

export interface WarpOptions {
  /**
   * What samples outside the source image get. 'constant' (default) fills with `fill`
   * (default black), like dlib's `extract_image_chip` and OpenCV's default, which the dlib-style
   * templates were made with; 'replicate' repeats the nearest edge pixel.
   */
  border?: 'constant' | 'replicate';
  fill?: [number, number, number];
}

/**
 * Resamples `img` into a `size` x `size` image such that source point p lands on M p.
 * Each output pixel centre is mapped back through M^-1 and sampled bilinearly.
 *
 * Written by hand rather than with sharp's `.affine()`: libvips' affine sizes its output to the
 * bounding box of the whole transformed input and has its own half-pixel offset conventions, so
 * getting exactly this `size` x `size` window with our pixel-centre convention would need an
 * extra crop and offset bookkeeping; a 150x150 bilinear warp costs well under a millisecond in JS.
 */
export function warpAffine(img: RgbImage, M: Mat2x3, size: number, opts: WarpOptions = {}): RgbImage {
  if (!Number.isInteger(size) || size < 1) throw new Error(`warpAffine: bad size ${size}`);
  const border = opts.border ?? 'constant';
  const fill = opts.fill ?? [0, 0, 0];
  const inv = invertAffine(M);
  const [[ia, ib, itx], [ic, id, ity]] = inv;
  const { width: W, height: H, data: src } = img;
  const out = new Uint8Array(size * size * 3);
  for (let v = 0; v < size; v++) {
    for (let u = 0; u < size; u++) {
      const ox = u + 0.5;
      const oy = v + 0.5;
      // Source position in index space (pixel centres at integers).
      const sx = ia * ox + ib * oy + itx - 0.5;
      const sy = ic * ox + id * oy + ity - 0.5;
      const o = (v * size + u) * 3;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      if (border === 'constant' && (x0 < -1 || y0 < -1 || x0 >= W || y0 >= H)) {
        out[o] = fill[0];
        out[o + 1] = fill[1];
        out[o + 2] = fill[2];
        continue;
      }
      if (x0 >= 0 && y0 >= 0 && x0 + 1 < W && y0 + 1 < H) {
        // All four neighbours inside (the common case): same arithmetic, no per-sample border checks.
        const i00 = (y0 * W + x0) * 3;
        const i01 = i00 + W * 3;
        for (let ch = 0; ch < 3; ch++) {
          const val = (src[i00 + ch] * (1 - fx) + src[i00 + 3 + ch] * fx) * (1 - fy) + (src[i01 + ch] * (1 - fx) + src[i01 + 3 + ch] * fx) * fy;
          out[o + ch] = Math.min(255, Math.max(0, Math.round(val)));
        }
        continue;
      }
      for (let ch = 0; ch < 3; ch++) {
        const p00 = sample(src, W, H, x0, y0, ch, border, fill);
        const p10 = sample(src, W, H, x0 + 1, y0, ch, border, fill);
        const p01 = sample(src, W, H, x0, y0 + 1, ch, border, fill);
        const p11 = sample(src, W, H, x0 + 1, y0 + 1, ch, border, fill);
        const val = (p00 * (1 - fx) + p10 * fx) * (1 - fy) + (p01 * (1 - fx) + p11 * fx) * fy;
        out[o + ch] = Math.min(255, Math.max(0, Math.round(val)));
      }
    }
  }
  return rgbImage(size, size, out);
}

function sample(
  src: Uint8Array,
  W: number,
  H: number,
  x: number,
  y: number,
  ch: number,
  border: 'constant' | 'replicate',
  fill: [number, number, number],
): number {
  if (x < 0 || y < 0 || x >= W || y >= H) {
    if (border === 'constant') return fill[ch];
    x = x < 0 ? 0 : x >= W ? W - 1 : x;
    y = y < 0 ? 0 : y >= H ? H - 1 : y;
  }
  return src[(y * W + x) * 3 + ch];
}

export interface AlignOptions extends WarpOptions {
  /**
   * Fit weights for the five points (eyes, nose, mouth corners). Default: all 1, the plain
   * least-squares fit the template was defined with.
   */
  weights?: readonly number[];
}

/**
 * An alternative to the uniform fit, not the default: weights = 1 / (residual variance of each
 * point under the uniform fit), i.e. the maximum-likelihood fit when each point's deviation from
 * the template is independent Gaussian noise with its own variance. Measured with face-api
 * landmarks on 76 LFW images against DLIB_150_TEMPLATE (residual RMS 2.4/2.7 px eyes, 5.7 px
 * nose tip, 3.2/3.1 px mouth corners), left/right averaged. The nose tip gets little weight
 * because it sticks out of the face plane, so head yaw moves it most. On those images the mean
 * eye residual drops from 2.1 to 1.7 px while the mouth corners barely move (2.7 -> 2.6 px).
 */
export const INVERSE_VARIANCE_WEIGHTS: readonly number[] = [1.4, 1.4, 0.3, 0.9, 0.9];

export interface AlignedCrop {
  face: RgbImage;
  /** Source -> crop transform. */
  matrix: Mat2x3;
  /** The 68 landmarks mapped into crop coordinates. */
  landmarks: Point[];
}

/** The detected points a template is fitted to (see `AlignmentTemplate.landmarks`). */
export function templateSourcePoints(landmarks68: readonly Point[], template: AlignmentTemplate): Point[] {
  if (!template.landmarks) return fivePoints(landmarks68);
  if (landmarks68.length !== 68) throw new Error(`expected 68 landmarks, got ${landmarks68.length}`);
  return template.landmarks.map((k) => [landmarks68[k][0], landmarks68[k][1]] as Point);
}

/**
 * Eye centres (image-left eye first) as a template defines them: the mean of its points that are
 * eye landmarks (36-41 / 42-47), or its first two points for the classic five-point template.
 * `eyeCentresLike` gives the same quantity for a set of 68 landmarks, for comparisons.
 */
export function templateEyeCentres(template: AlignmentTemplate): [Point, Point] {
  if (!template.landmarks) return [template.points[0], template.points[1]];
  const avg = (lo: number): Point => {
    const pts = template.points.filter((_, i) => template.landmarks![i] >= lo && template.landmarks![i] < lo + 6);
    if (pts.length === 0) throw new Error(`template ${template.name} has no eye landmarks ${lo}-${lo + 5}`);
    return [pts.reduce((a, p) => a + p[0], 0) / pts.length, pts.reduce((a, p) => a + p[1], 0) / pts.length];
  };
  return [avg(36), avg(42)];
}

export function eyeCentresLike(landmarks68: readonly Point[], template: AlignmentTemplate): [Point, Point] {
  if (!template.landmarks) {
    const f = fivePoints(landmarks68);
    return [f[0], f[1]];
  }
  const idx = (lo: number) => template.landmarks!.filter((k) => k >= lo && k < lo + 6);
  const avg = (ks: number[]): Point => [ks.reduce((a, k) => a + landmarks68[k][0], 0) / ks.length, ks.reduce((a, k) => a + landmarks68[k][1], 0) / ks.length];
  return [avg(idx(36)), avg(idx(42))];
}

/** Aligns a face given its 68 landmarks in `img` coordinates. */
export function alignFace(
  img: RgbImage,
  landmarks68: readonly Point[],
  template: AlignmentTemplate,
  opts: AlignOptions = {},
): AlignedCrop {
  const expected = template.landmarks?.length ?? 5;
  if (template.points.length !== expected) {
    throw new Error(`alignFace: template ${template.name} has ${template.points.length} points, expected ${expected}`);
  }
  const M = similarityTransform(templateSourcePoints(landmarks68, template), template.points, opts.weights);
  return {
    face: warpAffine(img, M, template.size, opts),
    matrix: M,
    landmarks: landmarks68.map((p) => applyTransform(M, p)),
  };
}

/** For `--no-detect`: resize the shorter side to `size`, then take the centre square. */
export function centreCrop(img: RgbImage, size: number): Promise<RgbImage> {
  return centreCropResize(img, size);
}
