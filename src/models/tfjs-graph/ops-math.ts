/** TF elementwise ops, reductions, MatMul and Softmax as ONNX nodes (NHWC axes -> NCHW). */
import type { ConvertContext, Value } from './context.js';
import { AXIS_TO_NCHW, size } from './context.js';
import { emitActivation, ACTIVATIONS } from './activation.js';
import type { TfNode } from './tf-node.js';
import { attrBool, attrStrings } from './tf-node.js';

const BINARY: Record<string, string> = {
  Add: 'Add', AddV2: 'Add', BiasAdd: 'Add', Sub: 'Sub', Mul: 'Mul', RealDiv: 'Div', Div: 'Div', Maximum: 'Max', Minimum: 'Min',
};
export const BINARY_OPS = Object.keys(BINARY);

function broadcastShape(cx: ConvertContext, node: TfNode, a: number[], b: number[]): number[] {
  const r = Math.max(a.length, b.length);
  const pa = [...new Array<number>(r - a.length).fill(1), ...a];
  const pb = [...new Array<number>(r - b.length).fill(1), ...b];
  return pa.map((x, k) => {
    const y = pb[k];
    if (x === 1) return y;
    if (y === 1 || x === y) return x;
    if (x < 0 || y < 0) return x < 0 ? y : x;
    throw cx.fail(node, `shapes [${a}] and [${b}] do not broadcast`);
  });
}

const shapeOf = (v: Value) => (v.kind === 'const' ? v.c.shape : v.shape);

/** Add/AddV2/BiasAdd/Sub/Mul/RealDiv/Maximum/Minimum; Maximum/Minimum with a scalar constant become Clip. */
export function binaryOp(cx: ConvertContext, node: TfNode, ins: Value[], out: string): Value {
  const [a, b] = ins;
  if (!a || !b) throw cx.fail(node, 'needs two inputs');
  if (a.kind === 'const' && b.kind === 'const') throw cx.fail(node, 'constant folding is not supported');
  const shape = broadcastShape(cx, node, shapeOf(a), shapeOf(b));
  const op = BINARY[node.op];
  if (op === 'Max' || op === 'Min') {
    // max(x, c) = Clip(x, c, +inf), min(x, c) = Clip(x, -inf, c) for a scalar constant c.
    const [t, c] = a.kind === 'const' ? [b, a] : [a, b];
    if (t.kind === 'tensor' && c.kind === 'const' && c.c.data.length === 1) {
      const bound = c.c.data[0];
      const [lo, hi] = op === 'Max' ? [bound, Infinity] : [-Infinity, bound];
      const y = cx.g.node('Clip', [t.onnx, cx.floatInit(node, 'min', [], [lo]), cx.floatInit(node, 'max', [], [hi])], {}, out);
      return { kind: 'tensor', onnx: y, shape };
    }
  }
  const y = cx.g.node(op, [cx.operand(node, a, shape.length), cx.operand(node, b, shape.length)], {}, out);
  return { kind: 'tensor', onnx: y, shape };
}

/** Relu, Relu6, Sigmoid, Tanh, LeakyRelu, Prelu, Abs, Sqrt, Rsqrt, Square, Neg. */
export function unaryOp(cx: ConvertContext, node: TfNode, ins: Value[], out: string): Value {
  const x = cx.tensorOf(node, ins[0]);
  const g = cx.g;
  let y: string;
  if (node.op === 'Prelu') {
    y = emitActivation(cx, node, 'Prelu', x.onnx, x.shape.length, out, cx.constOf(node, ins[1], 'alpha'));
  } else if (ACTIVATIONS.has(node.op)) {
    y = emitActivation(cx, node, node.op, x.onnx, x.shape.length, out);
  } else if (node.op === 'Abs' || node.op === 'Sqrt') {
    y = g.node(node.op, [x.onnx], {}, out);
  } else if (node.op === 'Square') {
    y = g.node('Mul', [x.onnx, x.onnx], {}, out);
  } else if (node.op === 'Rsqrt') {
    y = g.node('Div', [cx.floatInit(node, 'one', [], [1]), g.node('Sqrt', [x.onnx], {}, cx.tmp(node, 'sqrt'))], {}, out);
  } else if (node.op === 'Neg') {
    y = g.node('Mul', [x.onnx, cx.floatInit(node, 'minus1', [], [-1])], {}, out);
  } else {
    throw cx.fail(node, 'not a unary op');
  }
  return { kind: 'tensor', onnx: y, shape: x.shape };
}

/** Normalised TF reduction axes of a rank-`r` tensor, ascending. */
function tfAxes(cx: ConvertContext, node: TfNode, v: Value | undefined, r: number): number[] {
  const c = cx.constOf(node, v, 'reduction_indices');
  return [...new Set(Array.from(c.data, (a) => (a < 0 ? a + r : a)))].sort((p, q) => p - q);
}

/**
 * Mean / Sum. Sum is emitted as ReduceMean times the number of reduced elements, so both engines
 * (ONNX Runtime and TfGraph) run it with the same op.
 */
export function reduceOp(cx: ConvertContext, node: TfNode, ins: Value[], out: string): Value {
  const x = cx.tensorOf(node, ins[0]);
  const r = x.shape.length;
  const axes = tfAxes(cx, node, ins[1], r);
  const keep = attrBool(node, 'keep_dims') || attrBool(node, 'keepdims');
  const onnxAxes = r === 4 ? axes.map((a) => AXIS_TO_NCHW[a]) : axes;
  const shape = keep ? x.shape.map((d, k) => (axes.includes(k) ? 1 : d)) : x.shape.filter((_, k) => !axes.includes(k));
  const count = size(axes.map((a) => x.shape[a]));
  if (node.op === 'Sum' && count < 0) throw cx.fail(node, 'Sum over an axis of unknown size (the batch) is not supported');
  const needsReorder = r === 4 && !keep;
  let y = cx.g.node('ReduceMean', [x.onnx], { axes: onnxAxes, keepdims: keep ? 1 : 0 }, node.op === 'Sum' || needsReorder ? cx.tmp(node, 'mean') : out);
  if (node.op === 'Sum') y = cx.g.node('Mul', [y, cx.floatInit(node, 'count', [], [count])], {}, needsReorder ? cx.tmp(node, 'sum') : out);
  if (needsReorder) {
    y = cx.reorderAfterDrop(node, y, axes, out);
  }
  return { kind: 'tensor', onnx: y, shape };
}

/** MatMul / _FusedMatMul (BiasAdd, then an optional activation) on rank-2 tensors. */
export function matMulOp(cx: ConvertContext, node: TfNode, ins: Value[], out: string): Value {
  const g = cx.g;
  const side = (v: Value | undefined, transpose: boolean, what: string): { name: string; shape: number[] } => {
    if (!v) throw cx.fail(node, `missing ${what}`);
    const s = v.kind === 'const' ? v.c.shape : v.shape;
    if (s.length !== 2) throw cx.fail(node, `${what} must be 2D, got [${s}]`);
    if (!transpose) return { name: cx.tensorOf(node, v).onnx, shape: s };
    if (v.kind === 'const') {
      const [p, q] = s;
      const t = new Float32Array(p * q);
      for (let i = 0; i < p; i++) for (let j = 0; j < q; j++) t[j * p + i] = v.c.data[i * q + j];
      return { name: cx.floatInit(node, what, [q, p], t), shape: [q, p] };
    }
    return { name: g.node('Transpose', [v.onnx], { perm: [1, 0] }, cx.tmp(node, what)), shape: [s[1], s[0]] };
  };
  const a = side(ins[0], attrBool(node, 'transpose_a'), 'a');
  const b = side(ins[1], attrBool(node, 'transpose_b'), 'b');
  if (a.shape[1] >= 0 && b.shape[0] >= 0 && a.shape[1] !== b.shape[0]) throw cx.fail(node, `inner dimensions ${a.shape[1]} and ${b.shape[0]} differ`);
  const shape = [a.shape[0], b.shape[1]];
  const fused = attrStrings(node, 'fused_ops');
  let act: string | undefined;
  let bias: string | undefined;
  let k = 2;
  for (const op of fused) {
    if (op === 'BiasAdd' && !bias) bias = cx.floatInit(node, 'bias', [shape[1]], cx.constOf(node, ins[k++], 'fused bias').data);
    else if (ACTIVATIONS.has(op) && !act) act = op;
    else throw cx.fail(node, `unsupported fused_ops [${fused.join(', ')}]`);
  }
  const alpha = act === 'Prelu' ? cx.constOf(node, ins[k++], 'Prelu slope') : undefined;
  let y = g.node('MatMul', [a.name, b.name], {}, bias || act ? cx.tmp(node, 'matmul') : out);
  if (bias) y = g.node('Add', [y, bias], {}, act ? cx.tmp(node, 'bias') : out);
  if (act) y = emitActivation(cx, node, act, y, 2, out, alpha);
  return { kind: 'tensor', onnx: y, shape };
}

/** Softmax over the last TF axis (the channels of a 4D tensor). */
export function softmaxOp(cx: ConvertContext, node: TfNode, ins: Value[], out: string): Value {
  const x = cx.tensorOf(node, ins[0]);
  const axis = x.shape.length === 4 ? 1 : -1;
  return { kind: 'tensor', onnx: cx.g.node('Softmax', [x.onnx], { axis }, out), shape: x.shape };
}
