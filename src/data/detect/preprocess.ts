/**
 * Network inputs made the way face-api makes them, written out so that the ONNX path sees the
 * same pixels (facts from face-api's NetInput.toBatchTensor / padToSquare and TF's
 * resizeBilinear with alignCorners = halfPixelCenters = false):
 *   - the region is padded with zeros to a square: SSD pads at the end (bottom or right), the
 *     landmark net centres it (round(d / 2) after, the rest before);
 *   - the square (side S) is resized bilinearly to the net size n, output pixel i sampling
 *     source position i * S / n (no half-pixel shift), neighbours floor / min(S - 1, ceil);
 *   - SSD scales to [-1, 1] (v / 127.5 - 1), the landmark net subtracts the RGB mean and / 255.
 * Hand-written rather than sharp's resize because the result must match TF's legacy sampling
 * (sharp/libvips centres pixels, which would shift every box by half a source pixel).
 * Output: planar NCHW float32 for one image. The landmark crops are made here; the SSD's input
 * is made the same way inside its graph (ssd-graph.ts ssdInput), and tested against this.
 */
import type { RgbImage } from '../image.js';

export interface SquareRegion {
  /** Top-left of the region in the image. */
  x: number;
  y: number;
  width: number;
  height: number;
  /** Zero rows/columns placed before the region in the padded square (0 for SSD). */
  padBefore: number;
}

/**
 * Samples `region` of `img`, zero-padded to a square, at n x n; each channel value v becomes
 * (v - offset[c]) * scale. Returns [3, n, n] planar floats written into `out` at `at`.
 */
export function squareResize(
  img: RgbImage,
  region: SquareRegion,
  n: number,
  offset: readonly [number, number, number],
  scale: number,
  out: Float32Array = new Float32Array(3 * n * n),
  at = 0,
): Float32Array {
  const side = Math.max(region.width, region.height);
  // Which axis carries the padding (the shorter one), and the region's offset inside the square.
  const offX = region.width < side ? region.padBefore : 0;
  const offY = region.height < side ? region.padBefore : 0;
  const k = side / n;
  const plane = n * n;
  // Per output column: the byte offsets of the two source pixels in a row (or -1 for padding)
  // and the weight (float32, as TF computes it).
  const cx0 = new Int32Array(n);
  const cx1 = new Int32Array(n);
  const wx = new Float32Array(n);
  const srcCol = (c: number): number => {
    const ix = c - offX;
    return ix >= 0 && ix < region.width ? (region.x + ix) * 3 : -1;
  };
  for (let j = 0; j < n; j++) {
    const s = j * k;
    const lo = Math.floor(s);
    const hi = Math.min(side - 1, Math.ceil(s));
    cx0[j] = srcCol(lo);
    cx1[j] = srcCol(hi);
    wx[j] = s - lo;
  }
  const d = img.data;
  const w3 = img.width * 3;
  // Separable: each source row used is interpolated horizontally once into planar float32 rows
  // (3 x n), then output rows blend two such rows. Rows come in ascending order, so two cached
  // rows suffice. Padding rows/columns read as zeros. The arithmetic (and its float32 rounding
  // of the horizontal pass) is TF's, so the result does not depend on how the loops are arranged.
  const zeros = new Float32Array(3 * n);
  const rowBuf = [new Float32Array(3 * n), new Float32Array(3 * n)];
  const rowId = [-2, -2];
  let victim = 0;
  const hrow = (r: number, keep: Float32Array | undefined): Float32Array => {
    const ir = r - offY;
    if (ir < 0 || ir >= region.height) return zeros;
    if (rowId[0] === r) return rowBuf[0]!;
    if (rowId[1] === r) return rowBuf[1]!;
    if (rowBuf[victim] === keep) victim ^= 1; // never evict the row being blended with
    const h = rowBuf[victim]!;
    rowId[victim] = r;
    victim ^= 1;
    const base = (region.y + ir) * w3;
    for (let j = 0; j < n; j++) {
      const a = cx0[j]!;
      const b = cx1[j]!;
      const fx = wx[j]!;
      if (a >= 0 && b >= 0) {
        const pa = base + a;
        const pb = base + b;
        const l0 = d[pa]!;
        const l1 = d[pa + 1]!;
        const l2 = d[pa + 2]!;
        h[j] = l0 + (d[pb]! - l0) * fx;
        h[n + j] = l1 + (d[pb + 1]! - l1) * fx;
        h[2 * n + j] = l2 + (d[pb + 2]! - l2) * fx;
      } else {
        for (let ch = 0; ch < 3; ch++) {
          const l = a < 0 ? 0 : d[base + a + ch]!;
          const rr = b < 0 ? 0 : d[base + b + ch]!;
          h[ch * n + j] = l + (rr - l) * fx;
        }
      }
    }
    return h;
  };
  for (let i = 0; i < n; i++) {
    const s = i * k;
    const lo = Math.floor(s);
    const hi = Math.min(side - 1, Math.ceil(s));
    const wy = s - lo;
    const top = hrow(lo, undefined);
    const bottom = hrow(hi, top);
    for (let ch = 0; ch < 3; ch++) {
      const o = offset[ch]!;
      const dst = at + ch * plane + i * n;
      const src = ch * n;
      if (wy === 0) {
        for (let j = 0; j < n; j++) out[dst + j] = (top[src + j]! - o) * scale;
      } else {
        for (let j = 0; j < n; j++) {
          const t = top[src + j]!;
          out[dst + j] = (t + (bottom[src + j]! - t) * wy - o) * scale;
        }
      }
    }
  }
  return out;
}
