/**
 * Flattened probe-layer features of a set of faces, held in memory (one FeatureMatrix per layer),
 * for the analyses that compare whole feature vectors (verification, pose kNN, invariance,
 * correspondence). Optionally adds the horizontally mirrored face's features, concatenated
 * (insightface's evaluator does the same with embeddings).
 */
import type { RgbImage } from '../data/image.js';
import { runBatches, DEFAULT_BATCH } from '../engine/ort/batch-runner.js';
import { OrtEngine } from '../engine/ort/engine.js';
import type { FaceModel, ProbeLayer } from '../models/face-model.js';
import type { FeatureMatrix } from './metrics/matrix.js';

export function mirror(img: RgbImage): RgbImage {
  const out = new Uint8Array(img.data.length);
  const { width: w, height: h } = img;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const s = (y * w + x) * 3;
      const d = (y * w + (w - 1 - x)) * 3;
      out[d] = img.data[s];
      out[d + 1] = img.data[s + 1];
      out[d + 2] = img.data[s + 2];
    }
  }
  return { width: w, height: h, data: out };
}

export interface FeatureOptions {
  flip?: boolean;
  batch?: number;
  engine?: OrtEngine;
  onProgress?: (done: number) => void;
}

export async function layerFeatures(
  model: FaceModel,
  faces: RgbImage[],
  layers: ProbeLayer[],
  opts: FeatureOptions = {},
): Promise<Map<string, FeatureMatrix>> {
  const engine = opts.engine ?? (await OrtEngine.create(model));
  const copies = opts.flip ? 2 : 1;
  const out = new Map<string, FeatureMatrix>();
  for (const l of layers) {
    const d = l.shape.reduce((a, b) => a * b, 1);
    out.set(l.name, { data: new Float32Array(faces.length * d * copies), rows: faces.length, cols: d * copies });
  }
  const records = faces.flatMap((face, row) =>
    opts.flip ? [{ face, row, copy: 0 }, { face: mirror(face), row, copy: 1 }] : [{ face, row, copy: 0 }],
  );
  let done = 0;
  await runBatches(engine, records, layers.map((l) => l.name), opts.batch ?? DEFAULT_BATCH, (batch, res) => {
    for (const l of layers) {
      const m = out.get(l.name)!;
      const d = m.cols / copies;
      const t = res[l.name].data;
      batch.forEach((r, i) => m.data.set(t.subarray(i * d, (i + 1) * d), r.row * m.cols + r.copy * d));
    }
    done += batch.length;
    opts.onProgress?.(done / copies);
  });
  if (!opts.engine) await engine.release();
  return out;
}
