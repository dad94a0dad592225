/**
 * State shared by the TF.js -> ONNX op converters: the ONNX graph being built, the value of
 * every converted TF node, and the NHWC (TF) -> NCHW (ONNX) layout rules.
 *
 * Every value keeps its TF (semantic) shape; unknown sizes (the batch) are -1. Rank-4 tensors
 * are NHWC in TF and stored NCHW in the ONNX graph; tensors of other ranks are stored as in TF.
 * Constants stay on the host until an op consumes them, so each op can lay them out as it needs.
 */
import { UserError } from '../../core/errors.js';
import type { GraphBuilder } from '../../engine/onnx/builder.js';
import type { ConstValue, TfNode } from './tf-node.js';

export type Value = { kind: 'const'; c: ConstValue } | { kind: 'tensor'; onnx: string; shape: number[] };
export type TensorValue = Extract<Value, { kind: 'tensor' }>;

/** Permutation taking NHWC data to NCHW. */
export const NHWC_TO_NCHW = [0, 3, 1, 2];
/** Permutation taking NCHW data to NHWC. */
export const NCHW_TO_NHWC = [0, 2, 3, 1];
/** TF axis (NHWC) -> ONNX axis (NCHW) for rank-4 tensors. */
export const AXIS_TO_NCHW = [0, 2, 3, 1];

export function size(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** ONNX value-info dims of a TF shape: NCHW for rank 4, the unknown batch as `N`. */
export function onnxDims(shape: number[]): (number | string)[] {
  const s = shape.length === 4 ? NHWC_TO_NCHW.map((a) => shape[a]) : shape;
  return s.map((d) => (d < 0 ? 'N' : d));
}

/** Transposes a host constant: output axis k is input axis perm[k]. */
export function transposeConst(c: ConstValue, perm: number[]): ConstValue {
  const shape = perm.map((a) => c.shape[a]);
  const inStrides = c.shape.map((_, k) => size(c.shape.slice(k + 1)));
  const out = c.dtype === 'float32' ? new Float32Array(c.data.length) : new Int32Array(c.data.length);
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < out.length; i++) {
    let src = 0;
    for (let k = 0; k < shape.length; k++) src += idx[k] * inStrides[perm[k]];
    out[i] = c.data[src];
    for (let k = shape.length - 1; k >= 0; k--) {
      if (++idx[k] < shape[k]) break;
      idx[k] = 0;
    }
  }
  return { shape, data: out, dtype: c.dtype };
}

export class ConvertContext {
  constructor(
    readonly g: GraphBuilder,
    readonly file: string,
  ) {}

  fail(node: TfNode, msg: string): UserError {
    return new UserError(`${this.file}: node "${node.name}" (op ${node.op}): ${msg}`);
  }

  /** A fresh ONNX name for an intermediate (TF node names cannot contain ':'). */
  tmp(node: TfNode, what: string): string {
    return this.g.fresh(`${node.name}:${what}`);
  }

  floatInit(node: TfNode, what: string, dims: number[], data: ArrayLike<number>): string {
    return this.g.weight(this.tmp(node, what), dims, Float32Array.from(data));
  }

  int64Init(node: TfNode, what: string, values: number[]): string {
    return this.g.int64(this.tmp(node, what), values);
  }

  /** The host constant of an input, or an error naming what it is for. */
  constOf(node: TfNode, v: Value | undefined, what: string): ConstValue {
    if (!v || v.kind !== 'const') throw this.fail(node, `${what} must be a constant`);
    return v.c;
  }

  tensorOf(node: TfNode, v: Value | undefined, what = 'input'): TensorValue {
    if (!v) throw this.fail(node, `missing ${what}`);
    if (v.kind === 'tensor') return v;
    // A constant used as a data input: store it in ONNX layout.
    const c = v.c.shape.length === 4 ? transposeConst(v.c, NHWC_TO_NCHW) : v.c;
    return { kind: 'tensor', onnx: this.floatInit(node, 'const', c.shape, c.data), shape: v.c.shape };
  }

  /**
   * An operand of an elementwise op whose result has rank `rank`, in ONNX layout. TF broadcasts
   * right-aligned against NHWC; a lower-rank operand of a rank-4 result is first padded to rank 4
   * (leading 1s) and then permuted to NCHW, so ONNX broadcasting gives the same result.
   */
  operand(node: TfNode, v: Value, rank: number): string {
    if (rank !== 4) return this.tensorOf(node, v).onnx;
    if (v.kind === 'const') {
      const c4: ConstValue = { ...v.c, shape: [...new Array<number>(4 - v.c.shape.length).fill(1), ...v.c.shape] };
      const t = transposeConst(c4, NHWC_TO_NCHW);
      return this.floatInit(node, 'const', t.shape, t.data);
    }
    if (v.shape.length === 4) return v.onnx;
    if (v.shape.some((d) => d < 0)) throw this.fail(node, `cannot broadcast a rank-${v.shape.length} tensor of unknown size against a 4D tensor`);
    const shape4 = [...new Array<number>(4 - v.shape.length).fill(1), ...v.shape];
    const r = this.g.node('Reshape', [v.onnx, this.int64Init(node, 'shape', shape4)], {}, this.tmp(node, 'reshape'));
    return this.g.node('Transpose', [r], { perm: NHWC_TO_NCHW }, this.tmp(node, 'transpose'));
  }

  /**
   * Drops axes `drop` (TF numbering) of a rank-4 tensor `x` whose ONNX op already removed them
   * (`removed`, the ONNX result in NCHW-derived order): adds a Transpose when the remaining
   * axes come out of ONNX in another order than TF's.
   */
  reorderAfterDrop(node: TfNode, removed: string, drop: number[], out: string): string {
    const keep = [0, 1, 2, 3].filter((a) => !drop.includes(a));
    if (keep.length === 4) return removed;
    const onnxOrder = [...keep].sort((a, b) => AXIS_TO_NCHW[a] - AXIS_TO_NCHW[b]);
    const perm = keep.map((a) => onnxOrder.indexOf(a));
    if (perm.every((p, k) => p === k)) return removed;
    return this.g.node('Transpose', [removed], { perm }, out);
  }
}
