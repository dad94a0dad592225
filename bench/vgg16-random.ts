/**
 * `vgg16-random`: the VGG-16 architecture of VGGFace (13 3x3 convs + fc6/fc7, 224x224 input) with
 * seeded random He-uniform weights, built with facelens' GraphBuilder. For the benchmark only:
 * it has the compute profile of the paper's model (30.7 GFLOP/image to pool5) without its weights.
 * Outputs: pool5 [512, 7, 7] and fc7 [4096] (after ReLU, as Caffe's in-place relu7 leaves it).
 */
import { GraphBuilder } from '../src/engine/onnx/builder.js';
import type { FaceModel } from '../src/models/face-model.js';
import { mulberry32 } from './measure.js';

function heUniform(rng: () => number, n: number, fanIn: number): Float32Array {
  const a = Math.sqrt(6 / fanIn);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (2 * rng() - 1) * a;
  return out;
}

function smallBias(rng: () => number, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (2 * rng() - 1) * 0.01;
  return out;
}

/** Channel plan: numbers are 3x3 conv widths, 'M' a 2x2/2 max-pool. */
const VGG16: (number | 'M')[] = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'];

export function buildVgg16RandomOnnx(seed = 16): Uint8Array {
  const rng = mulberry32(seed);
  const g = new GraphBuilder('vgg16-random');
  let y = g.input('input', ['N', 3, 224, 224]);
  let cin = 3;
  let block = 1;
  let layer = 1;
  for (const c of VGG16) {
    if (c === 'M') {
      y = g.node('MaxPool', [y], { kernel_shape: [2, 2], strides: [2, 2] }, `pool${block}`);
      block += 1;
      layer = 1;
      continue;
    }
    const name = `conv${block}_${layer}`;
    const W = g.weight(`${name}/W`, [c, cin, 3, 3], heUniform(rng, c * cin * 9, cin * 9));
    const B = g.weight(`${name}/B`, [c], smallBias(rng, c));
    y = g.node('Relu', [g.node('Conv', [y, W, B], { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] })]);
    cin = c;
    layer += 1;
  }
  y = g.node('Flatten', ['pool5'], { axis: 1 });
  let din = 512 * 7 * 7;
  for (const name of ['fc6', 'fc7']) {
    const W = g.weight(`${name}/W`, [4096, din], heUniform(rng, 4096 * din, din));
    const B = g.weight(`${name}/B`, [4096], smallBias(rng, 4096));
    y = g.node('Relu', [g.node('Gemm', [y, W, B], { transB: 1 })], {}, name);
    din = 4096;
  }
  g.output('pool5', ['N', 512, 7, 7]);
  g.output('fc7', ['N', 4096]);
  return g.build();
}

/** A FaceModel wrapper so that facelens' engines can run it (preprocessing as VGGFace's). */
export function loadVgg16Random(seed = 16): FaceModel {
  return {
    name: 'vgg16-random',
    description: 'VGG-16 (VGGFace architecture) with seeded random weights, 224x224 BGR -> fc7 (benchmark only)',
    inputSize: { width: 224, height: 224 },
    inputName: 'input',
    preprocessing: { mean: [129.1863, 104.7624, 93.594], std: [1, 1, 1], channelOrder: 'BGR', layout: 'NCHW' },
    probes: [
      { name: 'pool5', tensor: 'pool5', kind: 'pool', shape: [512, 7, 7] },
      { name: 'fc7', tensor: 'fc7', kind: 'fc', shape: [4096] },
    ],
    onnx: buildVgg16RandomOnnx(seed),
    alignment: { name: 'none', size: 224, points: [] },
  };
}
