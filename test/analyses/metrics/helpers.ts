/** Seeded random data for the metrics tests. */
import seedrandom from 'seedrandom';
import type { FeatureMatrix } from '../../../src/analyses/metrics/matrix.js';

export function rng(seed: string): () => number {
  return seedrandom(seed);
}

/** Standard normal via Box-Muller. */
export function gauss(r: () => number): number {
  let u = 0;
  while (u === 0) u = r();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
}

export function randomMatrix(rows: number, cols: number, r: () => number, f: (r: () => number) => number = gauss): FeatureMatrix {
  const data = new Float32Array(rows * cols);
  for (let k = 0; k < data.length; k++) data[k] = f(r);
  return { data, rows, cols };
}

export function close(actual: number, expected: number, tol: number, msg = ''): void {
  if (!(Math.abs(actual - expected) <= tol)) {
    throw new Error(`${msg} expected ${expected} +- ${tol}, got ${actual}`);
  }
}
