/**
 * The neuron atlas JSON (`atlas/<layer>/neuron-K.json`, format `facelens-atlas/1`): written by the
 * atlas, extended by `facelens maximize --atlas`, read by the report and the explorer.
 */
import type { ReluRule } from '../engine/tfjs/relu-rules.js';

export const ATLAS_FORMAT = 'facelens-atlas/1';

/** How a neuron's projections are made (deconvnet / guided backprop / plain gradient). */
export type ProjectionMode = ReluRule;

/** Every projection mode, in the order the atlas folders and the explorer list them. */
export const PROJECTION_MODES: readonly ProjectionMode[] = ['deconv', 'guided', 'gradient'];

/** Inclusive pixel box. */
export interface PixelBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export interface AtlasSample {
  rank: number;
  row: number;
  id: string;
  identity?: string;
  /** Projection value from the sweep (ONNX Runtime). */
  value: number;
  /** The same value recomputed by TfGraph in the projection's forward pass. */
  forwardValue: number;
  /** Flat argmax cell and its (row, col); absent for vector layers. */
  cell?: number;
  cellRowCol?: [number, number];
  /** RF box in aligned-crop pixels, inclusive, clipped (and unclipped). */
  rfBox?: PixelBox;
  rfBoxUnclipped?: PixelBox;
  tsne: [number, number];
  grid: { col: number; row: number };
}

export interface NeuronAtlas {
  format: typeof ATLAS_FORMAT;
  layer: string;
  neuron: number;
  mode: ProjectionMode;
  n: number;
  png: string;
  display: { lo: number; hi: number; rule: string };
  layout: { pcaDims: number; perplexity: number; kl: number; seed: number; grid: { cols: number; rows: number }; windowLength: number };
  /**
   * TfGraph's forward value vs the sweep's, per sample: equal up to float rounding unless the
   * re-aligned face differs from the swept one (dataset, aligner or detector changed since).
   */
  valueCheck: { maxAbsDiff: number; maxRelDiff: number; mismatched: string[] };
  /** The neurons of the layer most similar to this one (paper eq. 2 on the sweep table). */
  similar: { neuron: number; s: number }[];
  samples: AtlasSample[];
  /** Activation-maximisation images of this neuron (added by `facelens maximize --atlas`). */
  maximize?: AtlasMaximizeEntry[];
}

/** One AM result registered in a neuron's atlas JSON; paths relative to that JSON's folder. */
export interface AtlasMaximizeEntry {
  facet: number | null;
  init: string;
  image: string;
  strip: string;
  curve: string;
  summary: string;
  initialActivation: number;
  finalActivation: number;
  /** Index into the activation curve where the run plateaued (null: it reached the step cap; absent: older runs). */
  plateauStep?: number | null;
  /** Steps the run made. */
  steps?: number;
}
