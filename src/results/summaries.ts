/**
 * The schemas of the analyses' `summary.json` files, as the report and the explorer read them
 * back: every member a reader may use, optional because a results folder may hold a partial or an
 * older file. The writers (src/analyses/*) write through ./summary.ts (`writeSummary`); they add
 * more members (every parameter, timings, file paths) than readers rely on.
 */

export interface CorrespondenceCell {
  layer: string;
  delta_mean: number | null;
  delta_std: number | null;
  exclude_mean?: number | null;
  exclude_std?: number | null;
  zeroFraction?: number | null;
}

export interface CorrespondenceSummary {
  parameters?: { model?: string; layers?: string[]; maskShape?: string; fill?: string; randomMasks?: { draws?: number; seed?: string; placement?: string }; delta?: string; signZeroRule?: { main?: string; mainMeaning?: string; alsoReported?: string } };
  images?: string[];
  rows?: { mask: string; layers: CorrespondenceCell[] }[];
}

export interface VerifySummary {
  parameters?: { model?: string; dataset?: { kind?: string; root?: string; pairs?: number; folds?: number }; similarity?: string; flip?: unknown; protocol?: string };
  layers?: { layer: string; dims: number; accuracy_mean: number; accuracy_std: number; auc: number; 'tar_at_far_1e-3': number }[];
  pairs?: { used: number; dropped: number; folds: number };
}

export interface AtlasSummary {
  model?: string;
  layer?: { name: string; shape?: number[]; rf?: { size: number; stride: number } };
  neurons?: number[];
  neuronSelection?: string;
  n?: number;
  mode?: string;
  dataset?: { kind?: string; items?: number };
  perNeuron?: { neuron: number; variance?: number; topValue?: number }[];
  layout?: { tsne?: { seed?: number } };
}

export interface InvarianceSummary {
  parameters?: {
    model?: string;
    layers?: string[];
    transforms?: Record<string, { values: number[]; unit: string; mapping?: string }>;
    borderFill?: string;
    distance?: string;
    appliedTo?: string;
  };
  images?: { id: string }[];
  transforms?: { transform: string; unit: string; values: number[]; layers: { layer: string; mean: (number | null)[]; std?: (number | null)[] }[] }[];
  betweenImages?: { layer: string; mean: number | null; std?: number | null }[];
}

export interface MaximizeSummary {
  layer?: string;
  neuron?: number;
  facet?: number | null;
  init?: string;
  readout?: string;
  params?: Record<string, unknown>;
  schedule?: string;
  initialActivation?: number;
  finalActivation?: number;
  /** Where the run stopped (maximize.ts's stopping rule); absent in older runs. */
  plateau?: { step: number | null; rule: string; octaves: { octave: number; steps: number; plateaued: boolean }[] };
}

export interface PoseGroup {
  n: number;
  bestK: number;
  bestk_cv_accuracy: number;
  nested_accuracy: number;
  majority_baseline: number;
}

export interface PoseSummary {
  parameters?: { model?: string; identityFilter?: string; metric?: string; ks?: number[]; folds?: number; seed?: string; dataset?: { root?: string } };
  images?: number;
  identities?: string[];
  layers?: { layer: string; dims: number; pooled: PoseGroup; identities: ({ group: string } & PoseGroup)[] }[];
}

export interface SimilaritySummary {
  parameters?: { model?: string; n?: number; formula?: string; ordering?: string; zeroDenominatorRule?: string };
  layer?: string;
  neurons?: number;
  images?: number;
  n?: number;
  meanOffDiagonal?: number;
  redundant?: { i: number; j: number; s: number }[];
  independent?: { neuron: number; meanSimilarity: number }[];
  dead?: number[];
  order?: number[];
}

export interface YawScore {
  r2: number;
  mae: number;
}
export interface YawSummary {
  command: 'yaw';
  parameters?: { model?: string; headPose?: string; metric?: string; ks?: number[]; folds?: number; seed?: string; frontal?: string; turned?: string; dataset?: { root?: string } };
  faces?: number;
  yawStats?: { median_abs: number; frontal: number; turned: number; between: number };
  layers?: { layer: string; dims: number; yaw: { nested: YawScore }; pitch: { nested: YawScore }; frontalTurned: { nested_accuracy: number; majority_baseline: number } | string }[];
}
