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
}
