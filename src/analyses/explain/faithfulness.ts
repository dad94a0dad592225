/**
 * Faithfulness of an attribution map (Petsiuk et al. 2018, RISE: deletion and insertion):
 * pixels are ranked by the map (highest first; ties by pixel index, row-major), and
 * - deletion: the top fraction f of pixels is replaced by the fill image (grey / blurred face);
 * - insertion: starting from the fill image, the top fraction f is restored from the face;
 * for f = 0, 1/steps, ..., 1 the pair similarity is recorded. AUC = trapezoid area under
 * similarity vs f (f in [0, 1]). A faithful map has a LOW deletion AUC (the similarity falls
 * fast) and a HIGH insertion AUC, compared with a seeded random order of the pixels.
 */
import seedrandom from 'seedrandom';
import { rgbImage, type RgbImage } from '../../data/image.js';
import type { PairScorer } from './scorer.js';

/** Pixel indices by map value, highest first; ties keep index order. */
export function orderFromMap(map: ArrayLike<number>): Uint32Array {
  const idx = Uint32Array.from({ length: map.length }, (_, i) => i);
  return idx.sort((a, b) => map[b]! - map[a]! || a - b);
}

/** A seeded uniform permutation of 0..n-1 (Fisher-Yates with seedrandom(seed)). */
export function randomOrder(n: number, seed: string): Uint32Array {
  const rng = seedrandom(seed);
  const idx = Uint32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = idx[i]!;
    idx[i] = idx[j]!;
    idx[j] = t;
  }
  return idx;
}

/** Trapezoid area of y over x in [0, 1] at equally spaced points. */
export function trapezoidAuc(y: ArrayLike<number>): number {
  const n = y.length;
  if (n < 2) throw new RangeError('AUC needs at least 2 points');
  let s = 0;
  for (let i = 1; i < n; i++) s += (y[i - 1]! + y[i]!) / 2;
  return s / (n - 1);
}

export interface Curve {
  fractions: number[];
  similarity: number[];
  auc: number;
}

/** `steps + 1` images: the top round(f N) pixels of `order` taken from `src`, the rest from `dst`. */
function blends(dst: RgbImage, src: RgbImage, order: Uint32Array, steps: number): RgbImage[] {
  const n = order.length;
  const out: RgbImage[] = [];
  const cur = new Uint8Array(dst.data);
  let done = 0;
  for (let k = 0; k <= steps; k++) {
    const upto = Math.round((k / steps) * n);
    for (; done < upto; done++) {
      const p = order[done]! * 3;
      cur[p] = src.data[p]!;
      cur[p + 1] = src.data[p + 1]!;
      cur[p + 2] = src.data[p + 2]!;
    }
    out.push(rgbImage(dst.width, dst.height, cur.slice()));
  }
  return out;
}

export async function deletionInsertion(
  scorer: PairScorer,
  face: RgbImage,
  fill: RgbImage,
  ref: Float32Array,
  order: Uint32Array,
  steps: number,
): Promise<{ deletion: Curve; insertion: Curve }> {
  if (!(Number.isInteger(steps) && steps >= 1)) throw new RangeError(`steps must be a positive integer (got ${steps})`);
  if (order.length !== face.width * face.height) throw new RangeError(`order has ${order.length} pixels, the face ${face.width * face.height}`);
  const fractions = Array.from({ length: steps + 1 }, (_, k) => k / steps);
  const del = Array.from(await scorer.similarities(blends(face, fill, order, steps), ref));
  const ins = Array.from(await scorer.similarities(blends(fill, face, order, steps), ref));
  return {
    deletion: { fractions, similarity: del, auc: trapezoidAuc(del) },
    insertion: { fractions, similarity: ins, auc: trapezoidAuc(ins) },
  };
}
