/**
 * Backward graphs for ONNX Runtime: from a model's ONNX forward graph, one ONNX graph that runs
 * the forward pass up to a probe tensor and then the input-space vector-Jacobian product
 * (upstream signal -> d/d input), with the rectifier rule of tfjs/relu-rules.ts as a parameter.
 *
 * Graph inputs: the model input, plus `facelens_mask` (batch x probe shape; kinds 'mask' and
 * 'value-mask') or `facelens_channel` (int64 [1]; kind 'channel-max').
 * Graph outputs: `facelens_grad` (NCHW, as the input), the probe tensor (its forward value) and
 * any `capture` tensors, all from the same forward pass.
 *
 * The per-op rules (and the ops covered) are the table in ort/backward-rules.ts; ops outside it
 * raise UnsupportedOpError (the caller falls back to TfGraph).
 *
 * Static shapes (batch 1) come from `inferShapes` (one ORT run of the forward graph).
 */
import ort from 'onnxruntime-node';
import { attr, decodeModel, encodeModel, TensorDataType, type ModelProto, type NodeProto, type TensorProto } from '../onnx/proto.js';
import { Gen, UnsupportedOpError } from './backward-gen.js';
import { BACKWARD_RULES, type BackwardContext } from './backward-rules.js';
import type { ReluRule } from '../tfjs/relu-rules.js';

export { UnsupportedOpError } from './backward-gen.js';
export { BACKWARD_OPS } from './backward-rules.js';

export type UpstreamKind = 'mask' | 'value-mask' | 'channel-max';

export const BACKWARD_IO = {
  grad: 'facelens_grad',
  mask: 'facelens_mask',
  channel: 'facelens_channel',
} as const;

export interface BackwardSpec {
  /** The graph input to differentiate with respect to. */
  input: string;
  /** Probe tensor (a forward value). */
  output: string;
  rule: ReluRule;
  upstream: UpstreamKind;
  /** 'channel-max' on spatial probes: the channel's argmax cell or its centre cell. */
  spatial?: 'max' | 'centre';
  /** Forward tensors to add as outputs. */
  capture?: string[];
  /** Conv backward: flipped-kernel Conv where possible ('auto', default), or always ConvTranspose. */
  conv?: 'auto' | 'transpose';
}

const SHAPELESS = new Set(['Shape', 'Size']);

function nodeName(n: NodeProto): string {
  return n.name || `${n.opType}->${n.output?.[0] ?? '?'}`;
}

/** Forward nodes needed for `targets` (in graph order) and the values that depend on `input`. */
function analyse(nodes: NodeProto[], input: string, targets: string[]) {
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => (n.output ?? []).forEach((o) => o && producer.set(o, i)));
  const needed = new Set<number>();
  const stack = [...targets];
  while (stack.length) {
    const v = stack.pop()!;
    const i = producer.get(v);
    if (i === undefined || needed.has(i)) continue;
    needed.add(i);
    for (const x of nodes[i].input ?? []) if (x) stack.push(x);
  }
  const dep = new Set<string>([input]);
  const order = [...needed].sort((a, b) => a - b);
  for (const i of order) {
    const n = nodes[i];
    if (SHAPELESS.has(n.opType ?? '')) continue;
    if ((n.input ?? []).some((x) => x && dep.has(x))) for (const o of n.output ?? []) if (o) dep.add(o);
  }
  return { order, dep };
}

/** Names of the values whose static shapes the generator needs (the input-dependent ones). */
export function shapeNames(bytes: Uint8Array, spec: Pick<BackwardSpec, 'input' | 'output'>): string[] {
  const model = decodeModel(bytes);
  const nodes = model.graph?.node ?? [];
  const { order, dep } = analyse(nodes, spec.input, [spec.output]);
  const names = new Set<string>();
  for (const i of order) for (const o of nodes[i].output ?? []) if (o && dep.has(o)) names.add(o);
  names.delete(spec.input);
  return [...names];
}

function floatInfo(name: string) {
  return { name, type: { tensorType: { elemType: TensorDataType.FLOAT } } };
}

/** Batch-1 shapes of `names` (forward values), from one ORT run on zeros. */
export async function inferShapes(bytes: Uint8Array, input: string, inputDims: number[], names: string[]): Promise<Map<string, number[]>> {
  const model = decodeModel(bytes);
  const graph = model.graph!;
  graph.output = names.map(floatInfo) as typeof graph.output;
  const session = await ort.InferenceSession.create(encodeModel(model), { graphOptimizationLevel: 'basic', intraOpNumThreads: 1 });
  try {
    const n = inputDims.reduce((a, b) => a * b, 1);
    const out = await session.run({ [input]: new ort.Tensor('float32', new Float32Array(n), inputDims) }, names);
    const shapes = new Map<string, number[]>([[input, inputDims]]);
    for (const name of names) shapes.set(name, out[name].dims.map(Number));
    return shapes;
  } finally {
    await session.release();
  }
}

/** Builds the forward + backward ONNX model (bytes) for `spec`; `shapes` from inferShapes. */
export function buildBackwardModel(bytes: Uint8Array, spec: BackwardSpec, shapes: Map<string, number[]>): Uint8Array {
  const model: ModelProto = decodeModel(bytes);
  const graph = model.graph;
  if (!graph) throw new Error('ONNX model has no graph');
  const all = graph.node ?? [];
  const def = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  const version = Number(def?.version ?? 0);
  const capture = [...new Set(spec.capture ?? [])].filter((c) => c !== spec.output && c !== spec.input);
  const { order, dep } = analyse(all, spec.input, [spec.output, ...capture]);
  if (!dep.has(spec.output)) throw new Error(`backward graph: ${spec.output} does not depend on ${spec.input}`);
  const inits = new Map<string, TensorProto>();
  for (const t of graph.initializer ?? []) if (t.name) inits.set(t.name, t);
  const constNodes = new Map<string, TensorProto>();
  for (const i of order) {
    const n = all[i];
    if (n.opType === 'Constant' && attr(n, 'value')?.t) constNodes.set(n.output![0], attr(n, 'value')!.t!);
  }
  const constant = (name: string | undefined | null): TensorProto | undefined => (name ? inits.get(name) ?? constNodes.get(name) : undefined);

  const names = new Set<string>();
  for (const n of all) for (const v of [...(n.input ?? []), ...(n.output ?? [])]) if (v) names.add(v);
  const g = new Gen(names);
  const shape = (v: string): number[] => {
    const s = shapes.get(v);
    if (!s) throw new Error(`backward graph: no shape for "${v}"`);
    return s;
  };

  // Backward nodes: the needed forward nodes on the input -> probe path (probe's ancestors only).
  const probeAnc = analyse(all, spec.input, [spec.output]).order;
  const onPath = probeAnc.filter((i) => (all[i].output ?? []).some((o) => o && dep.has(o)));
  const forward = order.map((i) => ({ ...all[i] }));
  const fwdIndex = new Map(order.map((i, k) => [i, k]));

  // --- upstream --------------------------------------------------------------------------------
  const extraInputs: { name: string; type: object }[] = [];
  const yShape = shape(spec.output);
  let up: string;
  if (spec.upstream === 'mask' || spec.upstream === 'value-mask') {
    extraInputs.push({
      name: BACKWARD_IO.mask,
      type: { tensorType: { elemType: TensorDataType.FLOAT, shape: { dim: [{ dimParam: 'N' }, ...yShape.slice(1).map((d) => ({ dimValue: d }))] } } },
    });
    up = spec.upstream === 'mask' ? BACKWARD_IO.mask : g.one('Mul', [BACKWARD_IO.mask, spec.output]);
  } else {
    extraInputs.push({ name: BACKWARD_IO.channel, type: { tensorType: { elemType: TensorDataType.INT64, shape: { dim: [{ dimValue: 1 }] } } } });
    const onOff = g.floats([2], new Float32Array([0, 1]), 'onehot_values');
    const yDims = g.one('Shape', [spec.output]);
    if (yShape.length === 4) {
      const [, C, H, W] = yShape;
      const chHot = g.one('Reshape', [g.one('OneHot', [BACKWARD_IO.channel, g.ints([C], []), onOff], { axis: -1 }), g.ints([1, C, 1, 1])]);
      let idx: string;
      if ((spec.spatial ?? 'centre') === 'max') {
        const sel = g.one('Gather', [spec.output, BACKWARD_IO.channel], { axis: 1 });
        idx = g.one('ArgMax', [g.one('Reshape', [sel, g.ints([0, -1])])], { axis: 1, keepdims: 1 });
      } else {
        idx = g.ints([(H >> 1) * W + (W >> 1)], [1, 1]);
      }
      const cellHot = g.one('Reshape', [g.one('OneHot', [idx, g.ints([H * W], []), onOff], { axis: -1 }), g.ints([-1, 1, H, W])]);
      up = g.one('Expand', [g.one('Mul', [cellHot, chHot]), yDims]);
    } else if (yShape.length === 2) {
      up = g.one('Expand', [g.one('OneHot', [BACKWARD_IO.channel, g.ints([yShape[1]], []), onOff], { axis: -1 }), yDims]);
    } else {
      throw new Error(`backward graph: channel-max needs a rank-2 or rank-4 probe, ${spec.output} has rank ${yShape.length}`);
    }
  }

  // --- backward pass ---------------------------------------------------------------------------
  const grads = new Map<string, string[]>([[spec.output, [up]]]);
  const addGrad = (v: string, gv: string) => {
    if (!dep.has(v)) return;
    const l = grads.get(v) ?? [];
    l.push(gv);
    grads.set(v, l);
  };
  const gradOf = (v: string): string | undefined => {
    const l = grads.get(v);
    if (!l || l.length === 0) return undefined;
    if (l.length === 1) return l[0];
    const s = g.one('Sum', l);
    grads.set(v, [s]);
    return s;
  };
  for (const i of [...onPath].reverse()) {
    const n = all[i];
    const op = n.opType ?? '';
    const label = nodeName(n);
    if (n.domain && n.domain !== 'ai.onnx') throw new UnsupportedOpError(`${n.domain}.${op}`, label);
    const out = n.output![0];
    const gy = gradOf(out);
    if (!gy) continue;
    const backward = Object.hasOwn(BACKWARD_RULES, op) ? BACKWARD_RULES[op] : undefined;
    if (!backward) throw new UnsupportedOpError(op, label);
    const ins = n.input ?? [];
    const cx: BackwardContext = {
      g,
      node: n,
      op,
      ins,
      x: ins[0],
      out,
      gy,
      rule: spec.rule,
      conv: spec.conv ?? 'auto',
      forward: forward[fwdIndex.get(i)!],
      opset: version,
      depends: (v) => dep.has(v),
      shape,
      constant,
      addGrad,
      unsupported: (detail = '') => new UnsupportedOpError(op, label, detail),
    };
    backward(cx);
  }
  const gx = gradOf(spec.input) ?? g.one('Mul', [spec.input, g.zero]);
  g.nodes.push({ opType: 'Identity', name: 'bw/grad', input: [gx], output: [BACKWARD_IO.grad], attribute: [] });

  // --- assemble ----------------------------------------------------------------------------------
  const nodes = [...forward, ...g.nodes];
  const used = new Set<string>();
  for (const n of nodes) for (const v of n.input ?? []) if (v) used.add(v);
  graph.node = nodes;
  graph.initializer = [...(graph.initializer ?? []).filter((t) => t.name && used.has(t.name)), ...g.inits];
  const inputInfo = (graph.input ?? []).filter((v) => v.name === spec.input);
  graph.input = [...inputInfo, ...extraInputs] as typeof graph.input;
  graph.output = [BACKWARD_IO.grad, spec.output, ...capture].map(floatInfo) as typeof graph.output;
  graph.valueInfo = [];
  // ScatterElements' reduction needs opset 16 (the ops used here do not change from 13 to 17).
  if (!def || version < 13) throw new UnsupportedOpError(`opset ${version}`, 'model', 'backward graphs need opset >= 13');
  if (version < 16) def.version = 17;
  return encodeModel(model);
}
