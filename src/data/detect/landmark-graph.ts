/**
 * face-api's 68-point landmark net (face_landmark_68_model) as an ONNX graph, from the weights
 * that ship in @vladmandic/face-api. Architecture as face-api runs it (facts from its source):
 *   input 112x112 RGB, (rgb - [122.782, 117.001, 104.298]) / 255       (done by the caller)
 *   4 dense blocks (32, 64, 128, 256 channels), each halving the resolution:
 *     out1 = relu(conv0(x))     conv0: 3x3/2 conv in block 0, depthwise-separable 3x3/2 after
 *     out2 = sep1(out1); out3 = sep2(relu(out1 + out2)); out4 = sep3(relu(out1 + out2 + out3))
 *     y = relu(out1 + out2 + out3 + out4)          sep = depthwise 3x3 -> 1x1 conv + bias
 *   avg pool 7x7/2 valid (7x7 -> 1x1), fully connected 256 -> 136
 * Output `landmarks` [N, 136]: x0 y0 x1 y1 ..., fractions of the 112 square.
 */
import path from 'node:path';
import { GraphBuilder } from '../../engine/onnx/builder.js';
import { readTfjsWeights } from '../../models/tfjs-weights.js';
import { convSame, depthwiseSame, WeightSource } from '../../models/tf-conv.js';

export const LANDMARK_INPUT_SIZE = 112;
export const LANDMARK_MEAN_RGB: [number, number, number] = [122.782, 117.001, 104.298];

function separable(g: GraphBuilder, ws: WeightSource, x: string, prefix: string, stride: number): string {
  const d = depthwiseSame(g, x, `${prefix}/dw`, ws.get(`${prefix}/depthwise_filter`), stride);
  return convSame(g, d, `${prefix}/pw`, ws.get(`${prefix}/pointwise_filter`), ws.get(`${prefix}/bias`).data, 1);
}

function denseBlock(g: GraphBuilder, ws: WeightSource, x: string, prefix: string, first: boolean): string {
  const c0 = first
    ? convSame(g, x, `${prefix}/conv0`, ws.get(`${prefix}/conv0/filters`), ws.get(`${prefix}/conv0/bias`).data, 2)
    : separable(g, ws, x, `${prefix}/conv0`, 2);
  const out1 = g.node('Relu', [c0]);
  const out2 = separable(g, ws, out1, `${prefix}/conv1`, 1);
  const s12 = g.node('Add', [out1, out2]);
  const out3 = separable(g, ws, g.node('Relu', [s12]), `${prefix}/conv2`, 1);
  const s123 = g.node('Add', [s12, out3]);
  const out4 = separable(g, ws, g.node('Relu', [s123]), `${prefix}/conv3`, 1);
  return g.node('Relu', [g.node('Add', [s123, out4])]);
}

export async function buildLandmarkGraph(modelDir: string): Promise<Uint8Array> {
  const weights = await readTfjsWeights(path.join(modelDir, 'face_landmark_68_model-weights_manifest.json'));
  const ws = new WeightSource('face_landmark_68', weights);
  const g = new GraphBuilder('faceapi-landmark68');
  let x = g.input('input', ['N', 3, LANDMARK_INPUT_SIZE, LANDMARK_INPUT_SIZE]);
  for (let i = 0; i < 4; i++) x = denseBlock(g, ws, x, `dense${i}`, i === 0);
  x = g.node('AveragePool', [x], { kernel_shape: [7, 7], strides: [2, 2] });
  x = g.node('Flatten', [x], { axis: 1 });
  const fc = ws.get('fc/weights');
  const y = g.node('MatMul', [x, g.weight('fc/W', fc.shape, fc.data)]);
  g.node('Add', [y, g.weight('fc/B', [136], ws.get('fc/bias').data)], {}, 'landmarks');
  g.output('landmarks', ['N', 136]);
  return g.build();
}
