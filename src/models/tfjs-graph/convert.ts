/**
 * TF.js graph model -> ONNX graph (built with facelens' GraphBuilder), so that every facelens
 * engine (ONNX Runtime forward, the TfGraph interpreter for gradients, the backward-graph
 * generator) runs TF.js models unchanged. Hand-written because no JavaScript library converts
 * TF.js graphs to ONNX (tf2onnx is Python and works on TF SavedModels, not on model.json).
 *
 * TF semantics are NHWC, ONNX's are NCHW: 4D tensors are stored NCHW, filters are re-laid out,
 * axes of reductions / squeezes / pads / concats are remapped, reshapes of 4D tensors go through
 * NHWC, and the ops TF.js fuses (BiasAdd / FusedBatchNorm / activations) are expanded.
 */
import { UserError } from '../../core/errors.js';
import { GraphBuilder } from '../../engine/onnx/builder.js';
import { ConvertContext, onnxDims, type Value } from './context.js';
import { batchNormOp, convOp, poolOp } from './ops-conv.js';
import { BINARY_OPS, binaryOp, matMulOp, reduceOp, softmaxOp, unaryOp } from './ops-math.js';
import { concatOp, padOp, reshapeOp, squeezeOp } from './ops-shape.js';
import { fusePrelu } from './prelu.js';
import type { TfjsGraphFile } from './read.js';
import { attrShape, inputNode, type TfNode } from './tf-node.js';

type Handler = (cx: ConvertContext, node: TfNode, ins: Value[], out: string) => Value;

const HANDLERS: Record<string, Handler> = {
  Conv2D: convOp,
  _FusedConv2D: convOp,
  DepthwiseConv2dNative: convOp,
  FusedDepthwiseConv2dNative: convOp,
  MaxPool: poolOp,
  AvgPool: poolOp,
  FusedBatchNorm: batchNormOp,
  FusedBatchNormV2: batchNormOp,
  FusedBatchNormV3: batchNormOp,
  ...Object.fromEntries(BINARY_OPS.map((op) => [op, binaryOp])),
  ...Object.fromEntries(['Relu', 'Relu6', 'Prelu', 'LeakyRelu', 'Sigmoid', 'Tanh', 'Abs', 'Sqrt', 'Rsqrt', 'Square', 'Neg'].map((op) => [op, unaryOp])),
  Sum: reduceOp,
  Mean: reduceOp,
  MatMul: matMulOp,
  _FusedMatMul: matMulOp,
  Softmax: softmaxOp,
  Squeeze: squeezeOp,
  Reshape: reshapeOp,
  Pad: padOp,
  PadV2: padOp,
  ConcatV2: concatOp,
};
const ALIASES = new Set(['Identity', 'Snapshot', 'StopGradient']);

export const SUPPORTED_TF_OPS: readonly string[] = ['Placeholder', 'Const', ...ALIASES, ...Object.keys(HANDLERS)].sort();

export interface ConvertedGraph {
  builder: GraphBuilder;
  inputName: string;
  /** TF (NHWC) shape of the input, batch -1. */
  inputShape: number[];
  /** Value of every converted TF node. */
  values: Map<string, Value>;
  /** Converted non-constant nodes in topological order. */
  order: TfNode[];
  /** TF names of the graph's final outputs. */
  outputs: string[];
  /** TF node name -> names of its inputs (non-control). */
  inputsOf: Map<string, string[]>;
}

function nodeInputs(n: TfNode): string[] {
  return (n.input ?? []).map(inputNode).filter((s): s is string => s !== undefined);
}

/** Ancestors of `outputs` in topological order (Kahn's algorithm, stable in file order). */
function topoOrder(file: string, nodes: TfNode[], outputs: string[]): TfNode[] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const needed = new Set<string>();
  const stack = [...outputs];
  while (stack.length) {
    const n = stack.pop()!;
    if (needed.has(n)) continue;
    if (!byName.has(n)) throw new UserError(`${file}: node "${n}" is referenced but not defined`);
    needed.add(n);
    stack.push(...nodeInputs(byName.get(n)!));
  }
  const done = new Set<string>();
  const order: TfNode[] = [];
  let pending = nodes.filter((n) => needed.has(n.name));
  while (pending.length) {
    const next = pending.filter((n) => !nodeInputs(n).every((i) => done.has(i)));
    const ready = pending.filter((n) => nodeInputs(n).every((i) => done.has(i)));
    if (ready.length === 0) throw new UserError(`${file}: the graph has a cycle through "${pending[0].name}"`);
    for (const n of ready) {
      done.add(n.name);
      order.push(n);
    }
    pending = next;
  }
  return order;
}

function graphOutputs(f: TfjsGraphFile, nodes: TfNode[]): string[] {
  const names = new Set(nodes.map((n) => n.name));
  const sig = f.signatureOutputs.filter((n) => names.has(n));
  if (sig.length > 0) return sig;
  const consumed = new Set(nodes.flatMap(nodeInputs));
  return nodes.filter((n) => !consumed.has(n.name) && n.op !== 'Const' && !ALIASES.has(n.op)).map((n) => n.name);
}

export function convertTfjsGraph(f: TfjsGraphFile, opts: { inputSize?: number; name?: string } = {}): ConvertedGraph {
  // Outputs from the original graph: the PReLU rewrite leaves the old pattern nodes unconsumed.
  const outputs = graphOutputs(f, f.nodes);
  const nodes = fusePrelu(f.nodes, f.weights);
  if (outputs.length === 0) throw new UserError(`${f.path}: the graph has no outputs`);
  const order = topoOrder(f.path, nodes, outputs);
  const g = new GraphBuilder(opts.name ?? 'tfjs-graph');
  const cx = new ConvertContext(g, f.path);
  const values = new Map<string, Value>();
  const inputsOf = new Map<string, string[]>();
  let inputName: string | undefined;
  let inputShape: number[] = [];
  for (const node of order) {
    const inNames = nodeInputs(node);
    inputsOf.set(node.name, inNames);
    if (node.op === 'Const') {
      const c = f.weights.get(node.name);
      if (!c) throw cx.fail(node, 'constant has no value in the weights manifest');
      values.set(node.name, { kind: 'const', c });
      continue;
    }
    if (node.op === 'Placeholder') {
      if (inputName) throw cx.fail(node, `a second input (the first is "${inputName}"); only single-input models are supported`);
      const s = attrShape(node, 'shape') ?? [-1, -1, -1, 3];
      if (s.length !== 4) throw cx.fail(node, `input must be a 4D NHWC image batch, got shape [${s}]`);
      const side = opts.inputSize;
      inputShape = [-1, s[1] > 0 ? s[1] : side ?? -1, s[2] > 0 ? s[2] : side ?? -1, s[3]];
      if (inputShape.some((d, k) => k > 0 && d < 0)) throw cx.fail(node, `input size unknown ([${s}]); give inputSize`);
      inputName = g.input(node.name, onnxDims(inputShape));
      values.set(node.name, { kind: 'tensor', onnx: inputName, shape: inputShape });
      continue;
    }
    const ins = inNames.map((n) => values.get(n)!);
    if (ALIASES.has(node.op)) {
      values.set(node.name, ins[0]);
      continue;
    }
    const h = HANDLERS[node.op];
    if (!h) throw cx.fail(node, `unsupported op ${node.op}; supported: ${SUPPORTED_TF_OPS.join(', ')}`);
    values.set(node.name, h(cx, node, ins, node.name));
  }
  if (!inputName) throw new UserError(`${f.path}: the graph has no Placeholder input`);
  return { builder: g, inputName, inputShape, values, order: order.filter((n) => n.op !== 'Const'), outputs, inputsOf };
}

/** Removes the nodes and initializers that no graph output depends on. */
export function pruneGraph(g: GraphBuilder): void {
  const live = new Set(g.outputs.map((o) => o.name));
  const kept: typeof g.nodes = [];
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i];
    if (!(n.output ?? []).some((o) => live.has(o))) continue;
    kept.push(n);
    for (const x of n.input ?? []) if (x) live.add(x);
  }
  g.nodes.splice(0, g.nodes.length, ...kept.reverse());
  const inits = g.initializers.filter((t) => live.has(t.name ?? ''));
  g.initializers.splice(0, g.initializers.length, ...inits);
}
