/**
 * A face model in facelens = an ONNX graph + the metadata needed to feed it and to read it.
 * Both engines (ONNX Runtime for speed, TF.js for gradients) run the same `onnx` bytes.
 */
import { UserError } from '../core/errors.js';

/** What a probe layer is, in the paper's vocabulary (pool1..pool5 are spatial, fc7 is a vector). */
export type ProbeKind = 'conv' | 'pool' | 'fc' | 'embedding';

/**
 * Receptive field of one cell of a spatial map, in input pixel indices (pixel k spans [k, k+1)).
 * Cell (row i, column j) is centred on input pixel (offset + i * stride) vertically and
 * (offset + j * stride) horizontally, and sees the inclusive box centre +- (size - 1) / 2
 * (before clipping to the image; padding makes boxes of border cells extend outside it).
 */
export interface ReceptiveField {
  size: number;
  stride: number;
  offset: number;
}

export interface ProbeLayer {
  /** User-facing name, e.g. `pool1`, `stage3`, `embedding`. */
  name: string;
  /** Name of the ONNX tensor (a graph output of `FaceModel.onnx`). */
  tensor: string;
  kind: ProbeKind;
  /** Per-image shape: [C, H, W] for spatial layers, [D] for vectors. */
  shape: number[];
  /** Present for spatial layers. */
  rf?: ReceptiveField;
  /** Free-text note shown by `facelens models`. */
  note?: string;
}

/** How an RGB 0..255 image becomes the model's input tensor: x' = (x - mean) / std, then channel order. */
export interface Preprocessing {
  /** Per channel in RGB order, on the 0..255 scale. */
  mean: [number, number, number];
  /** Per channel in RGB order, on the 0..255 scale (255 = divide by 255). */
  std: [number, number, number];
  /** Channel order the network expects. */
  channelOrder: 'RGB' | 'BGR';
  /** Tensor layout of the ONNX input. */
  layout: 'NCHW';
}

/**
 * Where canonical landmarks sit in the model's input crop: the face aligner maps the detected
 * points onto these with a least-squares similarity transform.
 * With `landmarks` (0-based iBUG-68 indices, one per template point) the template points are
 * those landmarks. Without it, the points are the classic five: left eye centre, right eye
 * centre, nose tip, left mouth corner, right mouth corner ("left" = image left).
 * Coordinates are in pixels of a `size` x `size` crop (pixel centres at i + 0.5).
 */
export interface AlignmentTemplate {
  name: string;
  size: number;
  points: [number, number][];
  landmarks?: number[];
  /** Where the geometry comes from. */
  source?: string;
}

export interface FaceModel {
  name: string;
  description: string;
  /** Input spatial size (square models use width = height). */
  inputSize: { width: number; height: number };
  /** Name of the ONNX graph input. */
  inputName: string;
  preprocessing: Preprocessing;
  probes: ProbeLayer[];
  /** Serialized ONNX ModelProto; every probe tensor is a graph output. */
  onnx: Uint8Array;
  alignment: AlignmentTemplate;
  /**
   * How `loadModel` loaded it (paths absolute), so a later command (the atlas of a sweep, say)
   * can load the same model again from what a result file recorded.
   */
  spec?: ModelSpec;
}

export interface ModelSpec {
  model: string;
  weights?: string;
  config?: string;
  probes?: Record<string, string>;
}

export function findProbe(model: FaceModel, name: string): ProbeLayer {
  const p = model.probes.find((q) => q.name === name);
  if (!p) {
    throw new UserError(
      `model ${model.name} has no probe layer "${name}"; available: ${model.probes.map((q) => q.name).join(', ')}`,
    );
  }
  return p;
}

/** Resolves a user's `--layers` list ("all" or comma separated) to probe layers. */
export function selectProbes(model: FaceModel, spec: string | string[] | undefined): ProbeLayer[] {
  if (spec === undefined || spec === 'all' || (Array.isArray(spec) && spec.length === 0)) return model.probes;
  // An empty list is an error, not "no layer" (ONNX Runtime would fail with no fetches); a layer
  // named twice is kept once, so no sweep or table holds a duplicated column.
  const names = Array.isArray(spec) ? spec : spec.split(',').map((s) => s.trim());
  if (names.length === 0 || names.every((n) => n === '')) throw new UserError(`--layers is empty; give comma-separated probe layers or "all" (${model.name} has ${model.probes.map((p) => p.name).join(', ')})`);
  if (names.some((n) => n === '')) throw new UserError(`--layers "${names.join(',')}" has an empty entry`);
  return [...new Set(names)].map((n) => findProbe(model, n));
}
