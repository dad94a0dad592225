/**
 * `facelens explain`: why does the model score this pair of faces as it does? For the cosine
 * similarity s = cos(f(A), f(B)) at one probe layer (default the embedding), per face (the other
 * face's features held fixed): occlusion, gradient, gradient x input and integrated-gradients
 * maps (maps.ts, scorer.ts), the
 * landmark part drops, deletion / insertion faithfulness of each map against seeded random
 * orders (faithfulness.ts), and the pair's similarity at every probe layer, with that layer's
 * verification threshold when a `verify` summary is given (thresholds.ts).
 *
 * Where a map puts its "mass" (regionSplit below): the map summed (signed) over a region. For
 * integrated gradients this is the region's contribution to s(face) - s(baseline) (completeness:
 * the attributions sum to that gap), so the per-region sums ARE the regions' shares of the
 * similarity; per-pixel positive mass of a signed map instead measures how large its
 * high-frequency +/- pattern is, which mostly cancels within a region. On the synthetic pair
 * (B = A's upper half over another person's lower half; test/analyses/explain) integrated
 * gradients from the blurred face give the upper half +0.045..+0.10 and the lower half
 * -0.07..0.00 of the similarity, while |gradient| (a sensitivity, not evidence) spreads
 * 0.41-0.59 of its mass on the upper half (six constructions). The similarity Grad-CAM at res128
 * (layer-cam.ts) puts 0.74-0.92 of its per-cell positive mass there; Grad-CAM proper (channel
 * weights = mean gradient) 0.43-0.79, and the same product at res64 0.45-0.74, res256 0.38-0.90.
 *
 * Compute only: returns typed results; ./write.ts writes files.
 */
import type { Point } from '../../data/detector.js';
import type { RgbImage } from '../../data/image.js';
import { cosineSimilarity } from '../metrics/cosine.js';
import { deletionInsertion, orderFromMap, randomOrder, trapezoidAuc, type Curve } from './faithfulness.js';
import { fillImage, gradientMaps, occlusionMap, partDrops, type FillMode, type PartDrop } from './maps.js';
import type { PairScorer } from './scorer.js';
import type { LayerThreshold } from './thresholds.js';

export const MAP_NAMES = ['occlusion', 'gradient', 'gradInput', 'integrated', 'layerCam'] as const;
export type MapName = (typeof MAP_NAMES)[number];

export interface ExplainOptions {
  patch?: number;
  stride?: number;
  fill?: FillMode;
  /** Gaussian sigma of the blurred fill (pixels). */
  blurSigma?: number;
  /** Deletion / insertion steps (curve points - 1). */
  steps?: number;
  /** Random orders averaged for the reference curve. */
  randomOrders?: number;
  seed?: string;
  /** Part mask side as a multiple of the inter-ocular distance. */
  partScale?: number;
  /** Integrated-gradients steps (midpoint rule). */
  igSteps?: number;
  /**
   * Integrated-gradients baseline: 'blur' (default: the face blurred with `blurSigma`, which
   * keeps colour and layout and removes the detail identity lives in; Sturmfels et al. 2020
   * discuss blurred baselines) or 'grey' (flat 128; a grey image is far from any face, so
   * much of the attribution then explains "a face" rather than "this person").
   */
  igBaseline?: FillMode;
  /** Probe layer of the similarity Grad-CAM (layer-cam.ts); default: the deepest spatial probe with >= 8 x 8 cells. */
  camLayer?: string;
  /** Per-layer thresholds (from a verify summary). */
  thresholds?: Map<string, LayerThreshold>;
}

export const EXPLAIN_DEFAULTS = { patch: 24, stride: 8, fill: 'grey' as FillMode, blurSigma: 8, steps: 20, randomOrders: 1, seed: 'facelens', partScale: 0.5, igSteps: 16, igBaseline: 'blur' as FillMode };

export interface ExplainFace {
  id: string;
  face: RgbImage;
  landmarks?: Point[];
}

export interface Faithfulness {
  deletion: Curve;
  insertion: Curve;
}

export interface FaceExplanation {
  id: string;
  /** Maps over this face (H x W, row-major) with the other face held fixed. */
  maps: Record<MapName, Float32Array>;
  occlusionGrid: { xs: number[]; ys: number[]; drops: number[] };
  /** Absent without landmarks. */
  parts?: PartDrop[];
  faithfulness: Record<MapName, Faithfulness>;
  /** Mean curve over the random orders, and each order's AUCs. */
  random: Faithfulness & { deletionAucs: number[]; insertionAucs: number[] };
  /** s from the gradient's forward pass (equals the pair similarity). */
  gradientSimilarity: number;
  /** Integrated gradients' completeness check: sum of attributions vs s(face) - s(baseline). */
  integratedCheck: { attributionSum: number; similarityGap: number };
  /** The Grad-CAM layer, or why there is no CAM (its map is then all zeros). */
  cam: { layer: string | null; error?: string };
  /** Each map split into the upper and lower half of the face (regionSplit). */
  halves: Record<MapName, RegionSplit>;
}

export interface ProfileEntry {
  layer: string;
  dims: number;
  similarity: number;
  threshold?: number;
  /** similarity >= threshold. */
  same?: boolean;
}

export interface PairExplanation {
  a: string;
  b: string;
  layer: string;
  similarity: number;
  profile: ProfileEntry[];
  faces: [FaceExplanation, FaceExplanation];
  width: number;
  height: number;
}

function meanCurve(curves: Curve[]): Curve {
  const fractions = curves[0]!.fractions;
  const similarity = fractions.map((_, k) => curves.reduce((s, c) => s + c.similarity[k]!, 0) / curves.length);
  return { fractions, similarity, auc: trapezoidAuc(similarity) };
}

async function camMap(scorer: PairScorer, face: ExplainFace, ref: Float32Array, layer: string | undefined): Promise<{ map: Float32Array; cam: FaceExplanation['cam'] }> {
  const zeros = new Float32Array(face.face.width * face.face.height);
  if (!layer) return { map: zeros, cam: { layer: null, error: 'no spatial probe layer with at least 8 x 8 cells' } };
  try {
    return { map: await scorer.layerCam(face.face, ref, layer), cam: { layer } };
  } catch (e) {
    return { map: zeros, cam: { layer, error: (e as Error).message } };
  }
}

async function explainFace(scorer: PairScorer, face: ExplainFace, ref: Float32Array, base: number, o: Required<Omit<ExplainOptions, 'thresholds' | 'camLayer'>> & { camLayer?: string }): Promise<FaceExplanation> {
  const fill = await fillImage(face.face, o.fill, o.blurSigma);
  const occ = await occlusionMap(scorer, face.face, ref, base, fill, { patch: o.patch, stride: o.stride });
  const g = await scorer.gradient(face.face, ref);
  const gm = gradientMaps(g);
  const igBase = o.igBaseline === o.fill ? fill : await fillImage(face.face, o.igBaseline, o.blurSigma);
  const ig = await scorer.integratedGradients(face.face, igBase, ref, o.igSteps);
  const integrated = new Float32Array(occ.map.length);
  for (let i = 0; i < integrated.length; i++) integrated[i] = ig.attribution[i * 3]! + ig.attribution[i * 3 + 1]! + ig.attribution[i * 3 + 2]!;
  const cam = await camMap(scorer, face, ref, o.camLayer);
  const maps: Record<MapName, Float32Array> = { occlusion: occ.map, gradient: gm.gradient, gradInput: gm.gradInput, integrated, layerCam: cam.map };
  const faithfulness = {} as Record<MapName, Faithfulness>;
  for (const name of MAP_NAMES) faithfulness[name] = await deletionInsertion(scorer, face.face, fill, ref, orderFromMap(maps[name]), o.steps);
  const rnd: Faithfulness[] = [];
  const n = face.face.width * face.face.height;
  for (let k = 0; k < o.randomOrders; k++) rnd.push(await deletionInsertion(scorer, face.face, fill, ref, randomOrder(n, `${o.seed}/random${k}`), o.steps));
  const parts = face.landmarks && face.landmarks.length === 68 ? await partDrops(scorer, face.face, face.landmarks, ref, base, fill, o.partScale) : undefined;
  return {
    id: face.id,
    maps,
    occlusionGrid: { xs: occ.xs, ys: occ.ys, drops: Array.from(occ.grid) },
    ...(parts ? { parts } : {}),
    faithfulness,
    random: {
      deletion: meanCurve(rnd.map((r) => r.deletion)),
      insertion: meanCurve(rnd.map((r) => r.insertion)),
      deletionAucs: rnd.map((r) => r.deletion.auc),
      insertionAucs: rnd.map((r) => r.insertion.auc),
    },
    gradientSimilarity: g.similarity,
    integratedCheck: { attributionSum: ig.attributionSum, similarityGap: ig.similarityGap },
    cam: cam.cam,
    halves: Object.fromEntries(MAP_NAMES.map((m) => [m, regionSplit(maps[m], face.face.width, 0, face.face.height >> 1)])) as Record<MapName, RegionSplit>,
  };
}

export function resolveExplainOptions(opts: ExplainOptions): Required<Omit<ExplainOptions, 'thresholds' | 'camLayer'>> & { camLayer?: string } {
  const o = { ...EXPLAIN_DEFAULTS, ...Object.fromEntries(Object.entries(opts).filter(([k, v]) => v !== undefined && k !== 'thresholds')) } as Required<Omit<ExplainOptions, 'thresholds' | 'camLayer'>> & { camLayer?: string };
  if (!(Number.isInteger(o.steps) && o.steps >= 1)) throw new RangeError(`steps must be a positive integer (got ${o.steps})`);
  if (!(Number.isInteger(o.randomOrders) && o.randomOrders >= 1)) throw new RangeError(`random orders must be a positive integer (got ${o.randomOrders})`);
  if (!(Number.isInteger(o.igSteps) && o.igSteps >= 1)) throw new RangeError(`integrated-gradients steps must be a positive integer (got ${o.igSteps})`);
  if (o.igBaseline !== 'grey' && o.igBaseline !== 'blur') throw new RangeError(`integrated-gradients baseline must be grey or blur (got ${String(o.igBaseline)})`);
  if (!(o.blurSigma > 0.3)) throw new RangeError(`blur sigma must be > 0.3 (got ${o.blurSigma})`);
  return o;
}

export async function explainPair(scorer: PairScorer, a: ExplainFace, b: ExplainFace, opts: ExplainOptions = {}): Promise<PairExplanation> {
  const o = resolveExplainOptions(opts);
  o.camLayer ??= await scorer.defaultCamLayer();
  const { width, height } = a.face;
  const all = await scorer.allLayers([a.face, b.face]);
  const profile: ProfileEntry[] = scorer.model.probes.map((p) => {
    const [fa, fb] = all.get(p.name)!;
    const similarity = cosineSimilarity(fa!, fb!);
    const t = opts.thresholds?.get(p.name);
    return { layer: p.name, dims: fa!.length, similarity, ...(t ? { threshold: t.threshold, same: similarity >= t.threshold } : {}) };
  });
  const [fa, fb] = all.get(scorer.layer.name)!;
  const similarity = cosineSimilarity(fa!, fb!);
  const faceA = await explainFace(scorer, a, fb!, similarity, o);
  const faceB = await explainFace(scorer, b, fa!, similarity, o);
  return { a: a.id, b: b.id, layer: scorer.layer.name, similarity, profile, faces: [faceA, faceB], width, height };
}

/** Share of a map's positive mass inside rows [y0, y1) (for "where does the evidence sit"). */
export function positiveMassShare(map: ArrayLike<number>, width: number, y0: number, y1: number): number {
  let inside = 0, total = 0;
  for (let i = 0; i < map.length; i++) {
    const v = map[i]!;
    if (!(v > 0)) continue;
    total += v;
    const y = Math.floor(i / width);
    if (y >= y0 && y < y1) inside += v;
  }
  return total > 0 ? inside / total : NaN;
}

/**
 * A map's mass inside rows [y0, y1) versus outside, as SIGNED sums: inside = sum of the map over
 * the region, outside = over the rest. `share` = max(inside, 0) / (max(inside, 0) +
 * max(outside, 0)): of the regions that raise the similarity, the fraction of that rise the
 * region carries (1 when the rest lowers it; NaN when neither raises it). For a non-negative
 * map (|gradient|) this equals positiveMassShare; for integrated gradients, inside + outside =
 * s(face) - s(baseline) (completeness), so inside and outside are the two regions'
 * contributions to the similarity. `positiveShare` is positiveMassShare, kept for comparison.
 */
export interface RegionSplit {
  inside: number;
  outside: number;
  share: number;
  positiveShare: number;
}

export const REGION_MASS = 'signed sum of the map over the region vs over the rest; share = max(inside,0) / (max(inside,0) + max(outside,0)); for integrated gradients the two sums are the regions\' contributions to s(face) - s(baseline) (completeness); positiveShare = share of the per-pixel positive values, for comparison';

export function regionSplit(map: ArrayLike<number>, width: number, y0: number, y1: number): RegionSplit {
  let inside = 0, total = 0;
  for (let i = 0; i < map.length; i++) {
    const v = map[i]!;
    total += v;
    const y = Math.floor(i / width);
    if (y >= y0 && y < y1) inside += v;
  }
  const outside = total - inside;
  const u = Math.max(inside, 0), l = Math.max(outside, 0);
  return { inside, outside, share: u + l > 0 ? u / (u + l) : NaN, positiveShare: positiveMassShare(map, width, y0, y1) };
}
