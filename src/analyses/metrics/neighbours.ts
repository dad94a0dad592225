/**
 * Sorted neighbour lists computed once from an n x n distance matrix and shared by every CV fold,
 * every k and every target (the k-NN probes' nested CV asks "the kMax nearest training rows of
 * query i" tens of times per row; scanning a whole matrix row each time made it O(n^2) per fold).
 *
 * Neighbour order is knn.ts' rule: ascending distance, ties by ascending row index. Each row keeps
 * only the first `prefix` rows of that order (selected in one pass over the row, no full sort);
 * a query whose training rows run out inside the prefix falls back to the row's fully sorted order,
 * computed on first use and kept. The answer is therefore always exactly the first kMax training
 * rows of the full order, whatever the prefix; the prefix only decides the speed.
 *
 * Hand-written: a partial (top-L) selection over a distance row with a fixed tie rule, which no
 * package offers for typed arrays.
 */
export class NeighbourLists {
  readonly n: number;
  readonly prefix: number;
  private readonly D: Float64Array;
  /** Row i's first `prefix` neighbours at lists[i * prefix ...]. */
  private readonly lists: Int32Array;
  private readonly full = new Map<number, Int32Array>();
  /** Rows that needed their full order (for tests and timing notes). */
  fallbacks = 0;

  constructor(D: Float64Array, n: number, prefix = 64) {
    if (D.length !== n * n) throw new RangeError(`distances: ${D.length} values for ${n} x ${n}`);
    if (!(Number.isInteger(prefix) && prefix >= 0)) throw new RangeError(`prefix must be a non-negative integer (got ${prefix})`);
    this.n = n;
    this.D = D;
    this.prefix = Math.min(prefix, Math.max(0, n - 1));
    this.lists = new Int32Array(n * this.prefix);
    const L = this.prefix;
    const dd = new Float64Array(L);
    for (let i = 0; i < n; i++) {
      const row = i * n;
      const base = i * L;
      let count = 0;
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        const v = D[row + j]!;
        // Scanning j ascending: an equal distance never displaces (the earlier index wins).
        if (count === L && !(v < dd[L - 1]!)) continue;
        let p = count < L ? count++ : L - 1;
        while (p > 0 && dd[p - 1]! > v) {
          dd[p] = dd[p - 1]!;
          this.lists[base + p] = this.lists[base + p - 1]!;
          p--;
        }
        dd[p] = v;
        this.lists[base + p] = j;
      }
    }
  }

  /** Row i's full neighbour order (all other rows), computed once. */
  fullOrder(i: number): Int32Array {
    let o = this.full.get(i);
    if (!o) {
      const n = this.n;
      const D = this.D;
      const row = i * n;
      o = Int32Array.from({ length: n - 1 }, (_, j) => (j < i ? j : j + 1));
      o.sort((a, b) => D[row + a]! - D[row + b]! || a - b);
      this.full.set(i, o);
      this.fallbacks++;
    }
    return o;
  }

  /**
   * The first `kMax` rows with member[row] = 1 in row i's neighbour order, written to `out`
   * (length >= kMax); returns how many there are (fewer when fewer members exist).
   */
  nearestIn(i: number, member: Uint8Array, kMax: number, out: Int32Array): number {
    const L = this.prefix;
    const base = i * L;
    let c = 0;
    for (let t = 0; t < L && c < kMax; t++) {
      const j = this.lists[base + t]!;
      if (member[j]) out[c++] = j;
    }
    if (c === kMax || L === this.n - 1) return c;
    // the prefix ran out: continue in the full order after it
    const o = this.fullOrder(i);
    for (let t = L; t < o.length && c < kMax; t++) {
      const j = o[t]!;
      if (member[j]) out[c++] = j;
    }
    return c;
  }
}

/**
 * A prefix length that rarely needs the fallback: about twice the rows it takes to meet kMax
 * training rows when only `share` of all rows can be training rows (a CV fold's training set
 * inside a subset). Capped at 256: the insertion selection costs ~prefix^2 per row, so past that
 * a row's full sort (the fallback) is as cheap.
 */
export function neighbourPrefix(kMax: number, share: number, n: number): number {
  const s = Math.min(1, Math.max(share, 1 / Math.max(1, n)));
  return Math.min(Math.max(0, n - 1), 256, Math.ceil((2 * kMax) / s) + 16);
}

