/**
 * The explorer's index of a results directory (GET /api/index.json), shared by the server that
 * builds it and the browser client that reads it. Every path is relative to the results root,
 * '/'-separated, and served under /files/.
 */
export const INDEX_FORMAT = 'facelens-explorer-index/1';

/** One atlas of a neuron in one projection mode. */
export interface NeuronModeEntry {
  mode: string;
  /** neuron-K.json */
  json: string;
  /** neuron-K.png, the mosaic */
  png: string;
}

export interface NeuronEntry {
  neuron: number;
  /** The layer's main mode first (atlas/<layer>/), then atlas/<layer>/<mode>/ folders. */
  modes: NeuronModeEntry[];
  /** The rank-1 sample and its cell on the mosaic grid (for the thumbnail). */
  top?: { id: string; value: number; col: number; row: number };
  grid?: { cols: number; rows: number };
  /** First activation-maximisation image registered for this neuron. */
  am?: string;
}

export interface LayerEntry {
  name: string;
  /** The layer is in the sweep: every one of its neurons has a page. */
  swept?: { channels: number; spatial: boolean; rf?: number };
  atlas?: { dir: string; summary?: string; modes: string[]; neurons: NeuronEntry[] };
  similarity?: { dir: string; summary: string; heatmap?: string; matrix?: string };
  maximize?: { dir: string; images: string[] };
}

/** A probe folder (invariance, correspondence, verify, pose): its charts, tables and summary. */
export interface ProbeEntry {
  name: string;
  dir: string;
  images: string[];
  tables: string[];
  summary?: string;
}

export interface ResultsIndex {
  format: typeof INDEX_FORMAT;
  /** The results folder's name. */
  name: string;
  /** index.html of the HTML report, when present. */
  report?: string;
  run?: string;
  sweep?: string;
  layers: LayerEntry[];
  probes: ProbeEntry[];
  /** explain/summary.json of a `facelens explain --out RESULTS/explain` run (schema: ./explain.ts). */
  explain?: string;
}

/** GET /api/sweep/layers: the swept layers (every neuron of these has a page). */
export interface SweepLayersResponse {
  model: string;
  input: { width: number; height: number };
  items: number;
  /** False when the swept images are the aligned crops themselves (boxes can be drawn on them). */
  detect: boolean;
  layers: { name: string; channels: number; spatial: boolean; shape: number[]; rf?: number }[];
}

export interface NeuronStats {
  neuron: number;
  mean: number;
  variance: number;
  max: number;
  min: number;
  /** (max - mean) / (|max| + |mean|). */
  selectivity: number;
}

/** GET /api/sweep/layer/<L>. */
export interface LayerStatsResponse {
  layer: string;
  images: number;
  channels: number;
  neurons: NeuronStats[];
}

/** GET /api/sweep/neuron/<L>/<k>. */
export interface NeuronSweepResponse {
  layer: string;
  neuron: number;
  channels: number;
  images: number;
  input: { width: number; height: number };
  /** The argmax boxes are in the swept image's own pixels (no detection between file and model). */
  boxesOnImage: boolean;
  stats: NeuronStats;
  rank: { variance: number };
  histogram: { lo: number; hi: number; counts: number[] };
  top: { rank: number; row: number; id: string; identity?: string; value: number; box?: { x0: number; y0: number; x1: number; y1: number } }[];
}

/** GET /api/sweep/face/<row>: per swept layer, the neurons most active on one image. */
export interface FaceSweepResponse {
  row: number;
  /** The ranking: the projection value, or the value relative to the neuron's max over the sweep. */
  by: 'value' | 'relative';
  id: string;
  identity?: string;
  images: number;
  input: { width: number; height: number };
  prev?: number;
  next?: number;
  layers: {
    layer: string;
    channels: number;
    spatial: boolean;
    /** Highest projection value first. */
    neurons: {
      neuron: number;
      value: number;
      /** The neuron's max over all swept images. */
      max: number;
      /** This image's rank among the swept images for this neuron (1 = its best image). */
      rank: number;
      cell?: number;
      /** RF box of the argmax cell, aligned-crop pixels. */
      box?: { x0: number; y0: number; x1: number; y1: number };
    }[];
  }[];
}
