/**
 * Spatial ONNX ops on NHWC storage: Conv (plain, depthwise, grouped), MaxPool, AveragePool,
 * GlobalAveragePool, GlobalMaxPool, BatchNormalization, Pad.
 */
import { attrFloat, attrInt, attrInts, attrString, resolvePads, tensorValues, type NodeProto, type TensorProto } from '../onnx/proto.js';
import { tf } from './backend.js';
import { hostNumbers, TO_NHWC, Val } from './layout.js';
import { opError, type LoadContext, type OpDef, type Prepared } from './op-types.js';

type ExplicitPad = [[number, number], [number, number], [number, number], [number, number]];
type TfPad = 'valid' | ExplicitPad;

/** [top, left, bottom, right] per ONNX pads / auto_pad for 2D ops. */
export function spatialPads(node: NodeProto, inHW: number[], kEff: number[], strides: number[]): number[] {
  let pads: number[];
  try {
    pads = resolvePads(node, inHW, kEff, strides);
  } catch (e) {
    throw opError(node, (e as Error).message);
  }
  if (pads.length !== 4) throw opError(node, `expected 4 pads for a 2D op, got [${pads}]`);
  return pads;
}

function tfPad(p: number[]): TfPad {
  if (p.every((v) => v === 0)) return 'valid';
  return [[0, 0], [p[0], p[2]], [p[1], p[3]], [0, 0]];
}

function pair(node: NodeProto, name: string, dflt: number): [number, number] {
  const v = attrInts(node, name);
  if (!v) return [dflt, dflt];
  if (v.length !== 2) throw opError(node, `only 2D ${name} are supported, got [${v}]`);
  return [v[0], v[1]];
}

function need4d(node: NodeProto, v: Val | undefined): Val {
  if (!v) throw opError(node, 'missing input');
  if (v.rank !== 4) throw opError(node, `only 4D (NCHW) inputs are supported, got shape [${v.shape}]`);
  return v;
}

function dims(t: TensorProto): number[] {
  return (t.dims ?? []).map((d) => Number(d));
}

// ---------------------------------------------------------------------------------------------
// Conv

export interface ConvState {
  kind: 'plain' | 'depthwise';
  /** One HWIO filter per group ('plain'), or one [kh, kw, C, mult] filter ('depthwise'). */
  filters?: tf.Tensor4D[];
  bias?: tf.Tensor1D;
  /** Kernel extent with dilation baked into the filters. */
  kEff: [number, number];
  strides: [number, number];
  /** Dilations still to apply (only for filters computed at run time). */
  dilations: [number, number];
  group: number;
}

/**
 * ONNX weights [M, C/g, kh, kw] -> TF filters, dilation baked in as zeros (TF.js has no
 * gradient for dilated convolutions; a dilated filter is an ordinary one).
 */
function convFilters(w: Float32Array, wd: number[], group: number, dil: [number, number]): { kind: ConvState['kind']; data: Float32Array[]; shape: number[] } {
  const [M, Cg, kh, kw] = wd;
  const ekh = (kh - 1) * dil[0] + 1;
  const ekw = (kw - 1) * dil[1] + 1;
  if (group > 1 && Cg === 1) {
    const C = group;
    const mult = M / group;
    const out = new Float32Array(ekh * ekw * C * mult);
    for (let o = 0; o < M; o++)
      for (let i = 0; i < kh; i++)
        for (let j = 0; j < kw; j++) out[((i * dil[0] * ekw + j * dil[1]) * C * mult) + o] = w[(o * kh + i) * kw + j];
    return { kind: 'depthwise', data: [out], shape: [ekh, ekw, C, mult] };
  }
  const Mg = M / group;
  const data: Float32Array[] = [];
  for (let g = 0; g < group; g++) {
    const out = new Float32Array(ekh * ekw * Cg * Mg);
    for (let m = 0; m < Mg; m++)
      for (let c = 0; c < Cg; c++)
        for (let i = 0; i < kh; i++)
          for (let j = 0; j < kw; j++) {
            out[((i * dil[0] * ekw + j * dil[1]) * Cg + c) * Mg + m] = w[(((g * Mg + m) * Cg + c) * kh + i) * kw + j];
          }
    data.push(out);
  }
  return { kind: 'plain', data, shape: [ekh, ekw, Cg, Mg] };
}

/**
 * Convolution by a constant filter (and bias) for use under tf.grad: the fused kernel forward,
 * and only the input gradient backward. (tf.fused.conv2d's own gradient also asks for the
 * filter gradient, which WASM lacks; tf.conv2d would add a separate bias pass and keep its
 * input alive until the backward pass.) Weights get no gradient.
 */
function convConstFilter(x: tf.Tensor4D, filter: tf.Tensor4D, strides: [number, number], pad: TfPad, bias?: tf.Tensor1D): tf.Tensor4D {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor4D;
    const shape = input.shape;
    return {
      value: bias ? tf.fused.conv2d({ x: input, filter, strides, pad, bias }) : tf.conv2d(input, filter, strides, pad),
      gradFunc: (dy: tf.Tensor4D) => tf.conv2dTranspose(dy, filter, shape, strides, pad),
    };
  });
  return f(x) as tf.Tensor4D;
}

const Conv: OpDef = {
  prepare(node: NodeProto, load: LoadContext): Prepared {
    const group = attrInt(node, 'group') ?? 1;
    const strides = pair(node, 'strides', 1);
    const dilations = pair(node, 'dilations', 1);
    const w = load.initializer(node.input?.[1]);
    const b = load.initializer(node.input?.[2]);
    const consumed: number[] = [];
    const state: ConvState = { kind: 'plain', kEff: [0, 0], strides, dilations, group };
    if (w) {
      const wd = dims(w);
      if (wd.length !== 4) throw opError(node, `only 2D convolutions are supported (weights [${wd}])`);
      if (wd[0] % group !== 0) throw opError(node, `${wd[0]} output channels do not split into ${group} groups`);
      const f = convFilters(tensorValues(w) as Float32Array, wd, group, dilations);
      state.kind = f.kind;
      state.filters = f.data.map((d) => load.keep(tf.tensor4d(d, f.shape as [number, number, number, number])));
      state.kEff = [f.shape[0], f.shape[1]];
      state.dilations = [1, 1];
      consumed.push(1);
    }
    if (b) {
      state.bias = load.keep(tf.tensor1d(tensorValues(b) as Float32Array));
      consumed.push(2);
    }
    return { state, consumed };
  },

  run(inputs, ctx, s) {
    const st = s as ConvState;
    const node = ctx.node;
    const xv = need4d(node, inputs[0]);
    const x = xv.get('nhwc') as tf.Tensor4D;
    let kind = st.kind;
    let filters = st.filters;
    let kEff = st.kEff;
    if (!filters) {
      // Weights computed at run time: OIHW tensor -> TF filters with tf ops.
      const w = need4d(node, inputs[1]).logical();
      const [M, Cg, kh, kw] = w.shape;
      const g = st.group;
      kEff = [(kh - 1) * st.dilations[0] + 1, (kw - 1) * st.dilations[1] + 1];
      if (g > 1 && Cg === 1) {
        kind = 'depthwise';
        filters = [tf.transpose(tf.reshape(w, [g, M / g, kh, kw]), [2, 3, 0, 1]) as tf.Tensor4D];
      } else {
        kind = 'plain';
        const hwio = tf.transpose(w, [2, 3, 1, 0]) as tf.Tensor4D;
        filters = g === 1 ? [hwio] : (tf.split(hwio, g, 3) as tf.Tensor4D[]);
      }
    }
    const [, h, wd, c] = x.shape;
    const pad = tfPad(spatialPads(node, [h, wd], kEff, st.strides));
    const bias = st.bias ?? (inputs[2] ? (inputs[2].logical() as tf.Tensor1D) : undefined);
    let y: tf.Tensor4D;
    if (kind === 'depthwise') {
      if (filters[0].shape[2] !== c) throw opError(node, `input has ${c} channels, depthwise weights expect ${filters[0].shape[2]}`);
      y = tf.depthwiseConv2d(x, filters[0], st.strides, pad, 'NHWC', st.dilations);
      if (bias) y = tf.add(y, bias);
    } else if (filters.length === 1) {
      if (filters[0].shape[2] !== c) throw opError(node, `input has ${c} channels, weights expect ${filters[0].shape[2]}`);
      const dilated = st.dilations[0] !== 1 || st.dilations[1] !== 1;
      if (!ctx.tapeOn) {
        y = bias
          ? tf.fused.conv2d({ x, filter: filters[0], strides: st.strides, pad, dilations: st.dilations, bias })
          : tf.conv2d(x, filters[0], st.strides, pad, 'NHWC', st.dilations);
      } else if (!dilated && st.filters) {
        y = convConstFilter(x, filters[0], st.strides, pad, bias);
      } else {
        y = tf.conv2d(x, filters[0], st.strides, pad, 'NHWC', st.dilations);
        if (bias) y = tf.add(y, bias);
      }
    } else {
      const g = filters.length;
      if (c !== g * filters[0].shape[2]) throw opError(node, `input has ${c} channels, ${g} groups of ${filters[0].shape[2]} expected`);
      const xs = tf.split(x, g, 3) as tf.Tensor4D[];
      const ys = xs.map((xi, i) => tf.conv2d(xi, filters![i], st.strides, pad, 'NHWC', st.dilations));
      y = tf.concat4d(ys, 3);
      if (bias) y = tf.add(y, bias);
    }
    return [Val.tensor(y, 'nhwc')];
  },
};

// ---------------------------------------------------------------------------------------------
// Pools

function poolGeometry(node: NodeProto, x: tf.Tensor4D) {
  const k = pair(node, 'kernel_shape', 0);
  if (k[0] <= 0) throw opError(node, 'kernel_shape is required');
  const strides = pair(node, 'strides', 1);
  const dil = pair(node, 'dilations', 1);
  if (dil[0] !== 1 || dil[1] !== 1) throw opError(node, 'dilated pooling is not supported');
  const [, h, w] = x.shape;
  const pads = spatialPads(node, [h, w], k, strides);
  return { k, strides, pads, h, w };
}

/** With ceil_mode = 1, extra end padding so that floor division yields the ceil output size. */
function ceilModePads(h: number, w: number, k: number[], s: number[], pads: number[]): number[] {
  const out = [...pads];
  const dimsIn = [h, w];
  for (let d = 0; d < 2; d++) {
    const span = dimsIn[d] + pads[d] + pads[d + 2] - k[d];
    let n = Math.ceil(span / s[d]) + 1;
    if ((n - 1) * s[d] >= dimsIn[d] + pads[d]) n--; // the last window must start inside the input or left pad
    const extra = (n - 1) * s[d] + k[d] - (dimsIn[d] + pads[d] + pads[d + 2]);
    if (extra > 0) out[d + 2] += extra;
  }
  return out;
}

const MaxPool: OpDef = {
  run(inputs, ctx) {
    const node = ctx.node;
    const x = need4d(node, inputs[0]).get('nhwc') as tf.Tensor4D;
    const g = poolGeometry(node, x);
    let pads = g.pads;
    if ((attrInt(node, 'ceil_mode') ?? 0) === 1) pads = ceilModePads(g.h, g.w, g.k, g.strides, pads);
    if ((attrInt(node, 'storage_order') ?? 0) !== 0) throw opError(node, 'storage_order 1 is not supported');
    // Padded cells never win the max (XNNPACK ignores them); the gradient goes to the argmax.
    return [Val.tensor(tf.maxPool(x, g.k as [number, number], g.strides, tfPad(pads)), 'nhwc')];
  },
};

const AveragePool: OpDef = {
  run(inputs, ctx) {
    const node = ctx.node;
    const x = need4d(node, inputs[0]).get('nhwc') as tf.Tensor4D;
    const g = poolGeometry(node, x);
    if ((attrInt(node, 'ceil_mode') ?? 0) === 1 && ceilModePads(g.h, g.w, g.k, g.strides, g.pads).some((p, i) => p !== g.pads[i])) {
      throw opError(node, 'ceil_mode 1 is not supported for AveragePool (here it changes the output size)');
    }
    const p = g.pads;
    if (p.every((v) => v === 0)) return [Val.tensor(tf.avgPool(x, g.k as [number, number], g.strides, 'valid'), 'nhwc')];
    // Zero-pad explicitly, average over full windows, then (count_include_pad = 0) rescale each
    // output cell by window size / number of real input cells in its window.
    const xp = tf.pad(x, [[0, 0], [p[0], p[2]], [p[1], p[3]], [0, 0]]);
    let y = tf.avgPool(xp, g.k as [number, number], g.strides, 'valid') as tf.Tensor4D;
    if ((attrInt(node, 'count_include_pad') ?? 0) === 0) {
      const [, oh, ow] = y.shape;
      const key = `avgpool-factor:${node.name}:${g.h}x${g.w}:${p}:${g.k}:${g.strides}`;
      const factor = ctx.cache(key, () => {
        const count = (o: number, d: 0 | 1, n: number) => {
          const start = o * g.strides[d] - p[d];
          return Math.min(start + g.k[d], n) - Math.max(start, 0);
        };
        const f = new Float32Array(oh * ow);
        for (let i = 0; i < oh; i++) {
          for (let j = 0; j < ow; j++) f[i * ow + j] = (g.k[0] * g.k[1]) / (count(i, 0, g.h) * count(j, 1, g.w));
        }
        return tf.tensor4d(f, [1, oh, ow, 1]);
      });
      y = tf.mul(y, factor);
    }
    return [Val.tensor(y, 'nhwc')];
  },
};

function globalPool(reduce: (x: tf.Tensor, axes: number[], keep: boolean) => tf.Tensor): OpDef {
  return {
    run(inputs, ctx) {
      const v = inputs[0];
      if (!v || v.rank < 3) throw opError(ctx.node, 'expected an N x C x spatial input');
      if (v.rank === 4 && v.layout === 'nhwc') return [Val.tensor(reduce(v.get('nhwc'), [1, 2], true), 'nhwc')];
      const axes = Array.from({ length: v.rank - 2 }, (_, i) => i + 2);
      return [Val.tensor(reduce(v.logical(), axes, true), 'nchw')];
    },
  };
}

// ---------------------------------------------------------------------------------------------
// BatchNormalization (inference): y = x * a + b, a = scale / sqrt(var + eps), b = B - mean * a.

export interface BnState {
  a?: tf.Tensor1D;
  b?: tf.Tensor1D;
  eps: number;
}

const BatchNormalization: OpDef = {
  prepare(node, load) {
    if ((attrInt(node, 'training_mode') ?? 0) !== 0) throw opError(node, 'training_mode is not supported');
    const eps = attrFloat(node, 'epsilon') ?? 1e-5;
    const params = [1, 2, 3, 4].map((i) => load.initializer(node.input?.[i]));
    if (params.some((p) => !p)) return { state: { eps } satisfies BnState };
    const [scale, bias, mean, variance] = params.map((p) => tensorValues(p!) as Float32Array);
    const a = new Float32Array(scale.length);
    const b = new Float32Array(scale.length);
    for (let c = 0; c < scale.length; c++) {
      a[c] = scale[c] / Math.sqrt(variance[c] + eps);
      b[c] = bias[c] - mean[c] * a[c];
    }
    return { state: { eps, a: load.keep(tf.tensor1d(a)), b: load.keep(tf.tensor1d(b)) } satisfies BnState, consumed: [1, 2, 3, 4] };
  },
  run(inputs, ctx, s) {
    const st = s as BnState;
    const v = inputs[0];
    if (!v) throw opError(ctx.node, 'missing input');
    let a = st.a;
    let b = st.b;
    if (!a || !b) {
      const [scale, bias, mean, variance] = inputs.slice(1, 5).map((p) => {
        if (!p) throw opError(ctx.node, 'missing parameter');
        return p.logical();
      });
      a = tf.div(scale, tf.sqrt(tf.add(variance, st.eps))) as tf.Tensor1D;
      b = tf.sub(bias, tf.mul(mean, a)) as tf.Tensor1D;
    }
    if (v.rank === 4 && v.layout === 'nhwc') return [Val.tensor(tf.add(tf.mul(v.get('nhwc'), a), b), 'nhwc')];
    const shape = [a.shape[0], ...new Array(Math.max(0, v.rank - 2)).fill(1)];
    return [Val.tensor(tf.add(tf.mul(v.logical(), tf.reshape(a, shape)), tf.reshape(b, shape)), 'nchw')];
  },
};

// ---------------------------------------------------------------------------------------------
// Pad (constant / reflect), pads as input (opset >= 11) or attribute.

const Pad: OpDef = {
  run(inputs, ctx) {
    const node = ctx.node;
    const v = inputs[0];
    if (!v) throw opError(node, 'missing input');
    const mode = attrString(node, 'mode') ?? 'constant';
    const r = v.rank;
    const raw = inputs[1] ? hostNumbers(inputs[1], `Pad ${node.name} pads`) : attrInts(node, 'pads');
    if (!raw) throw opError(node, 'no pads');
    let value = attrFloat(node, 'value') ?? 0;
    if (inputs[2]) value = hostNumbers(inputs[2], `Pad ${node.name} constant_value`)[0] ?? 0;
    const axes = inputs[3] ? hostNumbers(inputs[3], `Pad ${node.name} axes`).map((a) => (a < 0 ? a + r : a)) : [...Array(r).keys()];
    if (raw.length !== 2 * axes.length) throw opError(node, `pads [${raw}] do not match ${axes.length} axes`);
    const logical: [number, number][] = Array.from({ length: r }, () => [0, 0]);
    axes.forEach((a, i) => (logical[a] = [raw[i], raw[i + axes.length]]));

    const nhwc = r === 4 && v.layout === 'nhwc';
    const x = nhwc ? v.get('nhwc') : v.logical();
    const padsStored = nhwc ? TO_NHWC.map((a) => logical[a]) : logical;
    // Negative pads crop.
    const positive = padsStored.map(([b, e]) => [Math.max(0, b), Math.max(0, e)] as [number, number]);
    let y: tf.Tensor;
    if (mode === 'constant') y = tf.pad(x, positive, value);
    else if (mode === 'reflect') y = tf.mirrorPad(x, positive, 'reflect');
    else throw opError(node, `pad mode "${mode}" is not supported`);
    if (padsStored.some(([b, e]) => b < 0 || e < 0)) {
      const begin = padsStored.map(([b]) => Math.max(0, -b));
      const size = y.shape.map((d, k) => d - begin[k] - Math.max(0, -padsStored[k][1]));
      y = tf.slice(y, begin, size);
    }
    return [Val.tensor(y, nhwc ? 'nhwc' : 'nchw')];
  },
};

/**
 * Conv followed by BatchNormalization as one Conv: filters scaled per output channel by a,
 * bias a * bias + b. Returns undefined when the Conv's weights are not constants.
 */
export function foldBatchNorm(conv: ConvState, bn: BnState, keep: <T extends tf.Tensor>(t: T) => T): ConvState | undefined {
  if (!conv.filters || !bn.a || !bn.b) return undefined;
  const a = bn.a;
  const b = bn.b;
  const m = conv.kind === 'depthwise' ? conv.filters[0].shape[2] * conv.filters[0].shape[3] : conv.filters.length * conv.filters[0].shape[3];
  if (a.shape[0] !== m) return undefined;
  const filters = tf.tidy(() => {
    if (conv.kind === 'depthwise') {
      const [, , c, mult] = conv.filters![0].shape;
      return [tf.mul(conv.filters![0], tf.reshape(a, [c, mult])) as tf.Tensor4D];
    }
    const parts = conv.filters!.length === 1 ? [a] : tf.split(a, conv.filters!.length);
    return conv.filters!.map((f, g) => tf.mul(f, parts[g]) as tf.Tensor4D);
  });
  const bias = tf.tidy(() => (conv.bias ? tf.add(tf.mul(conv.bias, a), b) : tf.clone(b)) as tf.Tensor1D);
  return { ...conv, filters: filters.map(keep), bias: keep(bias) };
}

export const SPATIAL_OPS: Record<string, OpDef> = {
  Conv,
  MaxPool,
  AveragePool,
  GlobalAveragePool: globalPool((x, axes, keep) => tf.mean(x, axes, keep)),
  GlobalMaxPool: globalPool((x, axes, keep) => tf.max(x, axes, keep)),
  BatchNormalization,
  Pad,
};
