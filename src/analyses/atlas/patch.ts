/**
 * Receptive-field patches and the atlas tiles built from them (reference figure,
 * `reference-pool5-neuron22.jpg`): per sample `[patch | 0.8 * projection + 0.2 * patch]`.
 *
 * Geometry (face-model.ts, `ReceptiveField`): cell (i, j) of a map is centred on input pixel
 * (offset + i * stride, offset + j * stride) and sees the inclusive box centre +- (size - 1) / 2.
 * The box is clipped to the image. (A fractional box edge, which no graph facelens builds
 * produces, is rounded outwards so the box never loses a pixel the neuron sees.)
 *
 * Display of the projections: ONE global min/max rescale to 0..255 over every tile of the
 * neuron (the RF boxes of all its samples) and all three channels together (NOTES.md), so tiles
 * of one neuron are comparable and colour balance is kept. Tiles are then resized to a common
 * size for the mosaic: each half is fitted into a `size` x `size` square keeping its aspect
 * ratio ('contain', letterboxed on grey; clipped border boxes are not square) or stretched
 * ('fill').
 */
import sharp from 'sharp';
import { rgbImage, type RgbImage } from '../../data/image.js';
import type { ReceptiveField } from '../../models/face-model.js';
import type { PixelBox } from '../../results/neuron-atlas.js';

export type { PixelBox } from '../../results/neuron-atlas.js';

export interface CellBox {
  /** Map cell (row, column). */
  row: number;
  col: number;
  /** RF centre in input pixels (x, y). */
  centre: [number, number];
  /** The analytic box before clipping (may extend outside the image). */
  full: PixelBox;
  /** The box clipped to the image: the patch. */
  box: PixelBox;
}

export interface DisplayRange {
  lo: number;
  hi: number;
}

export type TileFit = 'contain' | 'fill';

export const BLEND_PROJECTION = 0.8;
export const BLEND_PATCH = 0.2;
const EPS = 1e-6;

/** RF box of flat cell `cell` of a map `mapWidth` cells wide, clipped to `image`. */
export function rfBox(rf: ReceptiveField, cell: number, mapWidth: number, image: { width: number; height: number }): CellBox {
  if (!(Number.isInteger(cell) && cell >= 0)) throw new RangeError(`rfBox: bad cell ${cell}`);
  const row = Math.floor(cell / mapWidth);
  const col = cell % mapWidth;
  const cy = rf.offset + row * rf.stride;
  const cx = rf.offset + col * rf.stride;
  const r = (rf.size - 1) / 2;
  const full: PixelBox = {
    x0: Math.floor(cx - r + EPS),
    y0: Math.floor(cy - r + EPS),
    x1: Math.ceil(cx + r - EPS),
    y1: Math.ceil(cy + r - EPS),
  };
  const box: PixelBox = {
    x0: Math.max(0, full.x0),
    y0: Math.max(0, full.y0),
    x1: Math.min(image.width - 1, full.x1),
    y1: Math.min(image.height - 1, full.y1),
  };
  if (box.x0 > box.x1 || box.y0 > box.y1) throw new RangeError(`rfBox: cell ${cell} sees no pixel of the ${image.width}x${image.height} image`);
  return { row, col, centre: [cx, cy], full, box };
}

export const boxWidth = (b: PixelBox): number => b.x1 - b.x0 + 1;
export const boxHeight = (b: PixelBox): number => b.y1 - b.y0 + 1;

/**
 * One min/max over the boxes of every map, all three channels (maps are [3 x H x W], planar).
 * lo == hi (e.g. a neuron that is 0 on every sample) stays as it is; `toDisplay` maps it to 128.
 */
export function displayRange(maps: Float32Array[], boxes: PixelBox[], width: number, height: number): DisplayRange {
  let lo = Infinity;
  let hi = -Infinity;
  const plane = width * height;
  maps.forEach((m, k) => {
    const b = boxes[k];
    for (let c = 0; c < 3; c++)
      for (let y = b.y0; y <= b.y1; y++) {
        const base = c * plane + y * width;
        for (let x = b.x0; x <= b.x1; x++) {
          const v = m[base + x];
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
      }
  });
  if (!(lo <= hi)) return { lo: 0, hi: 0 };
  return { lo, hi };
}

/** A projection value on the 0..255 display scale (not rounded). */
export function toDisplay(v: number, range: DisplayRange): number {
  const span = range.hi - range.lo;
  return span > 0 ? ((v - range.lo) / span) * 255 : 128;
}

const clampByte = (v: number): number => (v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v));

/**
 * The two halves of a tile at the patch's own resolution: the face patch, and
 * round(0.8 * display(projection) + 0.2 * patch) per pixel and channel.
 */
export function tileHalves(face: RgbImage, map: Float32Array, box: PixelBox, range: DisplayRange): { patch: RgbImage; blend: RgbImage } {
  const w = boxWidth(box);
  const h = boxHeight(box);
  const plane = face.width * face.height;
  if (map.length !== 3 * plane) throw new Error(`tileHalves: map has ${map.length} values for a ${face.width}x${face.height} face`);
  const patch = new Uint8Array(w * h * 3);
  const blend = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const sy = box.y0 + y;
      const sx = box.x0 + x;
      for (let c = 0; c < 3; c++) {
        const p = face.data[(sy * face.width + sx) * 3 + c];
        const d = toDisplay(map[c * plane + sy * face.width + sx], range);
        patch[(y * w + x) * 3 + c] = p;
        blend[(y * w + x) * 3 + c] = clampByte(BLEND_PROJECTION * d + BLEND_PATCH * p);
      }
    }
  return { patch: rgbImage(w, h, patch), blend: rgbImage(w, h, blend) };
}

/** Fits an image into a `size` x `size` square (see module comment). */
export async function fitSquare(img: RgbImage, size: number, fit: TileFit = 'contain'): Promise<RgbImage> {
  if (img.width === size && img.height === size) return img;
  const { data, info } = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(size, size, { fit, kernel: 'lanczos3', background: { r: 128, g: 128, b: 128 } })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.width !== size || info.height !== size || info.channels !== 3) throw new Error(`fitSquare: got ${info.width}x${info.height}x${info.channels}`);
  return rgbImage(size, size, new Uint8Array(data.buffer, data.byteOffset, data.length).slice());
}

/** `a` and `b` (same height) side by side. */
export function sideBySide(a: RgbImage, b: RgbImage): RgbImage {
  if (a.height !== b.height) throw new Error('sideBySide: heights differ');
  const w = a.width + b.width;
  const out = new Uint8Array(w * a.height * 3);
  for (let y = 0; y < a.height; y++) {
    out.set(a.data.subarray(y * a.width * 3, (y + 1) * a.width * 3), y * w * 3);
    out.set(b.data.subarray(y * b.width * 3, (y + 1) * b.width * 3), (y * w + a.width) * 3);
  }
  return rgbImage(w, a.height, out);
}

/** The mosaic tile of one sample: `[patch | blend]`, each half `size` x `size`. */
export async function makeTile(face: RgbImage, map: Float32Array, box: PixelBox, range: DisplayRange, size: number, fit: TileFit = 'contain'): Promise<RgbImage> {
  const { patch, blend } = tileHalves(face, map, box, range);
  return sideBySide(await fitSquare(patch, size, fit), await fitSquare(blend, size, fit));
}
