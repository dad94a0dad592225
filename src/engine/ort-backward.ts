/**
 * Backward graphs for ONNX Runtime: from a model's ONNX forward graph, one ONNX graph that runs
 * the forward pass up to a probe tensor and then the input-space vector-Jacobian product
 * (upstream signal -> d/d input), with the rectifier rule of tf-relu-rules.ts as a parameter.
 *
 * Graph inputs: the model input, plus `facelens_mask` (batch x probe shape; kinds 'mask' and
 * 'value-mask') or `facelens_channel` (int64 [1]; kind 'channel-max').
 * Graph outputs: `facelens_grad` (NCHW, as the input), the probe tensor (its forward value) and
 * any `capture` tensors, all from the same forward pass.
 *
 * Backward rules: Conv -> flipped-kernel Conv (stride 1, group 1, when its pads are valid) or
 * ConvTranspose with the same weights; MaxPool -> MaxPool with Indices, then MaxUnpool
 * (non-overlapping windows) or ScatterElements(add) (overlapping windows: a cell that wins two
 * windows gets both gradients); ORT's MaxPool picks the first maximum of a window in row-major
 * order, as TfGraph's MaxPoolGrad does. Rectifiers: see tf-relu-rules.ts. Ops outside the list
 * raise UnsupportedOpError (the caller falls back to TfGraph).
 *
 * Static shapes (batch 1) come from `inferShapes` (one ORT run of the forward graph).
 */
import ort from 'onnxruntime-node';
import {
  attr, attrFloat, attrInt, attrInts, attrString, decodeModel, encodeAttr, encodeModel, resolvePads, tensorValues, TensorDataType,
  type ModelProto, type NodeProto, type TensorProto,
} from './onnx-proto.js';
import type { ReluRule } from './tf-relu-rules.js';

export type UpstreamKind = 'mask' | 'value-mask' | 'channel-max';

export const BACKWARD_IO = {
  grad: 'facelens_grad',
  mask: 'facelens_mask',
  channel: 'facelens_channel',
} as const;

/** An op (or an op configuration) the backward-graph generator does not cover. */
export class UnsupportedOpError extends Error {
  constructor(
    readonly op: string,
    readonly nodeName: string,
    detail = '',
  ) {
    super(`backward graph: unsupported op "${op}" (node ${nodeName})${detail ? `: ${detail}` : ''}`);
    this.name = 'UnsupportedOpError';
  }
}

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

/** Explicit [begin..., end...] pads of a Conv / pool node (auto_pad resolved with the input shape). */
function explicitPads(n: NodeProto, inHW: number[], k: number[], s: number[], d: number[]): number[] {
  return resolvePads(n, inHW, k.map((ki, i) => (ki - 1) * d[i] + 1), s);
}

class Gen {
  readonly nodes: NodeProto[] = [];
  readonly inits: TensorProto[] = [];
  private count = 0;
  private zeroName?: string;

  constructor(private readonly existing: Set<string>) {}

  fresh(p: string): string {
    let name: string;
    do name = `bw/${p}_${++this.count}`;
    while (this.existing.has(name));
    return name;
  }

  node(op: string, inputs: string[], attrs: Record<string, number | number[] | string> = {}, nOut = 1): string[] {
    const outs = Array.from({ length: nOut }, () => this.fresh(op.toLowerCase()));
    const attribute = Object.entries(attrs).map(([name, v]) => encodeAttr(name, v, name.startsWith('alpha') || name === 'beta' || name === 'epsilon'));
    this.nodes.push({ opType: op, name: outs[0], input: inputs, output: outs, attribute });
    return outs;
  }

  one(op: string, inputs: string[], attrs: Record<string, number | number[] | string> = {}): string {
    return this.node(op, inputs, attrs)[0];
  }

  floats(dims: number[], values: Float32Array, p = 'const'): string {
    const name = this.fresh(p);
    const copy = new Float32Array(values);
    this.inits.push({ name, dims, dataType: TensorDataType.FLOAT, rawData: new Uint8Array(copy.buffer) });
    return name;
  }

  ints(values: number[], dims = [values.length]): string {
    const name = this.fresh('i64');
    const buf = new BigInt64Array(values.map((v) => BigInt(v)));
    this.inits.push({ name, dims, dataType: TensorDataType.INT64, rawData: new Uint8Array(buf.buffer) });
    return name;
  }

  get zero(): string {
    this.zeroName ??= this.floats([], new Float32Array([0]), 'zero');
    return this.zeroName;
  }
}

const prod = (a: number[]) => a.reduce((x, y) => x * y, 1);

/** Builds the forward + backward ONNX model (bytes) for `spec`; `shapes` from inferShapes. */
export function buildBackwardModel(bytes: Uint8Array, spec: BackwardSpec, shapes: Map<string, number[]>): Uint8Array {
  const model: ModelProto = decodeModel(bytes);
  const graph = model.graph;
  if (!graph) throw new Error('ONNX model has no graph');
  const all = graph.node ?? [];
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
  /** Sums gv over the axes where `inShape` was broadcast to `outShape`. */
  const unbroadcast = (gv: string, inShape: number[], outShape: number[]): string => {
    if (inShape.length === outShape.length && inShape.every((d, i) => d === outShape[i])) return gv;
    const off = outShape.length - inShape.length;
    const axes: number[] = [];
    outShape.forEach((d, i) => {
      const di = i < off ? 1 : inShape[i - off];
      if (di === 1 && d !== 1) axes.push(i);
    });
    let r = axes.length ? g.one('ReduceSum', [gv, g.ints(axes)], { keepdims: 1 }) : gv;
    if (off !== 0) r = g.one('Reshape', [r, g.ints([-1, ...inShape.slice(1)])]);
    return r;
  };
  const rule = spec.rule;
  /**
   * Rectifier backward; `slope` = undefined (ReLU), a number, or a slope tensor name. The mask
   * x > 0 is read from `m` (ReLU: its output, since y > 0 iff x > 0, which leaves ORT free to fuse
   * the forward Conv + Relu).
   */
  const rectifier = (m: string, gv: string, slope: number | string | undefined): string => {
    const pos = g.one('Greater', [m, g.zero]);
    const deriv = (): string => {
      const s = typeof slope === 'number' ? g.floats([], new Float32Array([slope])) : slope!;
      return g.one('Where', [pos, g.floats([], new Float32Array([1])), s]);
    };
    if (rule === 'gradient') return slope === undefined ? g.one('Where', [pos, gv, g.zero]) : g.one('Mul', [gv, deriv()]);
    if (rule === 'deconv') {
      if (slope === undefined) return g.one('Relu', [gv]);
      if (typeof slope === 'number') return g.one('LeakyRelu', [gv], { alpha: slope });
      return g.one('PRelu', [gv, slope]);
    }
    const r = g.one('Relu', [gv]);
    return slope === undefined ? g.one('Where', [pos, r, g.zero]) : g.one('Mul', [r, deriv()]);
  };

  for (const i of [...onPath].reverse()) {
    const n = all[i];
    const op = n.opType ?? '';
    const label = nodeName(n);
    const unsupported = (detail = '') => new UnsupportedOpError(op, label, detail);
    if (n.domain && n.domain !== 'ai.onnx') throw new UnsupportedOpError(`${n.domain}.${op}`, label);
    const out = n.output![0];
    const gy = gradOf(out);
    if (!gy) continue;
    const ins = n.input ?? [];
    const x = ins[0];
    switch (op) {
      case 'Relu':
        addGrad(x, rectifier(out, gy, undefined));
        break;
      case 'LeakyRelu':
        addGrad(x, rectifier(x, gy, attrFloat(n, 'alpha') ?? 0.01));
        break;
      case 'PRelu':
        if (dep.has(ins[1])) throw unsupported('input-dependent slope');
        addGrad(x, rectifier(x, gy, ins[1]));
        break;
      case 'Identity':
      case 'Dropout':
        addGrad(x, gy);
        break;
      case 'Flatten':
      case 'Reshape':
      case 'Squeeze':
      case 'Unsqueeze':
        addGrad(x, g.one('Reshape', [gy, g.one('Shape', [x])]));
        break;
      case 'Transpose': {
        const perm = attrInts(n, 'perm') ?? shape(x).map((_, k, a) => a.length - 1 - k);
        const inv = new Array<number>(perm.length);
        perm.forEach((p, k) => (inv[p] = k));
        addGrad(x, g.one('Transpose', [gy], { perm: inv }));
        break;
      }
      case 'Conv': {
        if (dep.has(ins[1])) throw unsupported('input-dependent weights');
        const xs = shape(x);
        const ys = shape(out);
        const wt = constant(ins[1]);
        const k = attrInts(n, 'kernel_shape') ?? (wt ? (wt.dims ?? []).slice(2).map(Number) : undefined);
        if (!k || k.length !== 2) throw unsupported('only 2-D convolutions');
        const s = attrInts(n, 'strides') ?? [1, 1];
        const d = attrInts(n, 'dilations') ?? [1, 1];
        const group = attrInt(n, 'group') ?? 1;
        const pads = explicitPads(n, xs.slice(2), k, s, d);
        const flipPads = [0, 1].flatMap((e) => [0, 1].map((a) => d[a] * (k[a] - 1) - pads[a + 2 * e]));
        if ((spec.conv ?? 'auto') === 'auto' && wt && group === 1 && s.every((v) => v === 1) && flipPads.every((p) => p >= 0)) {
          const w = tensorValues(wt) as Float32Array;
          const [co, ci, kh, kw] = (wt.dims ?? []).map(Number);
          const f = new Float32Array(w.length);
          for (let o = 0; o < co; o++)
            for (let c = 0; c < ci; c++)
              for (let h = 0; h < kh; h++)
                for (let q = 0; q < kw; q++) f[((c * co + o) * kh + h) * kw + q] = w[((o * ci + c) * kh + (kh - 1 - h)) * kw + (kw - 1 - q)];
          const fw = g.floats([ci, co, kh, kw], f, 'wflip');
          addGrad(x, g.one('Conv', [gy, fw], { kernel_shape: k, strides: [1, 1], dilations: d, pads: flipPads }));
        } else {
          const outPad = [0, 1].map((a) => xs[a + 2] - ((ys[a + 2] - 1) * s[a] + (k[a] - 1) * d[a] + 1 - pads[a] - pads[a + 2]));
          if (outPad.some((p, a) => p < 0 || p >= Math.max(s[a], d[a]))) throw unsupported(`output_padding ${outPad}`);
          addGrad(x, g.one('ConvTranspose', [gy, ins[1]], { kernel_shape: k, strides: s, dilations: d, pads, group, output_padding: outPad }));
        }
        break;
      }
      case 'MaxPool': {
        const k = attrInts(n, 'kernel_shape')!;
        const s = attrInts(n, 'strides') ?? k.map(() => 1);
        const d = attrInts(n, 'dilations') ?? k.map(() => 1);
        if (k.length !== 2) throw unsupported('only 2-D pooling');
        if ((attrInt(n, 'storage_order') ?? 0) !== 0) throw unsupported('storage_order 1');
        const fwd = forward[fwdIndex.get(i)!];
        const idx = fwd.output && fwd.output.length > 1 && fwd.output[1] ? fwd.output[1] : g.fresh('switches');
        fwd.output = [out, idx];
        const pads = explicitPads(n, shape(x).slice(2), k, s, d);
        const overlap = k.some((kk, a) => (kk - 1) * d[a] + 1 > s[a]) || pads.some((p) => p !== 0);
        if (!overlap) {
          addGrad(x, g.one('MaxUnpool', [gy, idx, g.one('Shape', [x])], { kernel_shape: k, strides: s }));
        } else {
          const size = g.one('Reshape', [g.one('Size', [x]), g.ints([1])]);
          const zeros = g.one('ConstantOfShape', [size]);
          const flat = g.one('ScatterElements', [zeros, g.one('Reshape', [idx, g.ints([-1])]), g.one('Reshape', [gy, g.ints([-1])])], {
            axis: 0,
            reduction: 'add',
          });
          addGrad(x, g.one('Reshape', [flat, g.one('Shape', [x])]));
        }
        break;
      }
      case 'AveragePool': {
        const k = attrInts(n, 'kernel_shape')!;
        const s = attrInts(n, 'strides') ?? k.map(() => 1);
        const d = attrInts(n, 'dilations') ?? k.map(() => 1);
        if (k.length !== 2) throw unsupported('only 2-D pooling');
        const xs = shape(x);
        const ys = shape(out);
        const pads = explicitPads(n, xs.slice(2), k, s, d);
        if (pads.some((p) => p !== 0) && (attrInt(n, 'count_include_pad') ?? 0) === 0) throw unsupported('padding without count_include_pad');
        const C = xs[1];
        const w = g.floats([C, 1, k[0], k[1]], new Float32Array(C * k[0] * k[1]).fill(1 / (k[0] * k[1])), 'avgw');
        const outPad = [0, 1].map((a) => xs[a + 2] - ((ys[a + 2] - 1) * s[a] + (k[a] - 1) * d[a] + 1 - pads[a] - pads[a + 2]));
        if (outPad.some((p, a) => p < 0 || p >= Math.max(s[a], d[a]))) throw unsupported(`ceil_mode / output_padding ${outPad}`);
        addGrad(x, g.one('ConvTranspose', [gy, w], { kernel_shape: k, strides: s, dilations: d, pads, group: C, output_padding: outPad }));
        break;
      }
      case 'GlobalAveragePool': {
        const xs = shape(x);
        const scale = g.floats([], new Float32Array([1 / prod(xs.slice(2))]));
        addGrad(x, g.one('Mul', [g.one('Expand', [gy, g.one('Shape', [x])]), scale]));
        break;
      }
      case 'ReduceMean':
      case 'ReduceSum': {
        const xs = shape(x);
        let axes = attrInts(n, 'axes');
        if (!axes && ins[1]) {
          const t = constant(ins[1]);
          if (!t) throw unsupported('axes not constant');
          axes = Array.from(tensorValues(t) as number[]);
        }
        axes = (axes ?? xs.map((_, a) => a)).map((a) => (a < 0 ? a + xs.length : a)).sort((a, b) => a - b);
        if (axes.length === 0 && (attrInt(n, 'noop_with_empty_axes') ?? 0) === 1) {
          addGrad(x, gy);
          break;
        }
        let gv = gy;
        if ((attrInt(n, 'keepdims') ?? 1) === 0) gv = g.one('Unsqueeze', [gv, g.ints(axes)]);
        gv = g.one('Expand', [gv, g.one('Shape', [x])]);
        if (op === 'ReduceMean') gv = g.one('Mul', [gv, g.floats([], new Float32Array([1 / prod(axes.map((a) => xs[a]))]))]);
        addGrad(x, gv);
        break;
      }
      case 'Add':
      case 'Sub': {
        const ys = shape(out);
        if (dep.has(ins[0])) addGrad(ins[0], unbroadcast(gy, shape(ins[0]), ys));
        if (dep.has(ins[1])) addGrad(ins[1], unbroadcast(op === 'Sub' ? g.one('Neg', [gy]) : gy, shape(ins[1]), ys));
        break;
      }
      case 'Mul': {
        const ys = shape(out);
        if (dep.has(ins[0])) addGrad(ins[0], unbroadcast(g.one('Mul', [gy, ins[1]]), shape(ins[0]), ys));
        if (dep.has(ins[1])) addGrad(ins[1], unbroadcast(g.one('Mul', [gy, ins[0]]), shape(ins[1]), ys));
        break;
      }
      case 'Div': {
        if (dep.has(ins[1])) throw unsupported('input-dependent divisor');
        addGrad(x, unbroadcast(g.one('Div', [gy, ins[1]]), shape(x), shape(out)));
        break;
      }
      case 'BatchNormalization': {
        const [sc, , , va] = [1, 2, 3, 4].map((k) => constant(ins[k]));
        if (!sc || !va) throw unsupported('scale / variance not constant');
        const scale = tensorValues(sc) as Float32Array;
        const v = tensorValues(va) as Float32Array;
        const eps = attrFloat(n, 'epsilon') ?? 1e-5;
        const f = scale.map((a, c) => a / Math.sqrt(v[c] + eps));
        const rank = shape(x).length;
        addGrad(x, g.one('Mul', [gy, g.floats([f.length, ...new Array<number>(Math.max(0, rank - 2)).fill(1)], f, 'bnscale')]));
        break;
      }
      case 'Gemm': {
        if (dep.has(ins[1])) throw unsupported('input-dependent B');
        if ((attrInt(n, 'transA') ?? 0) !== 0) throw unsupported('transA 1');
        const transB = attrInt(n, 'transB') ?? 0;
        addGrad(x, g.one('Gemm', [gy, ins[1]], { alpha: attrFloat(n, 'alpha') ?? 1, transB: 1 - transB }));
        break;
      }
      case 'MatMul': {
        if (dep.has(ins[1])) throw unsupported('input-dependent right operand');
        const bs = constant(ins[1])?.dims?.map(Number);
        if (!bs || bs.length !== 2) throw unsupported('right operand must be a constant matrix');
        addGrad(x, g.one('MatMul', [gy, g.one('Transpose', [ins[1]], { perm: [1, 0] })]));
        break;
      }
      case 'Pad': {
        const mode = attrString(n, 'mode') ?? 'constant';
        if (mode !== 'constant') throw unsupported(`mode ${mode}`);
        const pt = ins[1] ? constant(ins[1]) : undefined;
        const pads = pt ? Array.from(tensorValues(pt) as number[]) : attrInts(n, 'pads');
        if (!pads) throw unsupported('pads not constant');
        if (ins[3]) throw unsupported('axes input');
        const xs = shape(x);
        const r = xs.length;
        if (pads.some((p) => p < 0) || pads[0] !== 0 || pads[r] !== 0) throw unsupported('negative or batch pads');
        const axes = xs.map((_, a) => a).filter((a) => a > 0 && (pads[a] !== 0 || pads[a + r] !== 0));
        if (axes.length === 0) addGrad(x, gy);
        else {
          const starts = g.ints(axes.map((a) => pads[a]));
          const ends = g.ints(axes.map((a) => pads[a] + xs[a]));
          addGrad(x, g.one('Slice', [gy, starts, ends, g.ints(axes)]));
        }
        break;
      }
      case 'Concat': {
        const axisRaw = attrInt(n, 'axis')!;
        const r = shape(out).length;
        const axis = axisRaw < 0 ? axisRaw + r : axisRaw;
        let at = 0;
        for (const v of ins) {
          const len = shape(v)[axis];
          if (dep.has(v)) addGrad(v, g.one('Slice', [gy, g.ints([at]), g.ints([at + len]), g.ints([axis])]));
          at += len;
        }
        break;
      }
      default:
        throw unsupported();
    }
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
  const def = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  const version = Number(def?.version ?? 0);
  if (!def || version < 13) throw new UnsupportedOpError(`opset ${version}`, 'model', 'backward graphs need opset >= 13');
  if (version < 16) def.version = 17;
  return encodeModel(model);
}
