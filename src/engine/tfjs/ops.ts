/**
 * The ONNX op table of TfGraph: every supported op type -> its TF.js implementation.
 * Spatial ops (Conv, pools, BatchNormalization, Pad) are in tfjs/ops-spatial.ts.
 *
 * Layout: 4D values may be stored NHWC (see tfjs/layout.ts). Elementwise ops keep the layout of
 * their 4D operand and permute lower-rank constants to match; ops that work on the logical
 * order (Flatten, Reshape, MatMul, Gather, Squeeze...) ask for NCHW, which is a free reshape
 * when the spatial size or the channel count is 1 (e.g. after global pooling).
 */
import { attr, attrFloat, attrInt, attrInts, TensorDataType, tensorValues, type NodeProto, type TensorProto } from '../onnx/proto.js';
import { tf } from './backend.js';
import { hostConcat, hostGather, hostSlice, hostTranspose, reshapeTarget, sliceBounds } from './host.js';
import {
  commonLayout, hostBinary, hostNumbers, NHWC_AXIS, normAxis, permute, sizeOf, TO_NHWC, Val, type HostData, type HostDtype,
} from './layout.js';
import { ConstMatrix } from './matmul.js';
import { opError, type LoadContext, type OpDef, type Prepared, type RunContext } from './op-types.js';
import { SPATIAL_OPS } from './ops-spatial.js';
import { clipUnit, rectify } from './relu-rules.js';

/** Float tensors up to this many elements are also kept on the host (for pads, clip bounds...). */
const HOST_FLOAT_LIMIT = 64;

/** An initializer / Constant value as a Val: integers and small floats on the host, the rest as a tensor. */
export function valFromProto(t: TensorProto, keep: <T extends tf.Tensor>(t: T) => T): Val {
  const shape = (t.dims ?? []).map((d) => Number(d));
  const values = tensorValues(t);
  const dtype: HostDtype = t.dataType === TensorDataType.FLOAT ? 'float32' : 'int32';
  if (dtype === 'int32' || values.length <= HOST_FLOAT_LIMIT) {
    return Val.hostVal({ data: Array.from(values), shape, dtype });
  }
  return Val.tensor(keep(tf.tensor(values as Float32Array, shape, 'float32')), 'nchw', false);
}

function need(ctx: RunContext, v: Val | undefined, what = 'input'): Val {
  if (!v) throw opError(ctx.node, `missing ${what}`);
  return v;
}

/** Axes from the attribute (older opsets) or the given input (newer opsets), if any. */
function axesOf(ctx: RunContext, inputs: (Val | undefined)[], index: number, name = 'axes'): number[] | undefined {
  const a = attrInts(ctx.node, name);
  if (a) return a;
  const v = inputs[index];
  return v ? hostNumbers(v, `${ctx.node.opType} ${name}`) : undefined;
}

function unary(f: (t: tf.Tensor, ctx: RunContext) => tf.Tensor): OpDef {
  return {
    run(inputs, ctx) {
      const v = need(ctx, inputs[0]);
      return [Val.tensor(f(v.get(), ctx), v.layout)];
    },
  };
}

function binary(f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, host: (x: number, y: number, dtype: HostDtype) => number): OpDef {
  return {
    run(inputs, ctx) {
      const a = need(ctx, inputs[0]);
      const b = need(ctx, inputs[1]);
      if (a.host && b.host) {
        const dtype: HostDtype = a.host.dtype === 'int32' && b.host.dtype === 'int32' ? 'int32' : 'float32';
        return [Val.hostVal(hostBinary(a.host, b.host, (x, y) => host(x, y, dtype), dtype))];
      }
      const { layout, rank } = commonLayout([a, b]);
      let ta = a.alignedTo(layout, rank);
      let tb = b.alignedTo(layout, rank);
      if (ta.dtype !== tb.dtype) {
        ta = tf.cast(ta, 'float32');
        tb = tf.cast(tb, 'float32');
      }
      return [Val.tensor(f(ta, tb), layout)];
    },
  };
}

/** Reshape on the logical (NCHW) order; host values stay on the host. */
function reshapeVal(v: Val, shape: number[]): Val {
  if (v.host) return Val.hostVal({ ...v.host, shape });
  return Val.tensor(tf.reshape(v.logical(), shape), 'nchw');
}

function scalarOf(ctx: RunContext, v: Val | undefined, what: string): number | tf.Tensor | undefined {
  if (!v) return undefined;
  if (v.host) return v.host.data[0];
  if (v.shape.length > 0 && sizeOf(v.shape) !== 1) throw opError(ctx.node, `${what} must be a scalar`);
  return tf.reshape(v.get(), []);
}

const Relu = unary((x, ctx) => rectify(x, 0, ctx.reluRule));
const LeakyRelu = unary((x, ctx) => rectify(x, attrFloat(ctx.node, 'alpha') ?? 0.01, ctx.reluRule));

const PRelu: OpDef = {
  run(inputs, ctx) {
    const x = need(ctx, inputs[0]);
    const slope = need(ctx, inputs[1], 'slope');
    let s: number | tf.Tensor;
    if (slope.host && slope.host.data.length === 1) s = slope.host.data[0];
    else s = slope.alignedTo(x.layout, x.rank);
    return [Val.tensor(rectify(x.get(), s, ctx.reluRule), x.layout)];
  },
};

const Clip: OpDef = {
  run(inputs, ctx) {
    const x = need(ctx, inputs[0]);
    const lo = scalarOf(ctx, inputs[1], 'min') ?? attrFloat(ctx.node, 'min') ?? -Infinity;
    const hi = scalarOf(ctx, inputs[2], 'max') ?? attrFloat(ctx.node, 'max') ?? Infinity;
    return [Val.tensor(clipUnit(x.get(), lo, hi, ctx.reluRule), x.layout)];
  },
};

function asFloat(t: tf.Tensor): tf.Tensor {
  return t.dtype === 'float32' ? t : tf.cast(t, 'float32');
}

/** Prepares a constant 2D right-hand operand (input 1) as a ConstMatrix. */
function prepareConstMatrix(node: NodeProto, load: LoadContext, transposed: boolean): Prepared {
  const b = load.initializer(node.input?.[1]);
  if (!b || (b.dims ?? []).length !== 2 || b.dataType !== TensorDataType.FLOAT) return {};
  return { state: ConstMatrix.fromProto(b, transposed, load.keep), consumed: [1] };
}

const Gemm: OpDef = {
  prepare(node, load) {
    return prepareConstMatrix(node, load, (attrInt(node, 'transB') ?? 0) === 1);
  },
  run(inputs, ctx, state) {
    const node = ctx.node;
    let a = asFloat(need(ctx, inputs[0]).logical());
    if (a.rank !== 2) throw opError(node, `Gemm needs a 2D input A, got [${a.shape}]`);
    if ((attrInt(node, 'transA') ?? 0) === 1) a = tf.transpose(a);
    const alpha = attrFloat(node, 'alpha') ?? 1;
    const beta = attrFloat(node, 'beta') ?? 1;
    let y: tf.Tensor;
    if (state instanceof ConstMatrix) {
      if (a.shape[1] !== state.inner) throw opError(node, `A is [${a.shape}], B has ${state.inner} rows (after transB)`);
      y = state.apply(a as tf.Tensor2D, ctx.tapeOn);
    } else {
      const b = need(ctx, inputs[1]).logical();
      if (b.rank !== 2) throw opError(node, `Gemm needs a 2D input B, got [${b.shape}]`);
      y = tf.matMul(a, b, false, (attrInt(node, 'transB') ?? 0) === 1);
    }
    if (alpha !== 1) y = tf.mul(y, alpha);
    const c = inputs[2];
    if (c && beta !== 0) y = tf.add(y, beta === 1 ? c.logical() : tf.mul(c.logical(), beta));
    return [Val.tensor(y)];
  },
};

const MatMul: OpDef = {
  prepare(node, load) {
    return prepareConstMatrix(node, load, false);
  },
  run(inputs, ctx, state) {
    let a = asFloat(need(ctx, inputs[0]).logical());
    const aVec = a.rank === 1;
    if (aVec) a = tf.reshape(a, [1, a.shape[0]]);
    if (state instanceof ConstMatrix) {
      // [..., K] . [K, M] as one 2D product.
      const lead = a.shape.slice(0, -1);
      const k = a.shape[a.rank - 1];
      if (k !== state.inner) throw opError(ctx.node, `A is [${a.shape}], B has ${state.inner} rows`);
      const y = state.apply(tf.reshape(a, [sizeOf(lead), k]) as tf.Tensor2D, ctx.tapeOn);
      const m = y.shape[1];
      return [Val.tensor(tf.reshape(y, aVec ? [m] : [...lead, m]), 'nchw')];
    }
    let b = need(ctx, inputs[1]).logical();
    const bVec = b.rank === 1;
    if (bVec) b = tf.reshape(b, [b.shape[0], 1]);
    let y = tf.matMul(a, b);
    if (aVec || bVec) {
      const shape = y.shape.slice();
      if (bVec) shape.splice(shape.length - 1, 1);
      if (aVec) shape.splice(shape.length - (bVec ? 1 : 2), 1);
      y = tf.reshape(y, shape);
    }
    return [Val.tensor(y, 'nchw')];
  },
};

const Flatten: OpDef = {
  run(inputs, ctx) {
    const v = need(ctx, inputs[0]);
    const s = v.shape;
    const axis = attrInt(ctx.node, 'axis') ?? 1;
    const a = axis < 0 ? axis + s.length : axis;
    return [reshapeVal(v, [sizeOf(s.slice(0, a)), sizeOf(s.slice(a))])];
  },
};

const Reshape: OpDef = {
  run(inputs, ctx) {
    const v = need(ctx, inputs[0]);
    const spec = inputs[1] ? hostNumbers(inputs[1], `Reshape ${ctx.node.name} shape`) : attrInts(ctx.node, 'shape');
    if (!spec) throw opError(ctx.node, 'no target shape');
    return [reshapeVal(v, reshapeTarget(v.shape, spec, (attrInt(ctx.node, 'allowzero') ?? 0) === 1))];
  },
};

const Transpose: OpDef = {
  run(inputs, ctx) {
    const v = need(ctx, inputs[0]);
    const r = v.rank;
    const perm = attrInts(ctx.node, 'perm') ?? [...Array(r).keys()].reverse();
    if (v.host) return [Val.hostVal(hostTranspose(v.host, perm))];
    if (r === 4 && v.layout === 'nhwc') {
      // One transpose from the stored order straight to the requested logical order.
      return [Val.tensor(permute(v.get('nhwc'), perm.map((p) => NHWC_AXIS[p])), 'nchw')];
    }
    return [Val.tensor(permute(v.logical(), perm), 'nchw')];
  },
};

const Concat: OpDef = {
  run(inputs, ctx) {
    const vals = inputs.filter((v): v is Val => v !== undefined && sizeOf(v.shape) > 0);
    if (vals.length === 0) throw opError(ctx.node, 'no inputs');
    const axis = normAxis(attrInt(ctx.node, 'axis') ?? 0, vals[0].rank);
    if (vals.every((v) => v.host)) return [Val.hostVal(hostConcat(vals.map((v) => v.host!), axis))];
    const { layout, rank } = commonLayout(vals);
    const ts = vals.map((v) => v.alignedTo(layout, rank));
    const float = ts.some((t) => t.dtype === 'float32');
    const cast = ts.map((t) => (float && t.dtype !== 'float32' ? tf.cast(t, 'float32') : t));
    const storedAxis = layout === 'nhwc' ? NHWC_AXIS[axis] : axis;
    return [Val.tensor(cast.length === 1 ? tf.clone(cast[0]) : tf.concat(cast, storedAxis), layout)];
  },
};

const passThrough: OpDef = {
  run(inputs, ctx) {
    const v = need(ctx, inputs[0]);
    if (v.host) return [Val.hostVal(v.host)];
    return [Val.tensor(tf.clone(v.get()), v.layout)];
  },
};

const Constant: OpDef = {
  prepare(node, load) {
    const t = attr(node, 'value')?.t;
    if (t) return { state: valFromProto(t, load.keep) };
    const f = attrFloat(node, 'value_float');
    const fs = attr(node, 'value_floats')?.floats;
    const i = attrInt(node, 'value_int');
    const is = attrInts(node, 'value_ints');
    let h: HostData | undefined;
    if (f !== undefined) h = { data: [f], shape: [], dtype: 'float32' };
    else if (fs && fs.length > 0) h = { data: [...fs], shape: [fs.length], dtype: 'float32' };
    else if (i !== undefined) h = { data: [i], shape: [], dtype: 'int32' };
    else if (is) h = { data: is, shape: [is.length], dtype: 'int32' };
    if (!h) throw opError(node, 'unsupported Constant attribute');
    return { state: Val.hostVal(h) };
  },
  run(_inputs, _ctx, state) {
    const v = state as Val;
    if (v.host) return [Val.hostVal(v.host)];
    return [Val.tensor(tf.clone(v.get()), 'nchw')];
  },
};

const ReduceMean: OpDef = {
  run(inputs, ctx) {
    const v = need(ctx, inputs[0]);
    const r = v.rank;
    const keep = (attrInt(ctx.node, 'keepdims') ?? 1) === 1;
    let axes = axesOf(ctx, inputs, 1);
    if (!axes || axes.length === 0) {
      if ((attrInt(ctx.node, 'noop_with_empty_axes') ?? 0) === 1) return passThrough.run(inputs, ctx, undefined);
      axes = [...Array(r).keys()];
    }
    const logicalAxes = [...new Set(axes.map((a) => normAxis(a, r)))].sort((x, y) => x - y);
    if (r === 4 && v.layout === 'nhwc') {
      const stored = logicalAxes.map((a) => NHWC_AXIS[a]);
      const y = tf.mean(v.get('nhwc'), stored, keep);
      if (keep) return [Val.tensor(y, 'nhwc')];
      // Remaining axes come out in stored order; put them back in logical order.
      const remaining = [0, 1, 2, 3].filter((a) => !logicalAxes.includes(a));
      const storedOrder = [...remaining].sort((x, y2) => NHWC_AXIS[x] - NHWC_AXIS[y2]);
      return [Val.tensor(permute(y, remaining.map((a) => storedOrder.indexOf(a))), 'nchw')];
    }
    return [Val.tensor(tf.mean(v.logical(), logicalAxes, keep), 'nchw')];
  },
};

const Shape: OpDef = {
  run(inputs, ctx) {
    const s = need(ctx, inputs[0]).shape;
    const r = s.length;
    const clamp = (x: number) => Math.min(Math.max(x < 0 ? x + r : x, 0), r);
    const start = clamp(attrInt(ctx.node, 'start') ?? 0);
    const end = clamp(attrInt(ctx.node, 'end') ?? r);
    const data = s.slice(start, Math.max(start, end));
    return [Val.hostVal({ data, shape: [data.length], dtype: 'int32' })];
  },
};

const Gather: OpDef = {
  run(inputs, ctx) {
    const v = need(ctx, inputs[0]);
    const ind = need(ctx, inputs[1], 'indices');
    const axis = normAxis(attrInt(ctx.node, 'axis') ?? 0, v.rank);
    if (v.host && ind.host) return [Val.hostVal(hostGather(v.host, ind.host, axis))];
    const x = v.logical();
    if (!ind.host) {
      // Runtime indices: forward only (WASM has no UnsortedSegmentSum for Gather's gradient).
      return [Val.tensor(tf.gather(x, tf.cast(ind.get(), 'int32'), axis), 'nchw')];
    }
    // Constant indices: slices (differentiable on every backend).
    const dim = x.shape[axis];
    const idx = ind.host.data.map((i) => (i < 0 ? i + dim : i));
    if (idx.length === 0 || idx.some((i) => i < 0 || i >= dim)) throw opError(ctx.node, `indices [${ind.host.data}] out of range for dim ${dim}`);
    const sliceAt = (start: number, len: number) => {
      const begin = x.shape.map((_, k) => (k === axis ? start : 0));
      const size = x.shape.map((d, k) => (k === axis ? len : d));
      return tf.slice(x, begin, size);
    };
    const contiguous = idx.every((i, k) => i === idx[0] + k);
    const y = contiguous ? sliceAt(idx[0], idx.length) : tf.concat(idx.map((i) => sliceAt(i, 1)), axis);
    const outShape = [...x.shape.slice(0, axis), ...ind.host.shape, ...x.shape.slice(axis + 1)];
    return [Val.tensor(tf.reshape(y, outShape), 'nchw')];
  },
};

const Unsqueeze: OpDef = {
  run(inputs, ctx) {
    const v = need(ctx, inputs[0]);
    const axes = axesOf(ctx, inputs, 1);
    if (!axes) throw opError(ctx.node, 'no axes');
    const outRank = v.rank + axes.length;
    const ax = new Set(axes.map((a) => normAxis(a, outRank)));
    const shape: number[] = [];
    let k = 0;
    for (let i = 0; i < outRank; i++) shape.push(ax.has(i) ? 1 : v.shape[k++]);
    return [reshapeVal(v, shape)];
  },
};

const Squeeze: OpDef = {
  run(inputs, ctx) {
    const v = need(ctx, inputs[0]);
    const axes = axesOf(ctx, inputs, 1);
    const s = v.shape;
    const drop = new Set(axes ? axes.map((a) => normAxis(a, s.length)) : s.flatMap((d, i) => (d === 1 ? [i] : [])));
    for (const a of drop) if (s[a] !== 1) throw opError(ctx.node, `cannot squeeze axis ${a} of shape [${s}]`);
    return [reshapeVal(v, s.filter((_, i) => !drop.has(i)))];
  },
};

const Softmax: OpDef = {
  run(inputs, ctx) {
    const v = need(ctx, inputs[0]);
    const r = v.rank;
    if (ctx.opset < 13) {
      // Opsets 1-12: softmax over the flattened trailing block [axis, rank).
      const a = normAxis(attrInt(ctx.node, 'axis') ?? 1, r);
      const s = v.shape;
      const y = tf.softmax(tf.reshape(v.logical(), [sizeOf(s.slice(0, a)), sizeOf(s.slice(a))]));
      return [Val.tensor(tf.reshape(y, s), 'nchw')];
    }
    const a = normAxis(attrInt(ctx.node, 'axis') ?? -1, r);
    if (r === 4 && v.layout === 'nhwc' && NHWC_AXIS[a] === 3) return [Val.tensor(tf.softmax(v.get('nhwc')), 'nhwc')];
    if (a === r - 1) return [Val.tensor(tf.softmax(v.logical()), 'nchw')];
    const perm = [...Array(r).keys()];
    perm[a] = r - 1;
    perm[r - 1] = a;
    return [Val.tensor(permute(tf.softmax(permute(v.logical(), perm)), perm), 'nchw')];
  },
};

const Cast: OpDef = {
  run(inputs, ctx) {
    const v = need(ctx, inputs[0]);
    const to = attrInt(ctx.node, 'to') ?? TensorDataType.FLOAT;
    const isFloat = to === TensorDataType.FLOAT || to === TensorDataType.DOUBLE || to === TensorDataType.FLOAT16;
    const dtype: HostDtype = isFloat ? 'float32' : 'int32';
    if (v.host) {
      const data = isFloat ? v.host.data : v.host.data.map((x) => (to === TensorDataType.BOOL ? Number(x !== 0) : Math.trunc(x)));
      return [Val.hostVal({ data, shape: v.host.shape, dtype })];
    }
    const t = v.get();
    return [Val.tensor(t.dtype === dtype ? tf.clone(t) : tf.cast(t, dtype), v.layout)];
  },
};

/**
 * Elements 0, step, 2 step... along an axis, with differentiable ops only (TF.js has no gradient
 * for StridedSlice): pad to a multiple of step, split the axis into [n, step], keep column 0.
 */
function everyNth(t: tf.Tensor, axis: number, step: number): tf.Tensor {
  const len = t.shape[axis];
  const n = Math.ceil(len / step);
  const padded = n * step === len ? t : tf.pad(t, t.shape.map((_, k) => [0, k === axis ? n * step - len : 0] as [number, number]));
  const split = tf.reshape(padded, [...t.shape.slice(0, axis), n, step, ...t.shape.slice(axis + 1)]);
  const begin = split.shape.map(() => 0);
  const size = split.shape.map((d, k) => (k === axis + 1 ? 1 : d));
  return tf.reshape(tf.slice(split, begin, size), t.shape.map((d, k) => (k === axis ? n : d)));
}

const Slice: OpDef = {
  run(inputs, ctx) {
    const v = need(ctx, inputs[0]);
    const node = ctx.node;
    const r = v.rank;
    const starts = attrInts(node, 'starts') ?? hostNumbers(inputs[1], 'Slice starts');
    const ends = attrInts(node, 'ends') ?? hostNumbers(inputs[2], 'Slice ends');
    const axes = (attrInts(node, 'axes') ?? (inputs[3] ? hostNumbers(inputs[3], 'Slice axes') : [...starts.keys()])).map((a) => normAxis(a, r));
    const steps = inputs[4] ? hostNumbers(inputs[4], 'Slice steps') : starts.map(() => 1);
    const s = v.shape;
    const begin = s.map(() => 0);
    const end = [...s];
    const step = s.map(() => 1);
    axes.forEach((a, i) => {
      if (steps[i] === 0) throw opError(node, 'step 0');
      [begin[a], end[a]] = sliceBounds(starts[i], ends[i], steps[i], s[a]);
      step[a] = steps[i];
    });
    if (v.host) return [Val.hostVal(hostSlice(v.host, begin, end, step))];
    if (step.some((x) => x < 0)) throw opError(node, 'negative Slice steps are not supported on tensors');
    const nhwc = r === 4 && v.layout === 'nhwc';
    const order = nhwc ? TO_NHWC : [...Array(r).keys()];
    const t = nhwc ? v.get('nhwc') : v.logical();
    const b = order.map((a) => begin[a]);
    const e = order.map((a) => Math.max(end[a], begin[a]));
    const st = order.map((a) => step[a]);
    let y = tf.slice(t, b, e.map((x, k) => x - b[k]));
    st.forEach((step1, k) => {
      if (step1 > 1) y = everyNth(y, k, step1);
    });
    return [Val.tensor(y, nhwc ? 'nhwc' : 'nchw')];
  },
};

const trunc = (x: number, dtype: HostDtype) => (dtype === 'int32' ? Math.trunc(x) : x);

export const OPS: Record<string, OpDef> = {
  ...SPATIAL_OPS,
  Relu,
  PRelu,
  LeakyRelu,
  Sigmoid: unary((x) => tf.sigmoid(x)),
  Tanh: unary((x) => tf.tanh(x)),
  Abs: unary((x) => tf.abs(x)),
  Sqrt: unary((x) => tf.sqrt(x)),
  Clip,
  Add: binary((a, b) => tf.add(a, b), (x, y) => x + y),
  Sub: binary((a, b) => tf.sub(a, b), (x, y) => x - y),
  Mul: binary((a, b) => tf.mul(a, b), (x, y) => x * y),
  Div: binary((a, b) => tf.div(a, b), (x, y, d) => trunc(x / y, d)),
  Max: binary((a, b) => tf.maximum(a, b), (x, y) => Math.max(x, y)),
  Min: binary((a, b) => tf.minimum(a, b), (x, y) => Math.min(x, y)),
  Gemm,
  MatMul,
  Flatten,
  Reshape,
  Transpose,
  Concat,
  Identity: passThrough,
  Dropout: passThrough,
  Constant,
  ReduceMean,
  Shape,
  Gather,
  Unsqueeze,
  Squeeze,
  Softmax,
  Cast,
  Slice,
};

export const SUPPORTED_OPS: readonly string[] = Object.keys(OPS).sort();
