/** Shared helpers for the engine tests: seeded random numbers and relative errors. */

export { mulberry32 } from '../../src/core/random.js';

/** n standard-normal samples (Box-Muller), scaled. */
export function randn(rng: () => number, n: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = Math.max(rng(), 1e-12);
    const v = rng();
    out[i] = scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  return out;
}

/** max |a - b| / max |b| (0 when both are all zero). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  if (Number.isNaN(diff)) return Infinity;
  return scale === 0 ? diff : diff / scale;
}

/**
 * Plain-loop reference of a 3x3 convolution, stride 1, zero padding 1, on one NCHW image
 * (cin x h x w -> cout x h x w; weights cout x cin x 3 x 3), accumulated and returned in float64.
 */
export function conv3x3(x: ArrayLike<number>, cin: number, cout: number, h: number, w: number, weights: ArrayLike<number>, bias: ArrayLike<number>): Float64Array {
  const y = new Float64Array(cout * h * w);
  for (let o = 0; o < cout; o++)
    for (let i = 0; i < h; i++)
      for (let j = 0; j < w; j++) {
        let s = bias[o];
        for (let c = 0; c < cin; c++)
          for (let ki = 0; ki < 3; ki++)
            for (let kj = 0; kj < 3; kj++) {
              const yi = i + ki - 1, xj = j + kj - 1;
              if (yi >= 0 && yi < h && xj >= 0 && xj < w) s += weights[((o * cin + c) * 3 + ki) * 3 + kj] * x[(c * h + yi) * w + xj];
            }
        y[(o * h + i) * w + j] = s;
      }
  return y;
}

/** Plain-loop reference of a 1x1 convolution on one image (cin x hw -> cout x hw; weights cout x cin), in float64. */
export function conv1x1(x: ArrayLike<number>, cin: number, cout: number, hw: number, weights: ArrayLike<number>, bias: ArrayLike<number>): Float64Array {
  const y = new Float64Array(cout * hw);
  for (let o = 0; o < cout; o++)
    for (let p = 0; p < hw; p++) {
      let s = bias[o];
      for (let c = 0; c < cin; c++) s += weights[o * cin + c] * x[c * hw + p];
      y[o * hw + p] = s;
    }
  return y;
}
