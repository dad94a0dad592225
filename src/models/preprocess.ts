/** RGB 0..255 crops -> the model's NCHW float32 input batch, per its `Preprocessing`. */
import type { RgbImage } from '../data/image.js';
import type { FaceModel } from './face-model.js';

export function toInputBatch(model: FaceModel, faces: RgbImage[]): Float32Array {
  const { width, height } = model.inputSize;
  const { mean, std, channelOrder } = model.preprocessing;
  const plane = width * height;
  const out = new Float32Array(faces.length * 3 * plane);
  const order = channelOrder === 'RGB' ? [0, 1, 2] : [2, 1, 0];
  faces.forEach((img, b) => {
    if (img.width !== width || img.height !== height) {
      throw new Error(`model ${model.name} expects ${width}x${height} crops, got ${img.width}x${img.height}`);
    }
    for (let c = 0; c < 3; c++) {
      const src = order[c];
      const m = mean[src];
      const inv = 1 / std[src];
      const base = (b * 3 + c) * plane;
      for (let i = 0; i < plane; i++) out[base + i] = (img.data[i * 3 + src] - m) * inv;
    }
  });
  return out;
}
