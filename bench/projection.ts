/**
 * Cost of one neuron projection (atlas, src/analyses/atlas/projection.ts) relative to one
 * forward pass of the same image on the same engine (TfGraph, TF.js WASM). Issue target: a
 * projection costs <= 2x the forward pass.
 *
 * Timed, interleaved round by round so background load hits both alike:
 *   forward_layer: TfGraph.run to the probe layer (the forward part of a projection), read back
 *   forward_full:  TfGraph.run to the model's last probe (embedding), read back
 *   projection:    projectDetailed() on the one face: forward to the layer + backward to the
 *                  input with the mode's relu rule, read back
 * Ratios use the fastest run of each (least disturbed by other processes) and the medians.
 *
 *   npx tsx bench/projection.ts [layer] [mode]      prints the JSON result
 */
import { pathToFileURL } from 'node:url';
import { projectDetailed, type ProjectionMode } from '../src/analyses/atlas/projection.js';
import { rgbImage, type RgbImage } from '../src/data/image.js';
import { initTf, tf } from '../src/engine/tfjs/backend.js';
import { TfGraph } from '../src/engine/tfjs/graph.js';
import { findProbe, type FaceModel } from '../src/models/face-model.js';
import { loadDlibResnet } from '../src/models/builtin/dlib-resnet.js';
import { toInputBatch } from '../src/models/preprocess.js';
import { minMedian } from './measure.js';

export interface ProjectionBenchOptions {
  model?: FaceModel;
  layer?: string;
  /** Default: the channel with the largest spatial max on the image. */
  neuron?: number;
  mode?: ProjectionMode;
  /** Timed rounds (each: one run of every variant). Default 7. */
  rounds?: number;
  /** Default: seeded random pixels. */
  face?: RgbImage;
}

export interface ProjectionBenchResult {
  model: string;
  layer: string;
  neuron: number;
  mode: ProjectionMode;
  engine: string;
  rounds: number;
  forward_layer_ms: { min: number; median: number };
  forward_full_ms: { min: number; median: number };
  projection_ms: { min: number; median: number };
  /** projection / forward to the layer (fastest runs; medians). */
  ratio: { min: number; median: number };
  /** projection / full forward pass (fastest runs; medians). */
  ratio_full: { min: number; median: number };
  target: string;
}

function randomFace(model: FaceModel, seed = 1): RgbImage {
  const { width, height } = model.inputSize;
  let a = seed >>> 0;
  const d = new Uint8Array(width * height * 3);
  for (let i = 0; i < d.length; i++) {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    d[i] = a >>> 24;
  }
  return rgbImage(width, height, d);
}

export async function benchProjection(opts: ProjectionBenchOptions = {}): Promise<ProjectionBenchResult> {
  await initTf();
  const model = opts.model ?? (await loadDlibResnet());
  const layer = opts.layer ?? 'res64';
  const mode = opts.mode ?? 'deconv';
  const rounds = opts.rounds ?? 7;
  const probe = findProbe(model, layer);
  const last = model.probes[model.probes.length - 1];
  const face = opts.face ?? randomFace(model);
  const { width, height } = model.inputSize;
  const graph = await TfGraph.fromOnnx(model.onnx);
  try {
    const input = toInputBatch(model, [face]);
    const forward = (tensor: string): Float32Array =>
      tf.tidy(() => graph.run({ [graph.inputNames[0]]: tf.tensor4d(input, [1, 3, height, width]) }, [tensor])[tensor].dataSync() as Float32Array);
    // Neuron and cell: the most active channel at its argmax (a non-trivial projection).
    const y = forward(probe.tensor);
    const channels = probe.shape[0];
    const cellsPer = probe.shape.length === 3 ? probe.shape[1] * probe.shape[2] : 1;
    let neuron = opts.neuron ?? -1;
    let cell = 0;
    let best = -Infinity;
    for (let c = 0; c < channels; c++) {
      if (opts.neuron !== undefined && c !== opts.neuron) continue;
      for (let k = 0; k < cellsPer; k++) {
        const v = y[c * cellsPer + k];
        if (v > best) (best = v), (neuron = c), (cell = k);
      }
    }
    const project = () => projectDetailed({ graph, model, layer, neuron, faces: [face], cells: [cell], mode, batch: 1 });
    // warm-up (kernels, cached constants, plans)
    forward(probe.tensor);
    forward(last.tensor);
    await project();
    const tl: number[] = [];
    const tf_: number[] = [];
    const tp: number[] = [];
    for (let r = 0; r < rounds; r++) {
      let t = performance.now();
      forward(probe.tensor);
      tl.push(performance.now() - t);
      t = performance.now();
      forward(last.tensor);
      tf_.push(performance.now() - t);
      t = performance.now();
      await project();
      tp.push(performance.now() - t);
    }
    const [l, f, p] = [minMedian(tl), minMedian(tf_), minMedian(tp)];
    return {
      model: model.name,
      layer,
      neuron,
      mode,
      engine: `TfGraph on TF.js ${tf.getBackend()}`,
      rounds,
      forward_layer_ms: l,
      forward_full_ms: f,
      projection_ms: p,
      ratio: { min: p.min / l.min, median: p.median / l.median },
      ratio_full: { min: p.min / f.min, median: p.median / f.median },
      target: 'projection <= 2x forward pass (issue 3)',
    };
  } finally {
    graph.dispose();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [layer, mode] = process.argv.slice(2);
  const r = await benchProjection({ layer, mode: mode as ProjectionMode | undefined });
  process.stdout.write(JSON.stringify(r, null, 2) + '\n');
}
