/**
 * face-api's SSD MobileNet v1 face detector as an ONNX graph, built from the uint8-quantised
 * weights that ship in @vladmandic/face-api (ssd_mobilenetv1_model). Architecture as face-api
 * runs it (facts read from its source, re-expressed here):
 *   input: the image as uint8 RGB [1, S, S, 3], already zero-padded at the end (bottom or
 *   right) to a square by the caller; the graph scales it to [-1, 1] (v / 127.5 - 1) and
 *   resizes it to 512x512 with ONNX Resize (linear, 'asymmetric' = TF's legacy resizeBilinear,
 *   no half-pixel centres; see ssdInput)
 *   conv_0: 3x3/2 conv + bias, relu6
 *   conv_1..13: depthwise 3x3 (stride 2 at 2, 4, 6, 12) + batch norm (eps 1e-3), relu6,
 *               then 1x1 conv + bias, relu6; conv_11's output feeds box predictor 0
 *   extra layers conv_0..7 on conv_13's output: 1x1 / 3x3-stride-2 pairs, + bias, relu6,
 *   box predictors 0..5 on [conv_11, conv_13, extra 1, 3, 5, 7]: 1x1 convs giving per-anchor
 *   box encodings (4) and class logits (3; index 1 = face).
 * Batch norm is folded into the depthwise filters. Outputs, anchors in face-api's order
 * (feature map row, column, anchor):
 *   boxes  [N, A, 4]  raw encodings (ty, tx, th, tw), decoded against the anchors in TS
 *   scores [N, A]     sigmoid of the face logit
 * The anchors themselves ship in the weights (`Output/extra_dim`, [1, A, 4] ymin xmin ymax xmax).
 */
import path from 'node:path';
import { GraphBuilder } from '../../engine/onnx/builder.js';
import { TensorDataType } from '../../engine/onnx/proto.js';
import { readTfjsWeights } from '../../models/tfjs-weights.js';
import { convSame, depthwiseSame, relu6, WeightSource } from '../../models/tf-conv.js';

export const SSD_INPUT_SIZE = 512;
const BN_EPSILON = 0.0010000000474974513;

export interface SsdGraph {
  onnx: Uint8Array;
  /** [A * 4] anchors, ymin xmin ymax xmax, relative to the 512 square. */
  anchors: Float32Array;
}

function pointwise(g: GraphBuilder, ws: WeightSource, x: string, prefix: string, stride: number): string {
  const w = ws.get(`${prefix}/weights`);
  return relu6(g, convSame(g, x, prefix, w, ws.get(`${prefix}/convolution_bn_offset`).data, stride));
}

function depthwiseBn(g: GraphBuilder, ws: WeightSource, x: string, prefix: string, stride: number): string {
  const gamma = ws.get(`${prefix}/BatchNorm/gamma`).data;
  const beta = ws.get(`${prefix}/BatchNorm/beta`).data;
  const mean = ws.get(`${prefix}/BatchNorm/moving_mean`).data;
  const variance = ws.get(`${prefix}/BatchNorm/moving_variance`).data;
  const scale = gamma.map((gm, i) => gm / Math.sqrt(variance[i] + BN_EPSILON));
  const bias = beta.map((b, i) => b - mean[i] * scale[i]);
  return relu6(g, depthwiseSame(g, x, prefix, ws.get(`${prefix}/depthwise_weights`), stride, scale, bias));
}

/** One box predictor: [N, H*W*a, 4] encodings and [N, H*W*a, 3] logits (NHWC order as in TF). */
function boxPredictor(g: GraphBuilder, ws: WeightSource, x: string, idx: number): { box: string; cls: string } {
  const p = `Prediction/BoxPredictor_${idx}`;
  const head = (name: string, per: number): string => {
    const w = ws.get(`${p}/${name}/weights`);
    const y = convSame(g, x, `${p}/${name}`, w, ws.get(`${p}/${name}/biases`).data, 1);
    const nhwc = g.node('Transpose', [y], { perm: [0, 2, 3, 1] });
    return g.node('Reshape', [nhwc, g.int64(g.fresh('shape'), [0, -1, per])]);
  };
  return { box: head('BoxEncodingPredictor', 4), cls: head('ClassPredictor', 3) };
}

/**
 * The SSD's input made inside the graph, from `image` (uint8 [1, S, S, 3], zero-padded to a
 * square at the end as face-api pads): scale to [-1, 1], then bilinear resize to 512x512 with
 * the source position of output pixel i at i * S / 512 (coordinate_transformation_mode
 * 'asymmetric', which is TF's resizeBilinear with alignCorners = halfPixelCenters = false, as
 * face-api resizes). Scaling commutes with linear interpolation, so it runs on the small image.
 * Native code here rather than preprocess.ts' JavaScript: this resize was the largest cost of a
 * detection pass after the network (about 7% of a worker's time); the two agree to ~1e-4 of the
 * [-1, 1] range (float rounding of the interpolation weights; test/data/detector-onnx.test.ts).
 */
export function ssdInput(g: GraphBuilder, image: string): string {
  const nchw = g.node('Transpose', [image], { perm: [0, 3, 1, 2] });
  const f = g.node('Cast', [nchw], { to: TensorDataType.FLOAT });
  const centred = g.node('Sub', [f, g.weight(g.fresh('half_range'), [], new Float32Array([127.5]))]);
  const scaled = g.node('Mul', [centred, g.weight(g.fresh('inv_half_range'), [], new Float32Array([1 / 127.5]))]);
  const sizes = g.int64(g.fresh('ssd_size'), [1, 3, SSD_INPUT_SIZE, SSD_INPUT_SIZE]);
  return g.node('Resize', [scaled, '', '', sizes], { mode: 'linear', coordinate_transformation_mode: 'asymmetric' });
}

export async function buildSsdGraph(modelDir: string): Promise<SsdGraph> {
  const weights = await readTfjsWeights(path.join(modelDir, 'ssd_mobilenetv1_model-weights_manifest.json'));
  const ws = new WeightSource('ssd_mobilenetv1', weights);
  const g = new GraphBuilder('faceapi-ssd-mobilenetv1');
  let x = ssdInput(g, g.input('image', [1, 'S', 'S', 3], TensorDataType.UINT8));
  x = pointwise(g, ws, x, 'MobilenetV1/Conv2d_0_pointwise', 2);
  let conv11 = '';
  for (let i = 1; i <= 13; i++) {
    x = depthwiseBn(g, ws, x, `MobilenetV1/Conv2d_${i}_depthwise`, [2, 4, 6, 12].includes(i) ? 2 : 1);
    x = pointwise(g, ws, x, `MobilenetV1/Conv2d_${i}_pointwise`, 1);
    if (i === 11) conv11 = x;
  }
  const extra: string[] = [];
  let e = x;
  for (let i = 0; i < 8; i++) {
    e = pointwise(g, ws, e, `Prediction/Conv2d_${i}_pointwise`, i % 2 === 1 ? 2 : 1);
    extra.push(e);
  }
  const sources = [conv11, x, extra[1], extra[3], extra[5], extra[7]];
  const preds = sources.map((s, i) => boxPredictor(g, ws, s, i));
  g.node('Concat', preds.map((p) => p.box), { axis: 1 }, 'boxes');
  const logits = g.node('Concat', preds.map((p) => p.cls), { axis: 1 });
  const face = g.node('Slice', [logits, g.int64('cls_start', [1]), g.int64('cls_end', [2]), g.int64('cls_axis', [2])]);
  const sq = g.node('Squeeze', [face, g.int64('sq_axis', [2])]);
  g.node('Sigmoid', [sq], {}, 'scores');
  g.output('boxes', ['N', 'A', 4]);
  g.output('scores', ['N', 'A']);
  const anchors = ws.get('Output/extra_dim');
  return { onnx: g.build(), anchors: Float32Array.from(anchors.data) };
}
