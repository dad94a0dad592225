/**
 * Exact t-SNE (van der Maaten & Hinton, JMLR 2008), seeded and deterministic.
 *
 * Written here rather than taken from npm: `tsne` (1.0.1, a fork of Karpathy's tsnejs),
 * `tsne-js` (1.0.3) and `@keckelt/tsne` (1.0.2, tsnejs in TypeScript) all draw their initial
 * solution from Math.random with no seed (so layouts are not reproducible) and are
 * unmaintained; their schedules also differ from the reference figure's (tsnejs: default rate
 * 10, and its gain floor clamps the old gain, not the new one, so it never applies; tsne-js:
 * rate 1000, scikit-learn's old phase split). The exact algorithm is ~200 lines here.
 *
 * It follows van der Maaten's reference MATLAB code (x2p.m, tsne_p.m), which the paper's
 * authors used, step for step:
 *  - P: squared Euclidean distances; per point, a binary search on the precision beta
 *    (starting at 1; doubling/halving until bracketed, then bisection) until the entropy H of
 *    p_{.|i} is within `tol` (default 1e-5 nats) of log(perplexity). Distances are shifted by
 *    each row's minimum before exponentiating (same P, no underflow for far-apart data);
 *    200 tries rather than 50, so raw (unscaled) features still converge.
 *  - P = (P + P^T) / sum, then multiplied by `exaggeration` until iteration `exaggerationIters`.
 *  - Q: Student-t, q_ij = (1 + |y_i - y_j|^2)^-1 / Z, floored at realmin as in tsne_p.m.
 *  - gradient 4 sum_j (p_ij - q_ij)(1 + |y_i - y_j|^2)^-1 (y_i - y_j).
 *  - gains: +0.2 where sign(grad) != sign(increment), x0.8 otherwise, floor `minGain` (0.01).
 *  - increment = momentum * increment - learningRate * gains * grad; Y += increment; Y centred.
 *  - momentum 0.5, switched to 0.8 after iteration 250; exaggeration x4 removed after 100.
 *  - initial Y ~ N(0, sd 1e-4) per coordinate (MATLAB: .0001 * randn), from a seeded RNG.
 * Not reproduced: tsne.m's min-max scaling of X before PCA, which only rescales distances
 * (beta absorbs it, up to the calibration tolerance), and its internal PCA (use pca.ts first,
 * to min(50, n - 1) dims as in NOTES.md).
 *
 * Default learning rate 500, as in tsne_p.m and the settings of the reference figure; bhtsne
 * and older scikit-learn use 200, and scikit-learn's 'auto' (also offered here) gives 50 for
 * small n. Measured here on 2 x 25 points in 50-D: with 500 the early-exaggeration phase
 * overshoots (the layout jumps from 1e-4 to ~100 units in 10 iterations, to several hundred by
 * 100) and ends at KL ~0.35-0.42; with 50-100, layouts stay ~7 units wide and end at KL ~0.23.
 * Both separate the clusters. Whatever the rate, the trajectory is chaotic: a 1e-16 change in
 * P yields a different (equally good) layout after ~20 iterations at rate 500, so a layout is
 * reproducible only with this code, this seed and the same Math.exp/log.
 */
import { seededStream } from '../../core/random.js';
import { toRows, type MatrixInput } from './matrix.js';

export interface TsneOptions {
  /** Output dimensionality. Default 2. */
  dims?: number;
  /** Target perplexity. Default max(1, min(30, floor((n - 1) / 3))). Must lie in [1, n - 1]. */
  perplexity?: number;
  /** Gradient-descent iterations. Default 1000. */
  iterations?: number;
  /**
   * Learning rate (epsilon). Default 500 (reference figure / tsne_p.m). 'auto' is
   * scikit-learn's max(n / exaggeration / 4, 50) (Belkina et al. 2019), = 50 for n <= 800.
   */
  learningRate?: number | 'auto';
  /** Momentum before the switch. Default 0.5. */
  momentum?: number;
  /** Momentum after the switch. Default 0.8. */
  finalMomentum?: number;
  /** Momentum switches after this iteration (1-based). Default 250. */
  momentumSwitchIter?: number;
  /** Early-exaggeration factor on P. Default 4. */
  exaggeration?: number;
  /** Exaggeration removed after this iteration (1-based). Default 100. */
  exaggerationIters?: number;
  /** Minimum gain. Default 0.01. */
  minGain?: number;
  /** RNG seed for the initial solution. Default 0. */
  seed?: number | string;
  /** Standard deviation of the initial Gaussian solution. Default 1e-4. */
  initStd?: number;
  /** Entropy tolerance (nats) of the perplexity calibration. Default 1e-5. */
  tol?: number;
  /** Initial solution (n rows of `dims`), instead of the seeded Gaussian one. */
  init?: MatrixInput;
}

/** Options in force, defaults filled in and the learning rate resolved. */
export type ResolvedTsneOptions = Required<Omit<TsneOptions, 'perplexity' | 'init' | 'learningRate'>> & { learningRate: number };

export interface TsneResult {
  /** n rows of `dims` coordinates, centred on the origin. */
  coords: Float64Array[];
  /** KL(P || Q) of the final solution, with the un-exaggerated P. */
  kl: number;
  /** Perplexity targeted. */
  perplexity: number;
  /** Perplexity achieved per point: e^H, H the entropy (nats) of p_{.|i}. */
  achievedPerplexity: Float64Array;
  /** Precision beta = 1 / (2 sigma^2) found per point. */
  beta: Float64Array;
  /** The options in force (defaults filled in, learning rate resolved). */
  options: ResolvedTsneOptions;
}

export interface PerplexityCalibration {
  /** Conditional p_{j|i} at [i * n + j] (rows sum to 1, diagonal 0). */
  P: Float64Array;
  beta: Float64Array;
  /** e^H of each row. */
  perplexity: Float64Array;
}

const REALMIN = 2.2250738585072014e-308; // MATLAB realmin

export function defaultPerplexity(n: number): number {
  return Math.max(1, Math.min(30, Math.floor((n - 1) / 3)));
}

/** Squared Euclidean distances, row-major n x n. */
export function squaredDistances(rows: readonly Float64Array[]): Float64Array {
  const n = rows.length;
  const D = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const a = rows[i]!;
    for (let j = i + 1; j < n; j++) {
      const b = rows[j]!;
      let s = 0;
      for (let k = 0; k < a.length; k++) {
        const t = a[k]! - b[k]!;
        s += t * t;
      }
      D[i * n + j] = s;
      D[j * n + i] = s;
    }
  }
  return D;
}

/**
 * Per-point binary search on beta so that each conditional distribution p_{.|i} (Gaussian
 * kernel on squared distances `D`, n x n) has perplexity `perplexity` (x2p.m).
 */
export function calibratePerplexity(D: Float64Array, n: number, perplexity: number, tol = 1e-5, maxTries = 200): PerplexityCalibration {
  const P = new Float64Array(n * n);
  const beta = new Float64Array(n).fill(1);
  const achieved = new Float64Array(n);
  const logU = Math.log(perplexity);
  const row = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let dmin = Infinity;
    for (let j = 0; j < n; j++) if (j !== i && D[i * n + j]! < dmin) dmin = D[i * n + j]!;
    // Entropy and row of P for a given beta, on distances shifted by dmin.
    const hbeta = (b: number): number => {
      let sumP = 0;
      let sumDP = 0;
      for (let j = 0; j < n; j++) {
        if (j === i) {
          row[j] = 0;
          continue;
        }
        const dj = D[i * n + j]! - dmin;
        const p = Math.exp(-dj * b);
        row[j] = p;
        sumP += p;
        sumDP += dj * p;
      }
      for (let j = 0; j < n; j++) row[j] = row[j]! / sumP;
      return Math.log(sumP) + (b * sumDP) / sumP;
    };
    let b = 1;
    let bmin = -Infinity;
    let bmax = Infinity;
    let H = hbeta(b);
    let Hdiff = H - logU;
    for (let tries = 0; Math.abs(Hdiff) > tol && tries < maxTries; tries++) {
      if (Hdiff > 0) {
        bmin = b;
        b = bmax === Infinity ? b * 2 : (b + bmax) / 2;
      } else {
        bmax = b;
        b = bmin === -Infinity ? b / 2 : (b + bmin) / 2;
      }
      H = hbeta(b);
      Hdiff = H - logU;
    }
    beta[i] = b;
    achieved[i] = Math.exp(H);
    P.set(row, i * n);
  }
  return { P, beta, perplexity: achieved };
}

/**
 * Student-t kernel of the embedding Y (n x dims, row-major): num[i*n+j] = 1 / (1 + |y_i - y_j|^2)
 * (0 on the diagonal). Returns Z = sum over i != j.
 */
function studentT(Y: Float64Array, n: number, dims: number, num: Float64Array): number {
  let Z = 0;
  for (let i = 0; i < n; i++) {
    num[i * n + i] = 0;
    for (let j = i + 1; j < n; j++) {
      let d2 = 0;
      for (let c = 0; c < dims; c++) {
        const t = Y[i * dims + c]! - Y[j * dims + c]!;
        d2 += t * t;
      }
      const q = 1 / (1 + d2);
      num[i * n + j] = q;
      num[j * n + i] = q;
      Z += 2 * q;
    }
  }
  return Z;
}

/**
 * Gradient of KL(exag * P || Q) with respect to Y into `grad` (tsne_p.m:
 * 4 sum_j (exag p_ij - q_ij) num_ij (y_i - y_j), q floored at realmin). `num` is n*n scratch.
 */
export function tsneGradient(
  P: Float64Array,
  exag: number,
  Y: Float64Array,
  n: number,
  dims: number,
  grad: Float64Array,
  num: Float64Array = new Float64Array(n * n),
): void {
  const Z = studentT(Y, n, dims, num);
  grad.fill(0);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const q = num[i * n + j]!;
      const L = (exag * P[i * n + j]! - Math.max(q / Z, REALMIN)) * q;
      for (let c = 0; c < dims; c++) grad[i * dims + c]! += 4 * L * (Y[i * dims + c]! - Y[j * dims + c]!);
    }
  }
}

/** KL(P || Q) = sum_{i != j, p_ij > 0} p_ij log(p_ij / q_ij) for the embedding Y. */
export function tsneKl(P: Float64Array, Y: Float64Array, n: number, dims: number, num: Float64Array = new Float64Array(n * n)): number {
  const Z = studentT(Y, n, dims, num);
  let kl = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const p = P[i * n + j]!;
      if (j === i || p <= 0) continue;
      kl += p * Math.log(p / Math.max(num[i * n + j]! / Z, REALMIN));
    }
  }
  return kl;
}

/** Joint P of t-SNE: conditional P calibrated to `perplexity`, symmetrised, summing to 1. */
export function jointProbabilities(X: readonly Float64Array[], perplexity: number, tol = 1e-5): { P: Float64Array; calibration: PerplexityCalibration } {
  const n = X.length;
  const calibration = calibratePerplexity(squaredDistances(X), n, perplexity, tol);
  const C = calibration.P;
  const P = new Float64Array(n * n);
  let sumP = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const v = C[i * n + j]! + C[j * n + i]!;
      P[i * n + j] = v;
      sumP += v;
    }
  }
  for (let k = 0; k < P.length; k++) P[k] = P[k]! / sumP;
  return { P, calibration };
}

function gaussian(rng: () => number): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    const u1 = 1 - rng(); // (0, 1]
    const u2 = rng();
    const r = Math.sqrt(-2 * Math.log(u1));
    spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  };
}

/** Embed the rows of `input` in `dims` (default 2) dimensions. */
export function tsne(input: MatrixInput, options: TsneOptions = {}): TsneResult {
  const X = toRows(input, 'tsne');
  const n = X.length;
  const exaggeration = options.exaggeration ?? 4;
  const lr = options.learningRate ?? 500;
  const o: ResolvedTsneOptions = {
    dims: options.dims ?? 2,
    iterations: options.iterations ?? 1000,
    learningRate: lr === 'auto' ? Math.max(n / exaggeration / 4, 50) : lr,
    momentum: options.momentum ?? 0.5,
    finalMomentum: options.finalMomentum ?? 0.8,
    momentumSwitchIter: options.momentumSwitchIter ?? 250,
    exaggeration,
    exaggerationIters: options.exaggerationIters ?? 100,
    minGain: options.minGain ?? 0.01,
    seed: options.seed ?? 0,
    initStd: options.initStd ?? 1e-4,
    tol: options.tol ?? 1e-5,
  };
  if (!Number.isInteger(o.dims) || o.dims < 1) throw new RangeError(`tsne: dims must be a positive integer, got ${o.dims}`);
  if (!Number.isInteger(o.iterations) || o.iterations < 0) throw new RangeError(`tsne: bad iterations ${o.iterations}`);
  const perplexity = options.perplexity ?? defaultPerplexity(n);
  const empty = { coords: X.map(() => new Float64Array(o.dims)), kl: 0, perplexity, achievedPerplexity: new Float64Array(n), beta: new Float64Array(n), options: o };
  if (n <= 1) return empty;
  if (!(perplexity >= 1 && perplexity <= n - 1)) {
    throw new RangeError(`tsne: perplexity ${perplexity} outside [1, n - 1] = [1, ${n - 1}]`);
  }

  const { P, calibration: cal } = jointProbabilities(X, perplexity, o.tol);

  const dims = o.dims;
  const Y = new Float64Array(n * dims);
  if (options.init !== undefined) {
    const init = toRows(options.init, 'tsne init');
    if (init.length !== n || init[0]!.length !== dims) throw new RangeError(`tsne: init must be ${n} rows of ${dims}`);
    init.forEach((row, i) => Y.set(row, i * dims));
  } else {
    const rand = gaussian(seededStream(o.seed));
    for (let k = 0; k < Y.length; k++) Y[k] = o.initStd * rand();
  }
  const incs = new Float64Array(n * dims);
  const gains = new Float64Array(n * dims).fill(1);
  const grad = new Float64Array(n * dims);
  const num = new Float64Array(n * n);

  let exag = o.exaggerationIters > 0 ? o.exaggeration : 1;
  let momentum = o.momentumSwitchIter > 0 ? o.momentum : o.finalMomentum;
  for (let iter = 1; iter <= o.iterations; iter++) {
    tsneGradient(P, exag, Y, n, dims, grad, num);
    for (let k = 0; k < Y.length; k++) {
      const g = grad[k]!;
      const gain = Math.sign(g) !== Math.sign(incs[k]!) ? gains[k]! + 0.2 : gains[k]! * 0.8;
      gains[k] = Math.max(gain, o.minGain);
      incs[k] = momentum * incs[k]! - o.learningRate * gains[k]! * g;
      Y[k] = Y[k]! + incs[k]!;
    }
    for (let c = 0; c < dims; c++) {
      let m = 0;
      for (let i = 0; i < n; i++) m += Y[i * dims + c]!;
      m /= n;
      for (let i = 0; i < n; i++) Y[i * dims + c] = Y[i * dims + c]! - m;
    }
    if (iter === o.momentumSwitchIter) momentum = o.finalMomentum;
    if (iter === o.exaggerationIters) exag = 1;
  }

  const kl = tsneKl(P, Y, n, dims, num);
  const coords = Array.from({ length: n }, (_, i) => Y.slice(i * dims, (i + 1) * dims));
  return { coords, kl, perplexity, achievedPerplexity: cal.perplexity, beta: cal.beta, options: o };
}
