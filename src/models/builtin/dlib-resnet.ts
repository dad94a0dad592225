/**
 * Built-in model `dlib-resnet`: dlib's ResNet-34-like face recogniser (29 conv layers, 150x150
 * input, 128-d embedding) with the weights that ship in `@vladmandic/face-api`. The ONNX graph
 * is built here from those weights, following the network as face-api runs it:
 *   x = (rgb - mean) / 255
 *   conv 7x7/2 valid (32) -> scale -> relu -> maxpool 3x3/2 valid                     [pool1]
 *   3 x residual(32) [res32], residual_down(64) + 3 x residual [res64],
 *   residual_down(128) + 2 x residual [res128], residual_down(256) + 2 x residual [res256],
 *   residual_down(256) [res256_down] -> global average pool [gap] -> fc 256x128 [embedding]
 * residual: relu(x + scale(conv(relu(scale(conv(x)))))), 3x3 same convs;
 * residual_down: the first conv is 3x3/2 valid, the shortcut is avgpool 2x2/2 with zero channels
 * appended, and when the conv branch comes out one cell smaller it is zero-padded at the end
 * (bottom row / right column).
 * Each "scale" (per-channel affine, dlib's affine layer) is folded into its conv: w*s, b*s + t.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { GraphBuilder } from '../../engine/onnx/builder.js';
import type { FaceModel, ProbeKind, ProbeLayer } from '../face-model.js';
import { receptiveFields } from '../receptive-field.js';
import { DLIB_150_TEMPLATE } from '../templates.js';
import { readTfjsWeights, type NamedWeight } from '../tfjs-weights.js';
import { convFilter } from '../tf-conv.js';

export const DLIB_RESNET_MEAN_RGB: [number, number, number] = [122.782, 117.001, 104.298];

export function faceApiModelDir(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
}

class DlibGraph {
  readonly g = new GraphBuilder('dlib-resnet');
  constructor(private readonly weights: Map<string, NamedWeight>) {}

  private w(name: string): NamedWeight {
    const v = this.weights.get(name);
    if (!v) throw new Error(`dlib-resnet: weight ${name} missing from face-api's manifest`);
    return v;
  }

  /** conv + bias, then the per-channel affine "scale" folded in; optional relu. */
  conv(x: string, prefix: string, stride: number, pad: 'same' | 'valid', relu: boolean, out?: string): string {
    const filters = this.w(`${prefix}/conv/filters`);
    const bias = this.w(`${prefix}/conv/bias`).data;
    const s = this.w(`${prefix}/scale/weights`).data;
    const t = this.w(`${prefix}/scale/biases`).data;
    const [kh, kw, ci, co] = filters.shape;
    const W = this.g.weight(`${prefix}/W`, [co, ci, kh, kw], convFilter(filters, s));
    const B = this.g.weight(`${prefix}/B`, [co], bias.map((b, o) => b * s[o] + t[o]));
    const p = pad === 'same' ? (kh - 1) / 2 : 0;
    const y = this.g.node('Conv', [x, W, B], { kernel_shape: [kh, kw], strides: [stride, stride], pads: [p, p, p, p] }, relu ? undefined : out);
    return relu ? this.g.node('Relu', [y], {}, out) : y;
  }

  residual(x: string, prefix: string, out?: string): string {
    const a = this.conv(x, `${prefix}/conv1`, 1, 'same', true);
    const b = this.conv(a, `${prefix}/conv2`, 1, 'same', false);
    return this.g.node('Relu', [this.g.node('Add', [b, x])], {}, out);
  }

  /** size = spatial size of x, cin/cout channels. */
  residualDown(x: string, prefix: string, size: number, cin: number, cout: number, out?: string): string {
    const a = this.conv(x, `${prefix}/conv1`, 2, 'valid', true);
    let b = this.conv(a, `${prefix}/conv2`, 1, 'same', false);
    const convSize = Math.floor((size - 3) / 2) + 1;
    const poolSize = Math.floor(size / 2);
    if (convSize !== poolSize) {
      const d = poolSize - convSize;
      b = this.g.node('Pad', [b, this.g.int64(this.g.fresh('pads'), [0, 0, 0, 0, 0, 0, d, d])]);
    }
    let pooled = this.g.node('AveragePool', [x], { kernel_shape: [2, 2], strides: [2, 2] });
    if (cout !== cin) {
      pooled = this.g.node('Pad', [pooled, this.g.int64(this.g.fresh('pads'), [0, 0, 0, 0, 0, cout - cin, 0, 0])]);
    }
    return this.g.node('Relu', [this.g.node('Add', [b, pooled])], {}, out);
  }
}

interface ProbeSpec {
  name: string;
  kind: ProbeKind;
  shape: number[];
  note: string;
}

const PROBES: ProbeSpec[] = [
  { name: 'pool1', kind: 'pool', shape: [32, 35, 35], note: 'stem conv 7x7/2 + max-pool 3x3/2' },
  { name: 'res32', kind: 'conv', shape: [32, 35, 35], note: 'end of the 32-channel stage (3 residual blocks)' },
  { name: 'res64', kind: 'conv', shape: [64, 17, 17], note: 'end of the 64-channel stage (4 blocks)' },
  { name: 'res128', kind: 'conv', shape: [128, 8, 8], note: 'end of the 128-channel stage (3 blocks)' },
  { name: 'res256', kind: 'conv', shape: [256, 4, 4], note: 'end of the 256-channel stage (3 blocks)' },
  { name: 'res256_down', kind: 'conv', shape: [256, 2, 2], note: 'last down-sampling residual block' },
  { name: 'gap', kind: 'fc', shape: [256], note: 'global average pool' },
  { name: 'embedding', kind: 'embedding', shape: [128], note: 'face descriptor (fc 256 -> 128)' },
];

export async function buildDlibResnetOnnx(modelDir = faceApiModelDir()): Promise<Uint8Array> {
  const weights = await readTfjsWeights(path.join(modelDir, 'face_recognition_model-weights_manifest.json'));
  const d = new DlibGraph(weights);
  const g = d.g;
  const x = g.input('input', ['N', 3, 150, 150]);
  let y = d.conv(x, 'conv32_down', 2, 'valid', true);
  y = g.node('MaxPool', [y], { kernel_shape: [3, 3], strides: [2, 2] }, 'pool1');
  y = d.residual(y, 'conv32_1');
  y = d.residual(y, 'conv32_2');
  y = d.residual(y, 'conv32_3', 'res32');
  y = d.residualDown(y, 'conv64_down', 35, 32, 64);
  y = d.residual(y, 'conv64_1');
  y = d.residual(y, 'conv64_2');
  y = d.residual(y, 'conv64_3', 'res64');
  y = d.residualDown(y, 'conv128_down', 17, 64, 128);
  y = d.residual(y, 'conv128_1');
  y = d.residual(y, 'conv128_2', 'res128');
  y = d.residualDown(y, 'conv256_down', 8, 128, 256);
  y = d.residual(y, 'conv256_1');
  y = d.residual(y, 'conv256_2', 'res256');
  y = d.residualDown(y, 'conv256_down_out', 4, 256, 256, 'res256_down');
  y = g.node('GlobalAveragePool', [y]);
  y = g.node('Flatten', [y], { axis: 1 }, 'gap');
  const fc = weights.get('fc');
  if (!fc) throw new Error('dlib-resnet: weight fc missing');
  g.weight('fc/W', fc.shape, fc.data);
  g.node('MatMul', ['gap', 'fc/W'], {}, 'embedding');
  for (const p of PROBES) g.output(p.name, ['N', ...p.shape]);
  return g.build();
}

export async function loadDlibResnet(): Promise<FaceModel> {
  const onnx = await buildDlibResnetOnnx();
  const rf = receptiveFields(onnx, 'input');
  const probes: ProbeLayer[] = PROBES.map((p) => ({
    name: p.name,
    tensor: p.name,
    kind: p.kind,
    shape: p.shape,
    note: p.note,
    ...(p.shape.length === 3 ? { rf: rf.get(p.name) } : {}),
  }));
  return {
    name: 'dlib-resnet',
    description: "dlib's ResNet-34-like face recogniser (weights from @vladmandic/face-api), 150x150 RGB -> 128-d",
    inputSize: { width: 150, height: 150 },
    inputName: 'input',
    preprocessing: { mean: DLIB_RESNET_MEAN_RGB, std: [255, 255, 255], channelOrder: 'RGB', layout: 'NCHW' },
    probes,
    onnx,
    alignment: DLIB_150_TEMPLATE,
  };
}
