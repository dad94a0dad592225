/**
 * Projections of one neuron back to pixel space (paper experiment 2; Zeiler & Fergus 2014).
 *
 * For each face: forward pass to the probe layer; the upstream signal is zero everywhere in the
 * layer except the chosen channel at the chosen cell, which keeps its forward value (vector
 * layers: the one-hot of the unit, scaled by its value); that signal is propagated back to the
 * input with TfGraph's relu rule (`deconv` = relu on the backward signal with max-pool switches
 * and transposed convolutions, `guided`, or the plain `gradient`). Residual adds pass the signal
 * down both branches, folded scale/batch-norm layers multiply by their scale: that is simply
 * what the backward pass of the graph does.
 *
 * The result per face is a [3 x H x W] float map in the model's input space (the space of
 * `toInputBatch`'s output, i.e. after mean/std normalisation), with its channels in RGB order
 * whatever order the network consumes (BGR models are turned back to RGB).
 *
 * One forward + one backward pass per batch of up to `batch` (default 8) faces: the forward
 * values, and optionally other tensors (`capture`, e.g. the layout input of layout.ts), are
 * read from the very forward pass whose switches the backward pass uses.
 *
 * Engines: by default a GradientEngine (ort/grad-engine.ts: an ONNX Runtime backward graph, or
 * TfGraph + tf.grad when the graph has an op it does not cover); `prefer: 'tfjs'` with a `graph`
 * runs TfGraph directly, and a caller may pass its own `engine` (made for this probe tensor,
 * mode and capture list) to share it between calls.
 */
import type { RgbImage } from '../../data/image.js';
import { createGradientEngine, type GradientEngine } from '../../engine/ort/grad-engine.js';
import { initTf, tf } from '../../engine/tfjs/backend.js';
import type { TfGraph } from '../../engine/tfjs/graph.js';
import { findProbe, type FaceModel, type ProbeLayer } from '../../models/face-model.js';
import { toInputBatch } from '../../models/preprocess.js';

import { PROJECTION_MODES, type ProjectionMode } from '../../results/neuron-atlas.js';
import { DEFAULT_BATCH } from '../../engine/ort/batch-runner.js';
export { PROJECTION_MODES, type ProjectionMode };

export interface ProjectOptions {
  /** TfGraph of `model` (used with prefer: 'tfjs'; optional otherwise). */
  graph?: TfGraph;
  /** A gradient engine for (probe tensor, mode, capture) of `model`; the caller releases it. */
  engine?: GradientEngine;
  /** Without `engine`: the backend to try first (default 'onnxruntime'). */
  prefer?: 'onnxruntime' | 'tfjs';
  model: FaceModel;
  /** Probe layer name. */
  layer: string;
  /** Channel (spatial layers) or unit (vector layers). */
  neuron: number;
  /** Aligned crops of the model's input size. */
  faces: RgbImage[];
  /** Flat cell h * W + w per face (spatial layers; ignored for vector layers). */
  cells: number[];
  mode: ProjectionMode;
  /** Faces per forward/backward pass (default 8). */
  batch?: number;
  /** Other graph tensors to read from the same forward pass (per face, flattened). */
  capture?: string[];
}

export interface ProjectionResult {
  /** Per face: [3 x H x W] input-space map, RGB order. */
  maps: Float32Array[];
  /** Per face: the neuron's forward value at its cell (TfGraph's own forward pass). */
  values: number[];
  /** Per captured tensor name: per face, the tensor's values for that face (flattened). */
  captured: Record<string, Float32Array[]>;
  /** Per captured tensor name: per-face shape. */
  capturedShapes: Record<string, number[]>;
}

function checkCell(probe: ProbeLayer, cell: number, k: number): void {
  const cells = probe.shape.length === 3 ? probe.shape[1] * probe.shape[2] : 1;
  if (probe.shape.length === 3 && !(Number.isInteger(cell) && cell >= 0 && cell < cells)) {
    throw new RangeError(`project: face ${k}: cell ${cell} outside ${probe.name}'s ${probe.shape[1]}x${probe.shape[2]} map`);
  }
}

interface Checked {
  probe: ProbeLayer;
  spatial: boolean;
  capture: string[];
  batch: number;
  perLayer: number;
  cellsPerMap: number;
}

function checkOptions(opts: ProjectOptions): Checked {
  const { model, neuron, faces, cells } = opts;
  const probe = findProbe(model, opts.layer);
  const spatial = probe.shape.length === 3;
  const channels = probe.shape[0];
  if (!(Number.isInteger(neuron) && neuron >= 0 && neuron < channels)) {
    throw new RangeError(`project: neuron ${neuron} outside ${probe.name}'s 0..${channels - 1}`);
  }
  if (spatial && cells.length !== faces.length) throw new Error(`project: ${faces.length} faces but ${cells.length} cells`);
  faces.forEach((_, k) => spatial && checkCell(probe, cells[k], k));
  return {
    probe,
    spatial,
    capture: [...new Set(opts.capture ?? [])].filter((c) => c !== probe.tensor),
    batch: Math.max(1, opts.batch ?? DEFAULT_BATCH),
    perLayer: probe.shape.reduce((a, b) => a * b, 1),
    cellsPerMap: spatial ? probe.shape[1] * probe.shape[2] : 1,
  };
}

/** Appends per-face RGB maps from a batch gradient (model input order). */
function pushMaps(out: ProjectionResult, model: FaceModel, g: Float32Array, b: number): void {
  const plane = model.inputSize.width * model.inputSize.height;
  const bgr = model.preprocessing.channelOrder === 'BGR';
  for (let k = 0; k < b; k++) {
    const m = new Float32Array(3 * plane);
    for (let c = 0; c < 3; c++) {
      const src = bgr ? 2 - c : c;
      m.set(g.subarray((k * 3 + src) * plane, (k * 3 + src + 1) * plane), c * plane);
    }
    out.maps.push(m);
  }
}

/** Projections (and forward values / captured tensors) of one neuron on a list of faces. */
export async function projectDetailed(opts: ProjectOptions): Promise<ProjectionResult> {
  const ck = checkOptions(opts);
  if (!opts.engine && opts.prefer === 'tfjs' && opts.graph) return projectTfGraph(opts, opts.graph, ck);
  const { model, neuron, faces, cells, mode } = opts;
  const { probe, spatial, capture, batch, perLayer, cellsPerMap } = ck;
  const engine = opts.engine ?? (await createGradientEngine(model, { output: probe.tensor, rule: mode, capture, prefer: opts.prefer }));
  const out: ProjectionResult = { maps: [], values: [], captured: {}, capturedShapes: {} };
  for (const c of capture) out.captured[c] = [];
  try {
    for (let start = 0; start < faces.length; start += batch) {
      const chunk = faces.slice(start, start + batch);
      const b = chunk.length;
      const input = toInputBatch(model, chunk);
      const offsets = chunk.map((_, k) => k * perLayer + neuron * cellsPerMap + (spatial ? cells[start + k] : 0));
      // Upstream: zero except the neuron at its cell, where it keeps its forward value.
      const mask = new Float32Array(b * perLayer);
      for (const o of offsets) mask[o] = 1;
      const r = await engine.vjp(input, b, { kind: 'value-mask', mask });
      for (const o of offsets) out.values.push(r.value[o]);
      for (const c of capture) {
        const t = r.captured[c];
        const per = t.data.length / b;
        out.capturedShapes[c] = t.dims.slice(1);
        for (let k = 0; k < b; k++) out.captured[c].push(t.data.slice(k * per, (k + 1) * per));
      }
      pushMaps(out, model, r.grad, b);
    }
  } finally {
    if (!opts.engine) await engine.release();
  }
  return out;
}

/** The TfGraph + tf.grad path. */
async function projectTfGraph(opts: ProjectOptions, graph: TfGraph, ck: Checked): Promise<ProjectionResult> {
  await initTf();
  const { model, neuron, faces, cells, mode } = opts;
  const { probe, spatial, capture, batch, perLayer, cellsPerMap } = ck;
  if (graph.inputNames.length !== 1) throw new Error(`project: the graph has ${graph.inputNames.length} inputs, expected 1`);
  const inputName = graph.inputNames[0];
  const { width, height } = model.inputSize;

  const out: ProjectionResult = { maps: [], values: [], captured: {}, capturedShapes: {} };
  for (const c of capture) out.captured[c] = [];
  for (let start = 0; start < faces.length; start += batch) {
    const chunk = faces.slice(start, start + batch);
    const b = chunk.length;
    const input = toInputBatch(model, chunk);
    const offsets = chunk.map((_, k) => k * perLayer + neuron * cellsPerMap + (spatial ? cells[start + k] : 0));
    const values = new Array<number>(b).fill(0);
    const grad = tf.tidy(() => {
      const x = tf.tensor4d(input, [b, 3, height, width]);
      const f = (xv: tf.Tensor): tf.Scalar => {
        const r = graph.run({ [inputName]: xv }, [probe.tensor, ...capture], { reluRule: mode });
        const y = r[probe.tensor];
        const yv = y.dataSync();
        // Upstream: zero except the neuron at its cell, where it keeps its forward value.
        const up = new Float32Array(b * perLayer);
        offsets.forEach((o, k) => {
          values[k] = yv[o];
          up[o] = yv[o];
        });
        for (const c of capture) {
          const t = r[c];
          const per = t.size / b;
          out.capturedShapes[c] = t.shape.slice(1);
          const data = t.dataSync() as Float32Array;
          for (let k = 0; k < b; k++) out.captured[c].push(data.slice(k * per, (k + 1) * per));
        }
        return tf.sum(tf.mul(y, tf.tensor(up, y.shape)));
      };
      return tf.grad(f)(x);
    });
    const g = grad.dataSync() as Float32Array;
    grad.dispose();
    pushMaps(out, model, g, b);
    out.values.push(...values);
  }
  return out;
}

/** Per face the [3 x H x W] input-space projection map (RGB order) of one neuron. */
export async function project(opts: ProjectOptions): Promise<Float32Array[]> {
  return (await projectDetailed({ ...opts, capture: [] })).maps;
}
