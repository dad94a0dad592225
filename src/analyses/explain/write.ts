/**
 * Files of `facelens explain`, per pair under `pairs/<k>/`:
 *   overlay.png         faces (rows A, B) and each map blended over them (positive part, scaled
 *                       by the map's 99th percentile of positive values; viridis-like ramp)
 *   A-maps.npy, B-maps.npy   float32 [maps, H, W] in MAP_NAMES order
 *   curves.csv          deletion / insertion curves of every map and of the random order
 *   profile.csv         cosine at every probe layer (+ threshold and decision)
 *   pair.json           the pair's numbers (everything except the maps)
 * and at the top: summary.json (every parameter, per-pair numbers, the faithfulness aggregate),
 * faithfulness.csv, index.html (a minimal standalone page of the pairs).
 */
import { mkdir } from 'node:fs/promises';
import { writeFileAtomic } from '../../io/atomic.js';
import path from 'node:path';
import { rgbImage, type RgbImage } from '../../data/image.js';
import { writeNpy } from '../../io/npy.js';
import { contactSheet } from '../../figures/contact-sheet.js';
import { rampColour } from '../../figures/heatmap.js';
import { csvText } from '../probes/shared.js';
import { jsonSafe } from '../../results/summary.js';
import { writeJsonAtomic } from '../../io/json.js';
import { MAP_NAMES, type FaceExplanation, type MapName, type PairExplanation } from './explain.js';

/** Temp file + rename (io/atomic.ts): a reader never sees a half-written file. */
export function writeFile(file: string, data: string | Uint8Array): Promise<void> {
  return writeFileAtomic(file, data);
}

export const MAP_TITLES: Record<MapName, string> = {
  occlusion: 'occlusion',
  gradient: '|gradient|',
  gradInput: 'gradient x input',
  integrated: 'integrated grad.',
  layerCam: 'layer Grad-CAM',
};

/** The map's positive part over the face: alpha = 0.65 x value / p99, viridis-like colours. */
export function overlay(face: RgbImage, map: ArrayLike<number>): RgbImage {
  const pos = Array.from(map).filter((v) => v > 0).sort((a, b) => a - b);
  const scale = pos.length > 0 ? pos[Math.min(pos.length - 1, Math.floor(0.99 * pos.length))]! : 1;
  const out = new Uint8Array(face.data.length);
  for (let i = 0; i < map.length; i++) {
    const t = Math.min(1, Math.max(0, map[i]! / (scale || 1)));
    const c = rampColour(t);
    const a = 0.65 * t;
    for (let k = 0; k < 3; k++) out[i * 3 + k] = Math.round((1 - a) * face.data[i * 3 + k]! + a * c[k]!);
  }
  return rgbImage(face.width, face.height, out);
}

/** Numbers of one face (no maps). */
export function faceNumbers(f: FaceExplanation) {
  return {
    id: f.id,
    parts: f.parts,
    occlusionGrid: f.occlusionGrid,
    faithfulness: Object.fromEntries(MAP_NAMES.map((m) => [m, f.faithfulness[m]])),
    random: f.random,
    gradientSimilarity: f.gradientSimilarity,
    integratedCheck: f.integratedCheck,
    cam: f.cam,
    halves: f.halves,
  };
}

export function pairNumbers(p: PairExplanation, extra: Record<string, unknown> = {}) {
  return { a: p.a, b: p.b, ...extra, layer: p.layer, similarity: p.similarity, profile: p.profile, faces: p.faces.map(faceNumbers) };
}

export interface PairFiles {
  dir: string;
  overlay: string;
  maps: [string, string];
  curves: string;
  profile: string;
  json: string;
}

export async function writePair(dir: string, p: PairExplanation, faces: [RgbImage, RgbImage], extra: Record<string, unknown> = {}): Promise<PairFiles> {
  await mkdir(dir, { recursive: true });
  const files: PairFiles = {
    dir,
    overlay: path.join(dir, 'overlay.png'),
    maps: [path.join(dir, 'A-maps.npy'), path.join(dir, 'B-maps.npy')],
    curves: path.join(dir, 'curves.csv'),
    profile: path.join(dir, 'profile.csv'),
    json: path.join(dir, 'pair.json'),
  };
  const tiles: RgbImage[] = [];
  const captions: string[] = [];
  p.faces.forEach((f, k) => {
    tiles.push(faces[k]!, ...MAP_NAMES.map((m) => overlay(faces[k]!, f.maps[m])));
    captions.push(k === 0 ? 'A' : 'B', ...MAP_NAMES.map((m) => MAP_TITLES[m]));
  });
  await writeFile(files.overlay, await contactSheet(tiles, { columns: 1 + MAP_NAMES.length, captions }));
  const plane = p.width * p.height;
  for (const [k, f] of p.faces.entries()) {
    const all = new Float32Array(MAP_NAMES.length * plane);
    MAP_NAMES.forEach((m, i) => all.set(f.maps[m], i * plane));
    await writeNpy(files.maps[k]!, all, [MAP_NAMES.length, p.height, p.width]);
  }
  const curveRows = p.faces.flatMap((f, k) =>
    [...MAP_NAMES, 'random' as const].flatMap((m) => {
      const c = m === 'random' ? f.random : f.faithfulness[m];
      return (['deletion', 'insertion'] as const).flatMap((kind) => c[kind].fractions.map((fr, i) => [k === 0 ? 'A' : 'B', m, kind, fr, c[kind].similarity[i]!]));
    }),
  );
  await writeFile(files.curves, csvText(['face', 'map', 'curve', 'fraction', 'similarity'], curveRows));
  await writeFile(files.profile, csvText(['layer', 'dims', 'similarity', 'threshold', 'same'], p.profile.map((e) => [e.layer, e.dims, e.similarity, e.threshold, e.same])));
  await writeJsonAtomic(files.json, jsonSafe(pairNumbers(p, extra)));
  return files;
}

export interface FaithfulnessAggregate {
  map: MapName;
  /** Over all explained faces (2 per pair; for layerCam those with a CAM). */
  faces: number;
  deletionAuc: number;
  randomDeletionAuc: number;
  /** Faces whose map deletion AUC is below the random order's. */
  deletionBelowRandom: number;
  insertionAuc: number;
  randomInsertionAuc: number;
  insertionAboveRandom: number;
}

export function aggregateFaithfulness(pairs: { faces: ReturnType<typeof faceNumbers>[] }[]): FaithfulnessAggregate[] {
  const faces = pairs.flatMap((p) => p.faces);
  return MAP_NAMES.map((m) => aggregateOf(m, m === 'layerCam' ? faces.filter((f) => !f.cam?.error) : faces));
}

/** One map's aggregate over `faces` (for layerCam only the faces that have a CAM). */
function aggregateOf(m: MapName, faces: ReturnType<typeof faceNumbers>[]): FaithfulnessAggregate {
  const mean = (v: number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN);
  return {
    map: m,
    faces: faces.length,
    deletionAuc: mean(faces.map((f) => f.faithfulness[m]!.deletion.auc)),
    randomDeletionAuc: mean(faces.map((f) => f.random.deletion.auc)),
    deletionBelowRandom: faces.filter((f) => f.faithfulness[m]!.deletion.auc < f.random.deletion.auc).length,
    insertionAuc: mean(faces.map((f) => f.faithfulness[m]!.insertion.auc)),
    randomInsertionAuc: mean(faces.map((f) => f.random.insertion.auc)),
    insertionAboveRandom: faces.filter((f) => f.faithfulness[m]!.insertion.auc > f.random.insertion.auc).length,
  };
}

const esc = (s: string) => s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A minimal standalone page: one row per pair (overlay image + numbers). */
export function indexHtml(title: string, rows: { dir: string; a: string; b: string; same?: boolean; similarity: number; decision?: string; aucs: string }[], aggregate: FaithfulnessAggregate[]): string {
  const agg = aggregate
    .map((g) => `<tr><td>${esc(MAP_TITLES[g.map])}</td><td>${g.deletionAuc.toFixed(4)}</td><td>${g.randomDeletionAuc.toFixed(4)}</td><td>${g.deletionBelowRandom}/${g.faces}</td><td>${g.insertionAuc.toFixed(4)}</td><td>${g.randomInsertionAuc.toFixed(4)}</td><td>${g.insertionAboveRandom}/${g.faces}</td></tr>`)
    .join('');
  const body = rows
    .map((r) => `<section><h3>${esc(r.a)} — ${esc(r.b)}${r.same === undefined ? '' : r.same ? ' (same person)' : ' (different people)'}</h3><p>similarity ${r.similarity.toFixed(4)}${r.decision ? `, ${esc(r.decision)}` : ''}; ${esc(r.aucs)}</p><img src="${esc(r.dir)}/overlay.png" alt="maps"></section>`)
    .join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title><style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}img{max-width:100%}</style></head><body><h1>${esc(title)}</h1><h2>Faithfulness (mean AUC over faces)</h2><table><tr><th>map</th><th>deletion AUC</th><th>random</th><th>below random</th><th>insertion AUC</th><th>random</th><th>above random</th></tr>${agg}</table><h2>Pairs</h2>${body}</body></html>\n`;
}
