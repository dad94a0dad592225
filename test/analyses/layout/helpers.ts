/** Seeded data generators for the layout tests. */
import seedrandom from 'seedrandom';

export function normal(rng: () => number): () => number {
  return () => {
    const u = 1 - rng();
    const v = rng();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

export function rngs(seed: string): { uniform: () => number; gauss: () => number } {
  const uniform = seedrandom(seed);
  return { uniform, gauss: normal(uniform) };
}

/** `n` points around each of `centres`, isotropic Gaussian with sd `sd`; labels alongside. */
export function blobs(centres: number[][], n: number, sd: number, seed: string): { X: Float64Array[]; labels: number[] } {
  const { gauss } = rngs(seed);
  const X: Float64Array[] = [];
  const labels: number[] = [];
  centres.forEach((c, k) => {
    for (let i = 0; i < n; i++) {
      X.push(Float64Array.from(c, (v) => v + sd * gauss()));
      labels.push(k);
    }
  });
  return { X, labels };
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

export function dist(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s);
}

/** A random unit vector in `d` dimensions. */
export function unit(d: number, gauss: () => number): Float64Array {
  const v = Float64Array.from({ length: d }, gauss);
  const n = Math.sqrt(dot(v, v));
  return v.map((x) => x / n);
}
