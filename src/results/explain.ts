/**
 * The schema of `facelens explain`'s summary.json (src/analyses/explain/run.ts) as the report and
 * the explorer read it back: every member optional, since a folder may hold a partial, older or
 * foreign file. Per pair, files sit under pairs/<index, 4 digits>/ (overlay.png, curves.csv,
 * profile.csv, pair.json, A-maps.npy, B-maps.npy).
 */

export interface ExplainCurve {
  fractions: number[];
  similarity: number[];
  auc: number;
}

export interface ExplainRegionSplit {
  inside: number;
  outside: number;
  share: number | null;
  positiveShare: number | null;
}

export interface ExplainFaceNumbers {
  id: string;
  parts?: { part: string; drop: number; similarity: number }[];
  faithfulness?: Record<string, { deletion: ExplainCurve; insertion: ExplainCurve }>;
  random?: { deletion: ExplainCurve; insertion: ExplainCurve };
  integratedCheck?: { attributionSum: number; similarityGap: number };
  halves?: Record<string, ExplainRegionSplit>;
  /** The Grad-CAM layer, or why there is no CAM. */
  cam?: { layer: string | null; error?: string };
}

export interface ExplainProfileEntry {
  layer: string;
  dims: number;
  similarity: number;
  threshold?: number | null;
  same?: boolean | null;
}

export interface ExplainPairNumbers {
  a: string;
  b: string;
  index?: number;
  source?: string;
  same?: boolean;
  crops?: string[];
  layer?: string;
  similarity: number;
  profile?: ExplainProfileEntry[];
  faces?: ExplainFaceNumbers[];
}

export interface ExplainAggregate {
  map: string;
  faces: number;
  deletionAuc: number | null;
  randomDeletionAuc: number | null;
  deletionBelowRandom: number;
  insertionAuc: number | null;
  randomInsertionAuc: number | null;
  insertionAboveRandom: number;
}

export interface ExplainSummary {
  command?: 'explain';
  date?: string;
  parameters?: Record<string, unknown> & { model?: string; layer?: string; fill?: string; igBaseline?: string; verifySummary?: string | null };
  pairs?: ExplainPairNumbers[];
  skipped?: { pair: string; reason: string }[];
  aggregate?: ExplainAggregate[];
}

/** The folder of pair `index` relative to the explain folder. */
export function explainPairDir(index: number): string {
  return `pairs/${String(index).padStart(4, '0')}`;
}

export const EXPLAIN_MAP_TITLES: Record<string, string> = {
  occlusion: 'occlusion',
  gradient: '|gradient|',
  gradInput: 'gradient × input',
  integrated: 'integrated gradients',
  layerCam: 'layer Grad-CAM',
};
