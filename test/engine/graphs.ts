/** Random test graphs for the engine tests, built with GraphBuilder, and an ORT comparison helper. */
import ort from 'onnxruntime-node';
import { GraphBuilder, type AttrValue } from '../../src/engine/onnx/builder.js';
import { TensorDataType } from '../../src/engine/onnx/proto.js';
import { mulberry32, randn } from './helpers.js';

export class Net {
  readonly b: GraphBuilder;
  readonly rng: () => number;

  constructor(seed: number, name = 'test') {
    this.b = new GraphBuilder(name);
    this.rng = mulberry32(seed);
  }

  w(dims: number[], scale = 1): string {
    const n = dims.reduce((a, c) => a * c, 1);
    return this.b.weight(this.b.fresh('w'), dims, randn(this.rng, n, scale));
  }

  /** Positive values in [lo, hi). */
  wPos(dims: number[], lo = 0.5, hi = 1.5): string {
    const n = dims.reduce((a, c) => a * c, 1);
    const v = new Float32Array(n).map(() => lo + (hi - lo) * this.rng());
    return this.b.weight(this.b.fresh('w'), dims, v);
  }

  op(type: string, inputs: string[], attrs: Record<string, AttrValue> = {}): string {
    return this.b.node(type, inputs, attrs);
  }

  conv(
    x: string, cin: number, cout: number, k: number,
    o: { stride?: number; pads?: number[]; group?: number; dil?: number; autoPad?: string; bias?: boolean } = {},
  ): string {
    const group = o.group ?? 1;
    const fanIn = (cin / group) * k * k;
    const inputs = [x, this.w([cout, cin / group, k, k], Math.sqrt(2 / fanIn))];
    if (o.bias ?? true) inputs.push(this.w([cout], 0.1));
    const attrs: Record<string, AttrValue> = { kernel_shape: [k, k], strides: [o.stride ?? 1, o.stride ?? 1] };
    if (o.autoPad) attrs.auto_pad = o.autoPad;
    else attrs.pads = o.pads ?? [(k - 1) >> 1, (k - 1) >> 1, (k - 1) >> 1, (k - 1) >> 1];
    if (group !== 1) attrs.group = group;
    if (o.dil) attrs.dilations = [o.dil, o.dil];
    return this.op('Conv', inputs, attrs);
  }

  bn(x: string, c: number): string {
    return this.op('BatchNormalization', [x, this.wPos([c]), this.w([c], 0.1), this.w([c], 0.1), this.wPos([c])], { epsilon: 1e-3 });
  }

  relu(x: string): string {
    return this.op('Relu', [x]);
  }

  /** A Constant node holding a float tensor. */
  constant(dims: number[], values: Float32Array): string {
    const out = this.b.fresh('const');
    this.b.nodes.push({
      opType: 'Constant',
      name: `Constant_${this.b.nodes.length}`,
      input: [],
      output: [out],
      attribute: [{ name: 'value', type: 4, t: { dims, dataType: TensorDataType.FLOAT, rawData: new Uint8Array(new Float32Array(values).buffer) } }],
    });
    return out;
  }

  output(name: string, rank: number): void {
    this.b.output(name, Array.from({ length: rank }, (_, i) => `${name}_d${i}`));
  }
}

/** Basic residual block (two 3x3 convs) with identity shortcut. */
export function basicBlock(n: Net, x: string, c: number): string {
  let y = n.relu(n.bn(n.conv(x, c, c, 3, { bias: false }), c));
  y = n.bn(n.conv(y, c, c, 3, { bias: false }), c);
  return n.relu(n.op('Add', [y, x]));
}

/**
 * Downsampling block as in dlib's face recogniser: main path conv 3x3/2 -> conv 3x3, shortcut
 * avg-pool 2x2/2 then zero channels appended with Pad.
 */
export function downBlock(n: Net, x: string, cin: number, cout: number): string {
  let y = n.relu(n.bn(n.conv(x, cin, cout, 3, { stride: 2, bias: false }), cout));
  y = n.bn(n.conv(y, cout, cout, 3, { bias: false }), cout);
  // SAME_UPPER: ceil(H / 2), like the strided conv, also for odd sizes (then the last window is
  // half padding, averaged over its real cells only).
  const pooled = n.op('AveragePool', [x], { kernel_shape: [2, 2], strides: [2, 2], auto_pad: 'SAME_UPPER' });
  const pads = n.b.int64(n.b.fresh('pads'), [0, 0, 0, 0, 0, cout - cin, 0, 0]);
  const shortcut = n.op('Pad', [pooled, pads], { mode: 'constant' });
  return n.relu(n.op('Add', [y, shortcut]));
}

/**
 * A ResNet-34-like face net (dlib layout): 7x7/2 conv, 3x3/2 max-pool, stages of 32/64/128/256
 * channels with avg-pool + channel-pad shortcuts, global average pool, Flatten -> Gemm 128.
 */
export function resnetish(seed: number, size = 150, stages: [number, number][] = [[32, 3], [64, 4], [128, 3], [256, 3]]) {
  const n = new Net(seed, 'resnetish');
  const x = n.b.input('x', ['N', 3, size, size]);
  const stem = n.conv(x, 3, stages[0][0], 7, { stride: 2, pads: [3, 3, 3, 3] });
  let y = n.relu(n.bn(stem, stages[0][0]));
  y = n.op('MaxPool', [y], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
  let c = stages[0][0];
  const probes: string[] = [];
  stages.forEach(([ch, blocks], s) => {
    for (let i = 0; i < blocks; i++) {
      if (i === 0 && s > 0) y = downBlock(n, y, c, ch);
      else y = basicBlock(n, y, ch);
      c = ch;
    }
    probes.push(y);
  });
  const pooled = n.op('GlobalAveragePool', [y]);
  const flat = n.op('Flatten', [pooled], { axis: 1 });
  const emb = n.op('Gemm', [flat, n.w([128, c], 0.05), n.w([128], 0.1)], { transB: 1 });
  n.b.output(emb, ['N', 128]);
  for (const p of probes) n.output(p, 4);
  n.output(stem, 4);
  // stem: a Conv output read directly (so that Conv + BN cannot be folded when it is requested)
  return { bytes: n.b.build(13), input: 'x', embedding: emb, probes, stem };
}

export interface Feed {
  data: Float32Array;
  dims: number[];
}

/** Runs ONNX Runtime on the model and returns the named outputs. */
export async function runOrt(bytes: Uint8Array, feeds: Record<string, Feed>, outputs: string[]) {
  const session = await ort.InferenceSession.create(bytes);
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const [k, f] of Object.entries(feeds)) ortFeeds[k] = new ort.Tensor('float32', f.data, f.dims);
  const res = await session.run(ortFeeds, outputs);
  const out: Record<string, { data: Float32Array; dims: number[] }> = {};
  for (const o of outputs) out[o] = { data: res[o].data as Float32Array, dims: res[o].dims.map(Number) };
  await session.release();
  return out;
}

/** Depthwise / grouped / dilated convs, PRelu, LeakyRelu, Clip, pools with pads, broadcasting, Softmax. */
export function mobileGraph(seed: number): { bytes: Uint8Array; inputDims: number[]; outputs: string[] } {
  const n = new Net(seed, 'mobile');
  const x = n.b.input('x', ['N', 4, 23, 19]);
  const a = n.conv(x, 4, 8, 3);
  const dw = n.conv(a, 8, 8, 3, { group: 8, stride: 2, autoPad: 'SAME_UPPER' });
  const dw2 = n.conv(a, 8, 16, 3, { group: 8, stride: 2, autoPad: 'SAME_LOWER' });
  const gc = n.conv(dw2, 16, 8, 3, { group: 2, pads: [0, 1, 2, 1] });
  const dl = n.conv(dw, 8, 8, 3, { dil: 2, pads: [2, 2, 2, 2] });
  const p = n.op('PRelu', [gc, n.w([8, 1, 1], 0.3)]);
  const l = n.op('LeakyRelu', [dl], { alpha: 0.1 });
  const s = n.op('Add', [p, l]);
  const m = n.op('Mul', [s, n.w([8, 1, 1])]);
  const d = n.op('Div', [m, n.wPos([1, 8, 1, 1])]);
  const sub = n.op('Sub', [d, n.w([1])]);
  const lo = n.b.weight('clip_lo', [], new Float32Array([-0.5]));
  const hi = n.b.weight('clip_hi', [], new Float32Array([0.7]));
  const cl = n.op('Clip', [sub, lo, hi]);
  const sg = n.op('Sigmoid', [cl]);
  const th = n.op('Tanh', [sub]);
  const rowBias = n.op('Add', [th, n.w([10], 0.5)]); // broadcast along W only
  const cat = n.op('Concat', [sg, rowBias], { axis: 1 });
  const ap0 = n.op('AveragePool', [cat], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
  const ap1 = n.op('AveragePool', [cat], { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 0, 1, 2], count_include_pad: 1 });
  const mp = n.op('MaxPool', [cat], { kernel_shape: [3, 3], strides: [2, 2], pads: [0, 1, 1, 0] });
  const mpc = n.op('MaxPool', [cat], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 });
  const gmp = n.op('GlobalMaxPool', [ap0]);
  const rm = n.op('ReduceMean', [ap1], { axes: [2, 3], keepdims: 0 });
  const rm2 = n.op('ReduceMean', [mp], { axes: [1], keepdims: 1 });
  const rm3 = n.op('ReduceMean', [mp], { axes: [1, 3], keepdims: 0 });
  const sm = n.op('Softmax', [rm], { axis: -1 });
  const sm4 = n.op('Softmax', [cat], { axis: 1 });
  const bn1 = n.bn(rm, 16);
  // Weights computed at run time (through Identity): plain, depthwise and grouped.
  const rt1 = n.op('Conv', [x, n.op('Identity', [n.w([6, 4, 3, 3], 0.3)])], { kernel_shape: [3, 3], pads: [1, 0, 1, 2], strides: [2, 1] });
  const rt2 = n.op('Conv', [a, n.op('Identity', [n.w([16, 1, 3, 3], 0.3)]), n.w([16])], { kernel_shape: [3, 3], group: 8, auto_pad: 'SAME_UPPER' });
  const rt3 = n.op('Conv', [a, n.op('Identity', [n.w([4, 4, 1, 1], 0.3)])], { kernel_shape: [1, 1], group: 2 });
  const outs: [string, number][] = [[rt1, 4], [rt2, 4], [rt3, 4], [sm, 2], [sm4, 4], [gmp, 4], [rm2, 4], [rm3, 2], [mpc, 4], [bn1, 2], [ap0, 4], [ap1, 4], [dw, 4], [dw2, 4], [gc, 4], [dl, 4]];
  for (const [o, r] of outs) n.output(o, r);
  return { bytes: n.b.build(13), inputDims: [2, 4, 23, 19], outputs: outs.map(([o]) => o) };
}

/** Shape arithmetic and tensor manipulation: Shape, Gather, Unsqueeze, Reshape, Transpose, MatMul, Slice, Pad... */
export function shapesGraph(seed: number): { bytes: Uint8Array; inputDims: number[]; outputs: string[] } {
  const n = new Net(seed, 'shapes');
  const x = n.b.input('x', ['N', 3, 10, 12]);
  const c = n.conv(x, 3, 6, 3, { stride: 2 }); // [N, 6, 5, 6]
  const shape = n.op('Shape', [c]);
  const zero = n.op('Constant', [], { value_int: 0 });
  const batch = n.op('Gather', [shape, zero], { axis: 0 });
  const batch1 = n.op('Unsqueeze', [batch, n.b.int64('ax0', [0])]);
  const target = n.op('Concat', [batch1, n.b.int64('minus1', [-1])], { axis: 0 });
  const flat = n.op('Reshape', [c, target]); // [N, 180]
  const t = n.op('Transpose', [c], { perm: [0, 2, 3, 1] }); // [N, 5, 6, 6]
  const t2 = n.op('Reshape', [t, n.b.int64('shp', [0, 5, 36])]);
  const mm = n.op('MatMul', [t2, n.w([36, 7], 0.2)]); // [N, 5, 7]
  const t3 = n.op('Transpose', [c], { perm: [3, 1, 0, 2] }); // [6, 6, N, 5]
  const g = n.op('Gather', [c, n.b.int64('idx', [0, 2, 5])], { axis: 1 });
  const one = n.op('Constant', [], { value_int: -1 });
  const g2 = n.op('Gather', [c, one], { axis: 3 }); // [N, 6, 5]
  const g3 = n.op('Gather', [c, n.b.int64('idx2', [1, 2])], { axis: 2 }); // contiguous
  const us = n.op('Unsqueeze', [g2, n.b.int64('ax1', [1])]);
  const sq = n.op('Squeeze', [us, n.b.int64('ax1b', [1])]);
  const dr = n.op('Dropout', [n.op('Identity', [g])]);
  const k = n.constant([6, 1, 1], randn(n.rng, 6));
  const ck = n.op('Mul', [c, k]);
  const sl = n.op('Slice', [c, n.b.int64('st', [1, 0]), n.b.int64('en', [5, -1]), n.b.int64('axs', [1, 3])]);
  const sl2 = n.op('Slice', [c, n.b.int64('st2', [0]), n.b.int64('en2', [100]), n.b.int64('axs2', [2]), n.b.int64('sp2', [2])]);
  const pv = n.b.weight('pad_value', [], new Float32Array([0.5]));
  const pd = n.op('Pad', [c, n.b.int64('pads4', [0, 1, 2, 0, 0, 0, 1, 3]), pv], { mode: 'constant' });
  const pdn = n.op('Pad', [c, n.b.int64('pads5', [0, 0, -1, 1, 0, 0, 1, -2])], { mode: 'constant' });
  const rf = n.op('Pad', [c, n.b.int64('pads6', [0, 0, 1, 2, 0, 0, 2, 1])], { mode: 'reflect' });
  const sm1 = n.op('Softmax', [mm], { axis: 1 });
  const cast = n.op('Cast', [ck], { to: 1 });
  const tflat = n.op('Transpose', [flat], { perm: [1, 0] }); // [180, N]
  const gm = n.op('Gemm', [tflat, n.w([180, 4], 0.1), n.w([4])], { transA: 1, alpha: 0.5, beta: 1.5 });
  const gmm = n.op('MatMul', [gm, n.w([4])]); // matrix x vector -> [N]
  const bmm = n.op('MatMul', [t2, n.op('Transpose', [t2], { perm: [0, 2, 1] })]); // batched, both runtime -> [N, 5, 5]
  const gdyn = n.op('Gemm', [gm, n.op('Transpose', [gm], { perm: [1, 0] })], { alpha: 0.25 }); // runtime B -> [N, N]
  const outs: [string, number][] = [
    [flat, 2], [mm, 3], [t3, 4], [g, 4], [g3, 4], [sq, 3], [dr, 4], [ck, 4], [sl, 4], [sl2, 4], [pd, 4], [pdn, 4], [rf, 4],
    [sm1, 3], [cast, 4], [gm, 2], [gmm, 1], [bmm, 3], [gdyn, 2],
  ];
  for (const [o, r] of outs) n.output(o, r);
  return { bytes: n.b.build(13), inputDims: [2, 3, 10, 12], outputs: outs.map(([o]) => o) };
}
