/**
 * Linear centred kernel alignment (Kornblith, Norouzi, Lee & Hinton, ICML 2019):
 *
 *   CKA(X, Y) = HSIC(K, L) / sqrt(HSIC(K, K) HSIC(L, L)),   K = X X^T, L = Y Y^T (n x n),
 *   HSIC(K, L) = tr(K H L H) / (n - 1)^2,   H = I - 11^T / n.
 *
 * For linear kernels tr(K H L H) = ||Xc^T Yc||_F^2 with Xc, Yc the column-centred features, so
 * the (n - 1)^2 factors cancel and CKA = ||Xc^T Yc||_F^2 / (||Xc^T Xc||_F ||Yc^T Yc||_F).
 *
 * `CkaAccumulator` streams that feature-space form: per block of two layers p, q it accumulates
 * S_pq = sum_s x_p(s) x_q(s)^T and the column sums in float64 over batches of faces, and at the
 * end forms Xc^T Yc = S_pq - n mu_p mu_q^T. Memory: d_p x d_q doubles per block, independent of
 * the number of faces n (so 10k faces fit); float32 inputs make every product exact in float64,
 * and the centring's cancellation costs ~1e-12 relative, far below the 1e-6 the tests demand.
 * `linearCkaGram` is the direct n x n centred-Gram computation the tests compare it with.
 *
 * Hand-written: no package on the project's registry computes CKA, and the streaming form is the
 * point (a Gram matrix of 10k faces would not fit).
 */
import { checkMatrix, type FeatureMatrix } from '../metrics/matrix.js';

/** Direct CKA from the centred n x n Gram matrices (float64). O(n^2 (d_x + d_y)); for tests and small n. */
export function linearCkaGram(x: FeatureMatrix, y: FeatureMatrix): number {
  checkMatrix(x, 'X');
  checkMatrix(y, 'Y');
  if (x.rows !== y.rows) throw new RangeError(`CKA: X has ${x.rows} rows, Y ${y.rows}`);
  const kc = centredGram(x);
  const lc = centredGram(y);
  let kl = 0, kk = 0, ll = 0;
  for (let i = 0; i < kc.length; i++) {
    kl += kc[i]! * lc[i]!;
    kk += kc[i]! * kc[i]!;
    ll += lc[i]! * lc[i]!;
  }
  return ckaFromHsic(kl, kk, ll);
}

/** Direct debiased CKA from the n x n Gram matrices (unbiased HSIC, Song et al. 2012); for tests. */
export function linearCkaGramDebiased(x: FeatureMatrix, y: FeatureMatrix): number {
  const h = (a: FeatureMatrix, b: FeatureMatrix) => unbiasedHsic(gram(a), gram(b), a.rows);
  const kk = h(x, x), ll = h(y, y);
  if (!(kk > 0) || !(ll > 0)) return NaN;
  return h(x, y) / Math.sqrt(kk * ll);
}

function gram(m: FeatureMatrix): Float64Array {
  const n = m.rows, d = m.cols;
  const k = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) {
    let s = 0;
    for (let c = 0; c < d; c++) s += m.data[i * d + c]! * m.data[j * d + c]!;
    k[i * n + j] = s;
  }
  return k;
}

function unbiasedHsic(k: Float64Array, l: Float64Array, n: number): number {
  let tr = 0, sk = 0, sl = 0, kl1 = 0;
  const kr = new Float64Array(n), lr = new Float64Array(n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    tr += k[i * n + j]! * l[j * n + i]!;
    kr[i] += k[i * n + j]!;
    lr[i] += l[i * n + j]!;
  }
  for (let i = 0; i < n; i++) {
    sk += kr[i]!;
    sl += lr[i]!;
    kl1 += kr[i]! * lr[i]!;
  }
  return (tr + (sk * sl) / ((n - 1) * (n - 2)) - (2 / (n - 2)) * kl1) / (n * (n - 3));
}

/** H (X X^T) H, n x n row-major. */
export function centredGram(m: FeatureMatrix): Float64Array {
  const n = m.rows, d = m.cols;
  const k = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += m.data[i * d + c]! * m.data[j * d + c]!;
      k[i * n + j] = s;
      k[j * n + i] = s;
    }
  }
  const rowMean = new Float64Array(n);
  let all = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += k[i * n + j]!;
    rowMean[i] = s / n;
    all += s;
  }
  all /= n * n;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) k[i * n + j] = k[i * n + j]! - rowMean[i]! - rowMean[j]! + all;
  return k;
}

/**
 * CKA from the three HSIC terms. A layer with no variance (constant features: HSIC(K, K) = 0)
 * has no defined CKA: NaN (written as null, and listed, by the summary writer).
 */
export function ckaFromHsic(kl: number, kk: number, ll: number): number {
  if (!(kk > 0) || !(ll > 0)) return NaN;
  const v = kl / Math.sqrt(kk * ll);
  return v > 1 ? 1 : v < 0 ? 0 : v;
}

/** A pair of slots (layers) whose cross-product block is accumulated. */
export interface CkaBlock {
  p: number;
  q: number;
}

/**
 * Streams cross products of several feature "slots" (layers, of one or two models). `blocks`
 * lists the (p, q) pairs needed; the diagonal blocks (p, p) that CKA normalises by are added
 * automatically. Rows of the batches passed to `add` must be the same faces in the same order
 * for every slot.
 */
export class CkaAccumulator {
  readonly dims: readonly number[];
  private readonly sums: Float64Array[];
  private readonly cross = new Map<string, Float64Array>();
  /** Per block: sum_i |x_pi|^2 |x_qi|^2, sum_i |x_qi|^2 x_pi, sum_i |x_pi|^2 x_qi (debiased HSIC). */
  private readonly extra = new Map<string, { d: number; v: Float64Array; w: Float64Array }>();
  /** Per slot: sum_i |x_i|^2 = tr(K). */
  private readonly traces: Float64Array;
  private count = 0;

  constructor(dims: readonly number[], blocks: readonly CkaBlock[]) {
    dims.forEach((d, i) => {
      if (!(Number.isInteger(d) && d > 0)) throw new RangeError(`CKA slot ${i}: dimension must be a positive integer (got ${d})`);
    });
    this.dims = [...dims];
    this.sums = dims.map((d) => new Float64Array(d));
    this.traces = new Float64Array(dims.length);
    const all = [...blocks, ...dims.map((_, p) => ({ p, q: p }))];
    for (const { p, q } of all) {
      if (!(p >= 0 && p < dims.length && q >= 0 && q < dims.length)) throw new RangeError(`CKA block (${p}, ${q}) outside ${dims.length} slots`);
      const key = blockKey(p, q);
      if (!this.cross.has(key)) {
        this.cross.set(key, new Float64Array(dims[Math.min(p, q)]! * dims[Math.max(p, q)]!));
        this.extra.set(key, { d: 0, v: new Float64Array(dims[Math.min(p, q)]!), w: new Float64Array(dims[Math.max(p, q)]!) });
      }
    }
  }

  /** Values held by the accumulator (float64 entries), for memory estimates. */
  get entries(): number {
    let s = 0;
    for (const b of this.cross.values()) s += b.length;
    return s + this.dims.reduce((a, b) => a + b, 0);
  }

  get n(): number {
    return this.count;
  }

  /**
   * The accumulated statistics, for a checkpoint: the face count and every float64 array in a
   * fixed order (column sums, traces, then per block: cross product, sum |x|^2|y|^2, v, w).
   * The arrays are the accumulator's own (not copies): write them before the next `add`.
   */
  snapshot(): { count: number; arrays: Float64Array[] } {
    const arrays: Float64Array[] = [...this.sums, this.traces];
    for (const [key, block] of this.cross) {
      const e = this.extra.get(key)!;
      arrays.push(block, Float64Array.of(e.d), e.v, e.w);
    }
    return { count: this.count, arrays };
  }

  /** Restores a `snapshot` of an accumulator built with the same dims and blocks. */
  restore(state: { count: number; arrays: Float64Array[] }): void {
    const mine = this.snapshot().arrays;
    if (state.arrays.length !== mine.length || state.arrays.some((a, i) => a.length !== mine[i]!.length)) {
      throw new RangeError('CKA restore: the snapshot is of an accumulator with other dimensions or blocks');
    }
    mine.forEach((a, i) => a.set(state.arrays[i]!));
    let k = this.sums.length + 1;
    for (const e of this.extra.values()) {
      e.d = state.arrays[k + 1]![0]!;
      k += 4;
    }
    this.count = state.count;
  }

  /** Adds `rows` faces: `slots[p]` is rows x dims[p], row-major. */
  add(slots: readonly Float32Array[], rows: number): void {
    this.addSums(slots, rows);
    for (const [key, block] of this.cross) {
      const [p, q] = key.split(':').map(Number) as [number, number];
      accumulateCross(block, slots[p]!, this.dims[p]!, slots[q]!, this.dims[q]!, rows);
    }
    this.count += rows;
  }

  /**
   * Same as `add`, with the cross products computed by `xty` (e.g. OrtGemm: float64 BLAS on
   * ONNX Runtime), for large runs. `xty(x, dx, y, dy, rows)` must return X^T Y (dx x dy).
   */
  async addWith(
    xty: (x: Float64Array, dx: number, y: Float64Array, dy: number, rows: number) => Promise<Float64Array>,
    slots: readonly Float32Array[],
    rows: number,
  ): Promise<void> {
    this.addSums(slots, rows);
    const wide = slots.map((x) => Float64Array.from(x));
    for (const [key, block] of this.cross) {
      const [p, q] = key.split(':').map(Number) as [number, number];
      const c = await xty(wide[p]!, this.dims[p]!, wide[q]!, this.dims[q]!, rows);
      if (c.length !== block.length) throw new Error(`CKA: cross product of slots ${p}, ${q} has ${c.length} values, expected ${block.length}`);
      for (let i = 0; i < block.length; i++) block[i] += c[i]!;
    }
    this.count += rows;
  }

  private addSums(slots: readonly Float32Array[], rows: number): void {
    if (slots.length !== this.dims.length) throw new RangeError(`CKA add: ${slots.length} slots, expected ${this.dims.length}`);
    slots.forEach((x, p) => {
      if (x.length !== rows * this.dims[p]!) throw new RangeError(`CKA add: slot ${p} has ${x.length} values, expected ${rows} x ${this.dims[p]}`);
      const sum = this.sums[p]!;
      const d = this.dims[p]!;
      for (let r = 0; r < rows; r++) for (let c = 0; c < d; c++) sum[c] = sum[c]! + x[r * d + c]!;
    });
    const norms = slots.map((x, p) => {
      const d = this.dims[p]!;
      const out = new Float64Array(rows);
      for (let r = 0; r < rows; r++) {
        let s = 0;
        for (let c = 0; c < d; c++) s += x[r * d + c]! * x[r * d + c]!;
        out[r] = s;
      }
      this.traces[p] += out.reduce((a, b) => a + b, 0);
      return out;
    });
    for (const [key, e] of this.extra) {
      const [p, q] = key.split(':').map(Number) as [number, number];
      const dp = this.dims[p]!, dq = this.dims[q]!;
      const xp = slots[p]!, xq = slots[q]!;
      for (let r = 0; r < rows; r++) {
        const np = norms[p]![r]!, nq = norms[q]![r]!;
        e.d += np * nq;
        for (let i = 0; i < dp; i++) e.v[i] += nq * xp[r * dp + i]!;
        for (let j = 0; j < dq; j++) e.w[j] += np * xq[r * dq + j]!;
      }
    }
  }

  /**
   * The unbiased HSIC estimator (Song et al. 2012) of slots p, q, from the streamed statistics:
   * with K~, L~ the Gram matrices with zeroed diagonals,
   *   HSIC_1 = [tr(K~L~) + (1'K~1)(1'L~1) / ((n-1)(n-2)) - 2/(n-2) 1'K~L~1] / (n(n-3)),
   *   tr(K~L~) = ||X'Y||_F^2 - sum_i |x_i|^2 |y_i|^2,   1'K~1 = |sum x|^2 - tr K,
   *   1'K~L~1 = sx' X'Y sy - sx . sum_i |y_i|^2 x_i - sy . sum_i |x_i|^2 y_i + sum_i |x_i|^2 |y_i|^2.
   * Needs n >= 4.
   */
  hsicUnbiased(p: number, q: number): number {
    const [a, b] = p <= q ? [p, q] : [q, p];
    const key = blockKey(a, b);
    const block = this.cross.get(key);
    const e = this.extra.get(key);
    if (!block || !e) throw new RangeError(`CKA: block (${p}, ${q}) was not accumulated`);
    const n = this.count;
    if (n < 4) return NaN;
    const sa = this.sums[a]!, sb = this.sums[b]!;
    const da = this.dims[a]!, db = this.dims[b]!;
    let frob = 0, sKLs = 0;
    for (let i = 0; i < da; i++) {
      let rowDot = 0;
      for (let j = 0; j < db; j++) {
        const c = block[i * db + j]!;
        frob += c * c;
        rowDot += c * sb[j]!;
      }
      sKLs += sa[i]! * rowDot;
    }
    let sv = 0, sw = 0, ssa = 0, ssb = 0;
    for (let i = 0; i < da; i++) {
      sv += sa[i]! * e.v[i]!;
      ssa += sa[i]! * sa[i]!;
    }
    for (let j = 0; j < db; j++) {
      sw += sb[j]! * e.w[j]!;
      ssb += sb[j]! * sb[j]!;
    }
    const trKL = frob - e.d;
    const oneK = ssa - this.traces[a]!;
    const oneL = ssb - this.traces[b]!;
    const oneKL = sKLs - sv - sw + e.d;
    return (trKL + (oneK * oneL) / ((n - 1) * (n - 2)) - (2 / (n - 2)) * oneKL) / (n * (n - 3));
  }

  /** Debiased linear CKA (unbiased HSIC in place of the biased one; can be slightly negative). */
  ckaDebiased(p: number, q: number): number {
    const kk = this.hsicUnbiased(p, p), ll = this.hsicUnbiased(q, q);
    if (!(kk > 0) || !(ll > 0)) return NaN;
    return this.hsicUnbiased(p, q) / Math.sqrt(kk * ll);
  }

  /** ||Xc_p^T Xc_q||_F^2 (tr(Kc_p Kc_q), without the 1/(n-1)^2 factor). */
  hsic(p: number, q: number): number {
    const [a, b] = p <= q ? [p, q] : [q, p];
    const block = this.cross.get(blockKey(a, b));
    if (!block) throw new RangeError(`CKA: block (${p}, ${q}) was not accumulated`);
    const n = this.count;
    if (n === 0) return NaN;
    const ma = this.sums[a]!, mb = this.sums[b]!;
    const da = this.dims[a]!, db = this.dims[b]!;
    let s = 0;
    for (let i = 0; i < da; i++) {
      const mi = ma[i]! / n;
      for (let j = 0; j < db; j++) {
        const c = block[i * db + j]! - mi * mb[j]!;
        s += c * c;
      }
    }
    return s;
  }

  cka(p: number, q: number): number {
    return ckaFromHsic(this.hsic(p, q), this.hsic(p, p), this.hsic(q, q));
  }
}

function blockKey(p: number, q: number): string {
  return p <= q ? `${p}:${q}` : `${q}:${p}`;
}

/**
 * block[i * dy + j] += sum_r x[r, i] y[r, j] (block is dx x dy for the lower slot index first;
 * the caller passes slots in that order). Loop order keeps one block row hot across the batch's
 * rows, and skips zero inputs (ReLU maps are sparse).
 */
function accumulateCross(block: Float64Array, x: Float32Array, dx: number, y: Float32Array, dy: number, rows: number): void {
  for (let i = 0; i < dx; i++) {
    const off = i * dy;
    for (let r = 0; r < rows; r++) {
      const a = x[r * dx + i]!;
      if (a === 0) continue;
      const yo = r * dy;
      for (let j = 0; j < dy; j++) block[off + j] += a * y[yo + j]!;
    }
  }
}
