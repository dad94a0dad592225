/**
 * Memory-aware feature reduction for streamed CKA. The streamed form holds d_p x d_q doubles per
 * layer pair, so layers wider than `maxDims` are reduced first, by an explicit, recorded choice:
 *
 * - 'sketch' (default): signed feature hashing / count sketch (Weinberger et al. 2009): input
 *   coordinate i goes to output bucket h(i) with sign s(i), both drawn once per (seed, model,
 *   layer). Inner products, hence the Gram matrix X X^T that linear CKA is built on, are
 *   preserved in expectation (E[<Rx, Ry>] = <x, y>), with variance ~ |x|^2 |y|^2 / maxDims; the
 *   spatial layout is kept in the approximation (it is the flattened layer that is compared).
 * - 'pool': adaptive average pooling of a C x H x W map to C x g x g, g the largest grid with
 *   C g^2 <= maxDims (bins floor(i H / g) .. ceil((i + 1) H / g)); a different question (the
 *   layer's coarse spatial summary), exact and noise-free. Maps with C > maxDims are then sketched.
 * - 'none': no reduction (only sensible for small layers / few layers).
 * Layers with d <= maxDims are never reduced.
 */
import seedrandom from 'seedrandom';
import type { ProbeLayer } from '../../models/face-model.js';

export type Reduction = 'sketch' | 'pool' | 'none';
export const REDUCTIONS: readonly Reduction[] = ['sketch', 'pool', 'none'];

export interface LayerReducer {
  /** Input dimension (flattened probe shape). */
  inDims: number;
  outDims: number;
  /** What was done, in words (written to summary.json). */
  method: string;
  /** Reduces `rows` rows (row-major rows x inDims) to rows x outDims. */
  apply(x: Float32Array, rows: number): Float32Array;
}

export function identityReducer(d: number): LayerReducer {
  return { inDims: d, outDims: d, method: 'none (full layer)', apply: (x) => x };
}

/** Count sketch d -> k with buckets and signs from seedrandom(seed). */
export function sketchReducer(d: number, k: number, seed: string): LayerReducer {
  if (!(Number.isInteger(k) && k >= 1)) throw new RangeError(`sketch size must be a positive integer (got ${k})`);
  const rng = seedrandom(seed);
  const bucket = new Int32Array(d);
  const sign = new Float32Array(d);
  for (let i = 0; i < d; i++) {
    bucket[i] = Math.min(k - 1, Math.floor(rng() * k));
    sign[i] = rng() < 0.5 ? -1 : 1;
  }
  return {
    inDims: d,
    outDims: k,
    method: `count sketch ${d} -> ${k} (seedrandom("${seed}"): bucket = floor(u k), sign = u < 0.5 ? -1 : +1)`,
    apply(x, rows) {
      const out = new Float32Array(rows * k);
      for (let r = 0; r < rows; r++) {
        const xo = r * d, oo = r * k;
        for (let i = 0; i < d; i++) {
          const v = x[xo + i]!;
          if (v !== 0) out[oo + bucket[i]!] += sign[i]! * v;
        }
      }
      return out;
    },
  };
}

/** Adaptive average pooling of C x H x W to C x g x g. */
export function poolReducer(shape: readonly number[], g: number): LayerReducer {
  const [c, h, w] = shape as [number, number, number];
  const bins = (n: number) => Array.from({ length: g }, (_, i) => [Math.floor((i * n) / g), Math.ceil(((i + 1) * n) / g)] as const);
  const rb = bins(h), cb = bins(w);
  const d = c * h * w, k = c * g * g;
  return {
    inDims: d,
    outDims: k,
    method: `adaptive average pool ${c}x${h}x${w} -> ${c}x${g}x${g}`,
    apply(x, rows) {
      const out = new Float32Array(rows * k);
      for (let r = 0; r < rows; r++) {
        for (let ch = 0; ch < c; ch++) {
          const base = r * d + ch * h * w;
          for (let gi = 0; gi < g; gi++) {
            const [y0, y1] = rb[gi]!;
            for (let gj = 0; gj < g; gj++) {
              const [x0, x1] = cb[gj]!;
              let s = 0;
              for (let y = y0; y < y1; y++) for (let xx = x0; xx < x1; xx++) s += x[base + y * w + xx]!;
              out[r * k + (ch * g + gi) * g + gj] = s / ((y1 - y0) * (x1 - x0));
            }
          }
        }
      }
      return out;
    },
  };
}

function chain(a: LayerReducer, b: LayerReducer): LayerReducer {
  return { inDims: a.inDims, outDims: b.outDims, method: `${a.method}, then ${b.method}`, apply: (x, rows) => b.apply(a.apply(x, rows), rows) };
}

/** The reducer for one probe layer under (method, maxDims, seed). */
export function reducerFor(layer: ProbeLayer, opts: { method: Reduction; maxDims: number; seed: string; model: string }): LayerReducer {
  const d = layer.shape.reduce((a, b) => a * b, 1);
  if (opts.method === 'none' || d <= opts.maxDims) return identityReducer(d);
  const seed = `${opts.seed}/${opts.model}/${layer.name}`;
  if (opts.method === 'pool' && layer.shape.length === 3) {
    const [c, h, w] = layer.shape as [number, number, number];
    let g = Math.min(h, w);
    while (g > 1 && c * g * g > opts.maxDims) g--;
    const pool = poolReducer(layer.shape, g);
    return pool.outDims <= opts.maxDims ? pool : chain(pool, sketchReducer(pool.outDims, opts.maxDims, seed));
  }
  return sketchReducer(d, opts.maxDims, seed);
}
