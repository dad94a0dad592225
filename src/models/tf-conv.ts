/**
 * Conv building blocks shared by the ONNX graphs built from face-api's TF.js weights (detector,
 * landmarks, dlib-resnet): TF.js weight layouts converted to ONNX ones, and TF's 'same' padding
 * expressed as ONNX SAME_UPPER (TF puts the odd extra row/column of padding at the end, which is
 * exactly SAME_UPPER).
 */
import type { GraphBuilder } from '../engine/onnx/builder.js';
import type { NamedWeight } from './tfjs-weights.js';

/** Regular conv filter HWIO (TF) -> OIHW (ONNX), times a per-output-channel factor. */
export function convFilter(w: NamedWeight, scale?: Float32Array): Float32Array {
  const [kh, kw, ci, co] = w.shape;
  const out = new Float32Array(w.data.length);
  for (let h = 0; h < kh; h++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < ci; i++)
        for (let o = 0; o < co; o++) {
          out[((o * ci + i) * kh + h) * kw + x] = w.data[((h * kw + x) * ci + i) * co + o] * (scale ? scale[o] : 1);
        }
  return out;
}

/** Depthwise filter [kh, kw, C, 1] (TF) -> [C, 1, kh, kw] (ONNX grouped conv), times a per-channel factor. */
export function depthwiseFilter(w: NamedWeight, scale?: Float32Array): Float32Array {
  const [kh, kw, c, m] = w.shape;
  if (m !== 1) throw new Error(`depthwise filter with multiplier ${m} not supported`);
  const out = new Float32Array(w.data.length);
  for (let h = 0; h < kh; h++)
    for (let x = 0; x < kw; x++)
      for (let ch = 0; ch < c; ch++) out[(ch * kh + h) * kw + x] = w.data[(h * kw + x) * c + ch] * (scale ? scale[ch] : 1);
  return out;
}

export class WeightSource {
  constructor(
    readonly label: string,
    private readonly weights: Map<string, NamedWeight>,
  ) {}

  get(name: string): NamedWeight {
    const v = this.weights.get(name);
    if (!v) throw new Error(`${this.label}: weight ${name} missing from face-api's manifest`);
    return v;
  }
}

/** conv (TF 'same' padding) + bias. */
export function convSame(g: GraphBuilder, x: string, name: string, w: NamedWeight, bias: Float32Array, stride: number, scale?: Float32Array): string {
  const [kh, kw, ci, co] = w.shape;
  const W = g.weight(`${name}/W`, [co, ci, kh, kw], convFilter(w, scale));
  const B = g.weight(`${name}/B`, [co], bias);
  return g.node('Conv', [x, W, B], { kernel_shape: [kh, kw], strides: [stride, stride], auto_pad: 'SAME_UPPER' });
}

/** Depthwise conv (TF 'same' padding) with optional bias and per-channel scale. */
export function depthwiseSame(g: GraphBuilder, x: string, name: string, w: NamedWeight, stride: number, scale?: Float32Array, bias?: Float32Array): string {
  const [kh, kw, c] = w.shape;
  const W = g.weight(`${name}/W`, [c, 1, kh, kw], depthwiseFilter(w, scale));
  const inputs = [x, W];
  if (bias) inputs.push(g.weight(`${name}/B`, [c], bias));
  return g.node('Conv', inputs, { kernel_shape: [kh, kw], strides: [stride, stride], group: c, auto_pad: 'SAME_UPPER' });
}

/** min(max(x, 0), 6): TF's clipByValue(x, 0, 6). */
export function relu6(g: GraphBuilder, x: string): string {
  const lo = g.weight(g.fresh('zero'), [], new Float32Array([0]));
  const hi = g.weight(g.fresh('six'), [], new Float32Array([6]));
  return g.node('Clip', [x, lo, hi]);
}
