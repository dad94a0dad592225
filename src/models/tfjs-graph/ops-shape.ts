/** TF shape ops (Squeeze, Reshape, Pad, ConcatV2) as ONNX nodes, with NHWC <-> NCHW handled. */
import type { ConvertContext, Value } from './context.js';
import { AXIS_TO_NCHW, NCHW_TO_NHWC, NHWC_TO_NCHW, size } from './context.js';
import type { TfNode } from './tf-node.js';
import { attrInts } from './tf-node.js';

export function squeezeOp(cx: ConvertContext, node: TfNode, ins: Value[], out: string): Value {
  const x = cx.tensorOf(node, ins[0]);
  const r = x.shape.length;
  const given = attrInts(node, 'squeeze_dims') ?? attrInts(node, 'axis') ?? [];
  const axes = given.length > 0 ? given.map((a) => (a < 0 ? a + r : a)) : x.shape.flatMap((d, k) => (d === 1 ? [k] : []));
  for (const a of axes) if (x.shape[a] !== 1) throw cx.fail(node, `cannot squeeze axis ${a} of shape [${x.shape}]`);
  const shape = x.shape.filter((_, k) => !axes.includes(k));
  const onnxAxes = r === 4 ? axes.map((a) => AXIS_TO_NCHW[a]) : axes;
  const reorder = r === 4;
  let y = cx.g.node('Squeeze', [x.onnx, cx.int64Init(node, 'axes', onnxAxes)], {}, reorder ? cx.tmp(node, 'squeeze') : out);
  if (reorder) y = cx.reorderAfterDrop(node, y, axes, out);
  return { kind: 'tensor', onnx: y, shape };
}

/** Resolves a TF target shape (one -1 allowed; an unknown batch stays -1 in dim 0). */
function targetShape(cx: ConvertContext, node: TfNode, from: number[], to: number[]): number[] {
  const known = from.every((d) => d >= 0);
  const free = to.filter((d) => d === -1).length;
  if (free > 1) throw cx.fail(node, `shape [${to}] has more than one -1`);
  if (free === 0) return to;
  if (known) return to.map((d) => (d === -1 ? size(from) / size(to.filter((e) => e !== -1)) : d));
  const rest = size(from.filter((d) => d >= 0));
  if (to[0] === -1 && from[0] === -1 && size(to.slice(1)) === rest) return to;
  throw cx.fail(node, `cannot resolve shape [${to}] from [${from}]`);
}

/** Reshape in TF's (NHWC) element order: 4D inputs go to NHWC first, 4D results back to NCHW. */
export function reshapeOp(cx: ConvertContext, node: TfNode, ins: Value[], out: string): Value {
  const x = cx.tensorOf(node, ins[0]);
  const to = Array.from(cx.constOf(node, ins[1], 'shape').data);
  const shape = targetShape(cx, node, x.shape, to);
  const g = cx.g;
  const src = x.shape.length === 4 ? g.node('Transpose', [x.onnx], { perm: NCHW_TO_NHWC }, cx.tmp(node, 'nhwc')) : x.onnx;
  const onnxTo = shape.map((d, k) => (d < 0 && k === 0 ? -1 : d));
  const four = shape.length === 4;
  let y = g.node('Reshape', [src, cx.int64Init(node, 'shape', onnxTo)], {}, four ? cx.tmp(node, 'reshape') : out);
  if (four) y = g.node('Transpose', [y], { perm: NHWC_TO_NCHW }, out);
  return { kind: 'tensor', onnx: y, shape };
}

/** Pad / PadV2 (constant mode). */
export function padOp(cx: ConvertContext, node: TfNode, ins: Value[], out: string): Value {
  const x = cx.tensorOf(node, ins[0]);
  const r = x.shape.length;
  const p = Array.from(cx.constOf(node, ins[1], 'paddings').data);
  if (p.length !== 2 * r) throw cx.fail(node, `paddings [${p}] do not match rank ${r}`);
  const order = r === 4 ? NHWC_TO_NCHW : [...Array(r).keys()];
  const pads = [...order.map((a) => p[2 * a]), ...order.map((a) => p[2 * a + 1])];
  const inputs = [x.onnx, cx.int64Init(node, 'pads', pads)];
  if (node.op === 'PadV2') {
    const v = cx.constOf(node, ins[2], 'constant_values').data[0];
    if (v !== 0) inputs.push(cx.floatInit(node, 'value', [], [v]));
  }
  const y = cx.g.node('Pad', inputs, {}, out);
  return { kind: 'tensor', onnx: y, shape: x.shape.map((d, k) => (d < 0 ? d : d + p[2 * k] + p[2 * k + 1])) };
}

export function concatOp(cx: ConvertContext, node: TfNode, ins: Value[], out: string): Value {
  const parts = ins.slice(0, -1);
  const first = parts[0];
  if (!first) throw cx.fail(node, 'no inputs');
  const r = first.kind === 'const' ? first.c.shape.length : first.shape.length;
  let axis = cx.constOf(node, ins[ins.length - 1], 'axis').data[0];
  if (axis < 0) axis += r;
  const tensors = parts.map((v) => cx.tensorOf(node, v));
  const shape = [...tensors[0].shape];
  shape[axis] = tensors.reduce((a, t) => (a < 0 || t.shape[axis] < 0 ? -1 : a + t.shape[axis]), 0);
  const y = cx.g.node('Concat', tensors.map((t) => t.onnx), { axis: r === 4 ? AXIS_TO_NCHW[axis] : axis }, out);
  return { kind: 'tensor', onnx: y, shape };
}
