/** Random test graphs for the engine tests, built with GraphBuilder, and an ORT comparison helper. */
import ort from 'onnxruntime-node';
import { GraphBuilder, type AttrValue } from '../../src/engine/onnx-builder.js';
import { TensorDataType } from '../../src/engine/onnx-proto.js';
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
  let y = n.relu(n.bn(n.conv(x, 3, stages[0][0], 7, { stride: 2, pads: [3, 3, 3, 3] }), stages[0][0]));
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
  return { bytes: n.b.build(13), input: 'x', embedding: emb, probes };
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
