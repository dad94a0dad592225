/**
 * Values flowing through a TfGraph, and their memory layout.
 *
 * ONNX is NCHW; TF.js WASM convolutions and pools only do NHWC. A `Val` therefore carries a
 * *logical* shape (always ONNX's, NCHW for 4D) and a *stored* tensor whose 4D data may be NHWC.
 * Conversions happen lazily, only when an op asks for the other layout, and are cached on the
 * value (freed with it). Small integer / shape values (outputs of Shape, int64 initializers,
 * Constant nodes) live on the host as plain numbers so that shape arithmetic never reads tensor
 * data back (nothing in the traced path calls dataSync).
 */
import { tf } from './backend.js';

export type Layout = 'nchw' | 'nhwc';

/** stored NHWC = transpose(logical NCHW, TO_NHWC) */
export const TO_NHWC = [0, 2, 3, 1];
/** logical NCHW = transpose(stored NHWC, TO_NCHW) */
export const TO_NCHW = [0, 3, 1, 2];
/** For an NHWC-stored 4D value: logical axis a sits at stored axis NHWC_AXIS[a]. */
export const NHWC_AXIS = [0, 3, 1, 2];

export type HostDtype = 'float32' | 'int32';

/** A small tensor kept as JS numbers (row-major, logical shape). */
export interface HostData {
  data: number[];
  shape: number[];
  dtype: HostDtype;
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * transpose(t, perm), as a free reshape when only singleton axes move (e.g. NHWC <-> NCHW of a
 * [N, 1, 1, C] map, or a per-channel constant [1, C, 1, 1] -> [1, 1, 1, C]).
 */
export function permute(t: tf.Tensor, perm: readonly number[]): tf.Tensor {
  const shape = t.shape;
  const newShape = perm.map((p) => shape[p]);
  let last = -1;
  let orderKept = true;
  for (const p of perm) {
    if (shape[p] === 1) continue;
    if (p < last) {
      orderKept = false;
      break;
    }
    last = p;
  }
  if (orderKept) return tf.reshape(t, newShape);
  return tf.transpose(t, [...perm]);
}

export class Val {
  /** Stored tensors by layout (for rank != 4 only 'nchw' is used: logical order). */
  private readonly slots = new Map<Layout, tf.Tensor>();
  /** Tensors this value owns and frees in dispose(). */
  private readonly owned = new Set<tf.Tensor>();
  /** Derived tensors (aligned constants etc.), owned. */
  private readonly derived = new Map<string, tf.Tensor>();
  private primaryLayout: Layout = 'nchw';

  private constructor(readonly host: HostData | undefined) {}

  static tensor(t: tf.Tensor, layout: Layout = 'nchw', owned = true): Val {
    const v = new Val(undefined);
    const l: Layout = t.rank === 4 ? layout : 'nchw';
    v.primaryLayout = l;
    v.slots.set(l, t);
    if (owned) v.keepOwned(t);
    return v;
  }

  static hostVal(h: HostData): Val {
    if (sizeOf(h.shape) !== h.data.length) throw new Error(`host value: ${h.data.length} numbers for shape [${h.shape}]`);
    return new Val(h);
  }

  private keepOwned(t: tf.Tensor): void {
    tf.keep(t);
    this.owned.add(t);
  }

  get isHost(): boolean {
    return this.host !== undefined;
  }

  /** Logical (ONNX) shape. */
  get shape(): number[] {
    if (this.host) return this.host.shape;
    const t = this.slots.get(this.primaryLayout)!;
    if (t.rank === 4 && this.primaryLayout === 'nhwc') return TO_NCHW.map((a) => t.shape[a]);
    return t.shape;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** The layout the data is stored in now ('nchw' for anything that is not a 4D tensor). */
  get layout(): Layout {
    return this.host ? 'nchw' : this.primaryLayout;
  }

  get dtype(): 'float32' | 'int32' {
    if (this.host) return this.host.dtype;
    return this.slots.get(this.primaryLayout)!.dtype === 'int32' ? 'int32' : 'float32';
  }

  /** The tensor in the given layout (default: as stored). Host values are uploaded once. */
  get(layout?: Layout): tf.Tensor {
    if (this.host && this.slots.size === 0) {
      const t = tf.tensor(this.host.data, this.host.shape, this.host.dtype);
      this.slots.set('nchw', t);
      this.keepOwned(t);
    }
    const primary = this.slots.get(this.primaryLayout)!;
    if (layout === undefined || primary.rank !== 4) return primary;
    let t = this.slots.get(layout);
    if (!t) {
      t = permute(primary, layout === 'nhwc' ? TO_NHWC : TO_NCHW);
      this.slots.set(layout, t);
      this.keepOwned(t);
    }
    return t;
  }

  /** Logical NCHW tensor (same as get('nchw') for 4D, the tensor otherwise). */
  logical(): tf.Tensor {
    return this.get('nchw');
  }

  /**
   * This value as an operand of an elementwise op whose (broadcast) result is 4D and stored in
   * `layout`: lower-rank values are right-aligned to rank 4 (numpy rules) and permuted too.
   */
  alignedTo(layout: Layout, outRank: number): tf.Tensor {
    if (outRank !== 4 || layout === 'nchw') return this.logical();
    if (this.rank === 4) return this.get('nhwc');
    if (sizeOf(this.shape) === 1) return this.logical();
    const key = `aligned-nhwc`;
    let t = this.derived.get(key);
    if (!t) {
      const shape = [...new Array(4 - this.rank).fill(1), ...this.shape];
      t = permute(tf.reshape(this.logical(), shape), TO_NHWC);
      this.derived.set(key, t);
      this.keepOwned(t);
    }
    return t;
  }

  /** A derived tensor cached on this value (freed with it). */
  derive(key: string, make: () => tf.Tensor): tf.Tensor {
    let t = this.derived.get(key);
    if (!t) {
      t = make();
      this.derived.set(key, t);
      this.keepOwned(t);
    }
    return t;
  }

  /** Hands a tensor to the caller: this value will no longer free it. */
  release(t: tf.Tensor): void {
    this.owned.delete(t);
  }

  owns(t: tf.Tensor): boolean {
    return this.owned.has(t);
  }

  /** Every tensor held (stored layouts and derived). */
  tensors(): tf.Tensor[] {
    return [...this.slots.values(), ...this.derived.values()];
  }

  dispose(): void {
    for (const t of this.owned) t.dispose();
    this.owned.clear();
    this.slots.clear();
    this.derived.clear();
  }
}

/** Host values as numbers (for shapes, axes, pads...). */
export function hostNumbers(v: Val | undefined, what: string): number[] {
  if (!v) throw new Error(`${what}: missing input`);
  if (!v.host) throw new Error(`${what}: must be a constant (initializer, Constant or computed from shapes), not a runtime tensor`);
  return v.host.data;
}

/** Layout rules for elementwise ops on several values: the result layout and rank. */
export function commonLayout(vals: Val[]): { layout: Layout; rank: number } {
  const rank = Math.max(...vals.map((v) => v.rank));
  if (rank !== 4) return { layout: 'nchw', rank };
  // Keep NHWC if any 4D operand is stored NHWC (the convolutions' layout); else stay NCHW.
  const nhwc = vals.some((v) => v.rank === 4 && v.layout === 'nhwc');
  return { layout: nhwc ? 'nhwc' : 'nchw', rank };
}

/** Numpy broadcast of two shapes. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`shapes [${a}] and [${b}] do not broadcast`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Elementwise op on host values with numpy broadcasting. */
export function hostBinary(a: HostData, b: HostData, f: (x: number, y: number) => number, dtype: HostDtype): HostData {
  const shape = broadcastShapes(a.shape, b.shape);
  const n = sizeOf(shape);
  const data = new Array<number>(n);
  const idxA = broadcastIndex(a.shape, shape);
  const idxB = broadcastIndex(b.shape, shape);
  for (let i = 0; i < n; i++) data[i] = f(a.data[idxA(i)], b.data[idxB(i)]);
  return { data, shape, dtype };
}

function broadcastIndex(from: readonly number[], to: readonly number[]): (i: number) => number {
  const r = to.length;
  const padded = [...new Array(r - from.length).fill(1), ...from];
  const strides = new Array<number>(r);
  let s = 1;
  for (let k = r - 1; k >= 0; k--) {
    strides[k] = padded[k] === 1 ? 0 : s;
    s *= padded[k];
  }
  return (i: number) => {
    let off = 0;
    for (let k = r - 1; k >= 0; k--) {
      const c = i % to[k];
      i = Math.floor(i / to[k]);
      off += c * strides[k];
    }
    return off;
  };
}

/** Normalises a possibly negative axis. */
export function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= Math.max(rank, 1)) throw new Error(`axis ${axis} out of range for rank ${rank}`);
  return a;
}
