/**
 * TF convolutions and pools (NHWC) as ONNX Conv / pools (NCHW): conv filters HWIO -> OIHW,
 * depthwise filters [kh, kw, C, mult] -> grouped Conv with C groups ([C * mult, 1, kh, kw]),
 * TF's SAME padding turned into explicit (possibly asymmetric) pads for the known input size,
 * and the ops fused by the TF.js converter (BiasAdd, FusedBatchNorm, an activation) expanded.
 */
import type { ConvertContext, TensorValue, Value } from './context.js';
import { emitActivation, ACTIVATIONS } from './activation.js';
import type { ConstValue, TfNode } from './tf-node.js';
import { attrFloat, attrInts, attrString, attrStrings } from './tf-node.js';

interface Geometry {
  strides: [number, number];
  dilations: [number, number];
  /** ONNX pads [top, left, bottom, right]. */
  pads: number[];
  out: [number, number];
}

function nhwcPair(cx: ConvertContext, node: TfNode, key: string): [number, number] {
  const v = attrInts(node, key) ?? [1, 1, 1, 1];
  if (v.length !== 4 || v[0] !== 1 || v[3] !== 1) throw cx.fail(node, `unsupported ${key} [${v}]`);
  return [v[1], v[2]];
}

/** Output size and pads of a 2D window op on an NHWC input of spatial size `hw`. */
export function geometry(cx: ConvertContext, node: TfNode, hw: number[], kernel: number[]): Geometry {
  if ((attrString(node, 'data_format') ?? 'NHWC') !== 'NHWC') throw cx.fail(node, `data_format ${attrString(node, 'data_format')} is not supported (NHWC only)`);
  const strides = nhwcPair(cx, node, 'strides');
  const dilations = nhwcPair(cx, node, 'dilations');
  const padding = attrString(node, 'padding') ?? 'VALID';
  if (hw.some((d) => d < 0)) throw cx.fail(node, 'spatial input size must be known');
  const begin: number[] = [];
  const end: number[] = [];
  const out: number[] = [];
  for (let d = 0; d < 2; d++) {
    const k = (kernel[d] - 1) * dilations[d] + 1;
    let b = 0;
    let e = 0;
    if (padding === 'SAME') {
      const o = Math.ceil(hw[d] / strides[d]);
      const total = Math.max(0, (o - 1) * strides[d] + k - hw[d]);
      b = Math.floor(total / 2);
      e = total - b;
    } else if (padding === 'EXPLICIT') {
      const p = attrInts(node, 'explicit_paddings') ?? [];
      if (p.length !== 8) throw cx.fail(node, `explicit_paddings [${p}] should have 8 values`);
      b = p[2 + 2 * d];
      e = p[3 + 2 * d];
    } else if (padding !== 'VALID') {
      throw cx.fail(node, `unsupported padding ${padding}`);
    }
    begin.push(b);
    end.push(e);
    out.push(Math.floor((hw[d] + b + e - k) / strides[d]) + 1);
  }
  return { strides, dilations, pads: [begin[0], begin[1], end[0], end[1]], out: [out[0], out[1]] };
}

/** Per-output-channel affine (scale, shift) applied after the conv: from BiasAdd or FusedBatchNorm. */
interface Affine {
  scale?: Float32Array;
  shift: Float32Array;
}

/**
 * Splits a fused op's `fused_ops` into the affine part (folded into the weights) and an optional
 * activation; `args` are the fused op's extra inputs in order.
 */
function fusedParts(cx: ConvertContext, node: TfNode, args: Value[], channels: number): { affine?: Affine; act?: string; alpha?: ConstValue } {
  const ops = attrStrings(node, 'fused_ops');
  let k = 0;
  const next = (what: string) => cx.constOf(node, args[k++], `fused ${what} argument`);
  let affine: Affine | undefined;
  let act: string | undefined;
  let alpha: ConstValue | undefined;
  for (const op of ops) {
    if (op === 'BiasAdd' && !affine) {
      affine = { shift: Float32Array.from(next('BiasAdd').data) };
    } else if (op === 'FusedBatchNorm' && !affine) {
      const [scale, offset, mean, variance] = [next('scale'), next('offset'), next('mean'), next('variance')];
      const eps = attrFloat(node, 'epsilon') ?? 1e-3;
      const s = new Float32Array(channels);
      const t = new Float32Array(channels);
      for (let c = 0; c < channels; c++) {
        s[c] = scale.data[c] / Math.sqrt(variance.data[c] + eps);
        t[c] = offset.data[c] - mean.data[c] * s[c];
      }
      affine = { scale: s, shift: t };
    } else if (ACTIVATIONS.has(op) && !act) {
      act = op;
      if (op === 'Prelu') alpha = next('Prelu');
    } else {
      throw cx.fail(node, `unsupported fused_ops [${ops.join(', ')}]`);
    }
  }
  if (affine && affine.shift.length !== channels) throw cx.fail(node, `fused bias has ${affine.shift.length} values for ${channels} channels`);
  return { affine, act, alpha };
}

function emitConv(cx: ConvertContext, node: TfNode, x: TensorValue, filters: ConstValue, depthwise: boolean, args: Value[], out: string): Value {
  if (x.shape.length !== 4) throw cx.fail(node, `input must be 4D, got shape [${x.shape}]`);
  if (filters.shape.length !== 4) throw cx.fail(node, `filter must be 4D, got [${filters.shape}]`);
  const [kh, kw, ci, m] = filters.shape;
  const [n, h, w, c] = x.shape;
  if (ci !== c) throw cx.fail(node, `input has ${c} channels, filter expects ${ci}`);
  const co = depthwise ? ci * m : m;
  const geo = geometry(cx, node, [h, w], [kh, kw]);
  const { affine, act, alpha } = fusedParts(cx, node, args, co);
  // OIHW weights; depthwise output channel o = c * mult + j reads input channel c only.
  const wOut = new Float32Array(filters.data.length);
  const inPer = depthwise ? 1 : ci;
  for (let y = 0; y < kh; y++)
    for (let z = 0; z < kw; z++)
      for (let i = 0; i < ci; i++)
        for (let j = 0; j < m; j++) {
          const o = depthwise ? i * m + j : j;
          const ii = depthwise ? 0 : i;
          const s = affine?.scale ? affine.scale[o] : 1;
          wOut[((o * inPer + ii) * kh + y) * kw + z] = filters.data[((y * kw + z) * ci + i) * m + j] * s;
        }
  const inputs = [x.onnx, cx.floatInit(node, 'W', [co, inPer, kh, kw], wOut)];
  if (affine) inputs.push(cx.floatInit(node, 'B', [co], affine.shift));
  const attrs = {
    kernel_shape: [kh, kw],
    strides: geo.strides,
    dilations: geo.dilations,
    pads: geo.pads,
    ...(depthwise ? { group: ci } : {}),
  };
  const conv = cx.g.node('Conv', inputs, attrs, act ? cx.tmp(node, 'conv') : out);
  const y = act ? emitActivation(cx, node, act, conv, 4, out, alpha) : conv;
  return { kind: 'tensor', onnx: y, shape: [n, geo.out[0], geo.out[1], co] };
}

/** Conv2D, _FusedConv2D, DepthwiseConv2dNative, FusedDepthwiseConv2dNative. */
export function convOp(cx: ConvertContext, node: TfNode, ins: Value[], out: string): Value {
  const depthwise = node.op.includes('Depthwise');
  const x = cx.tensorOf(node, ins[0]);
  const filters = cx.constOf(node, ins[1], 'filter');
  return emitConv(cx, node, x, filters, depthwise, ins.slice(2), out);
}

/** MaxPool / AvgPool. */
export function poolOp(cx: ConvertContext, node: TfNode, ins: Value[], out: string): Value {
  const x = cx.tensorOf(node, ins[0]);
  if (x.shape.length !== 4) throw cx.fail(node, `input must be 4D, got shape [${x.shape}]`);
  const k = attrInts(node, 'ksize') ?? [];
  if (k.length !== 4 || k[0] !== 1 || k[3] !== 1) throw cx.fail(node, `unsupported ksize [${k}]`);
  const geo = geometry(cx, node, [x.shape[1], x.shape[2]], [k[1], k[2]]);
  const op = node.op === 'MaxPool' ? 'MaxPool' : 'AveragePool';
  // TF's AvgPool averages over the in-image cells only: count_include_pad = 0 (the ONNX default).
  const y = cx.g.node(op, [x.onnx], { kernel_shape: [k[1], k[2]], strides: geo.strides, pads: geo.pads }, out);
  return { kind: 'tensor', onnx: y, shape: [x.shape[0], geo.out[0], geo.out[1], x.shape[3]] };
}

/** FusedBatchNorm / V2 / V3 (inference): x * s + t per channel as ONNX BatchNormalization. */
export function batchNormOp(cx: ConvertContext, node: TfNode, ins: Value[], out: string): Value {
  const x = cx.tensorOf(node, ins[0]);
  if (x.shape.length !== 4) throw cx.fail(node, `input must be 4D, got shape [${x.shape}]`);
  const c = x.shape[3];
  const parts = ['scale', 'offset', 'mean', 'variance'].map((w, k) => {
    const v = cx.constOf(node, ins[k + 1], w);
    if (v.data.length !== c) throw cx.fail(node, `${w} has ${v.data.length} values for ${c} channels`);
    return cx.floatInit(node, w, [c], v.data);
  });
  const eps = attrFloat(node, 'epsilon') ?? 1e-3;
  if (Number.isInteger(eps)) {
    // GraphBuilder writes integral numbers as INT attributes: fold to x * s + t instead.
    const [scale, offset, mean, variance] = [1, 2, 3, 4].map((k) => cx.constOf(node, ins[k], 'batch-norm parameter').data);
    const s = Float32Array.from(scale, (v, k) => v / Math.sqrt(variance[k] + eps));
    const t = Float32Array.from(offset, (v, k) => v - mean[k] * s[k]);
    const y = cx.g.node('Mul', [x.onnx, cx.floatInit(node, 's', [c, 1, 1], s)], {}, cx.tmp(node, 'scaled'));
    return { kind: 'tensor', onnx: cx.g.node('Add', [y, cx.floatInit(node, 't', [c, 1, 1], t)], {}, out), shape: x.shape };
  }
  const y = cx.g.node('BatchNormalization', [x.onnx, ...parts], { epsilon: eps }, out);
  return { kind: 'tensor', onnx: y, shape: x.shape };
}
