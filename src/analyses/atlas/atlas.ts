/**
 * The neuron atlas (paper experiments 1-2, Fig. 3), for any probe layer and neuron of a sweep:
 * per neuron its top-n samples (sweep values, ties by image id), their projections (projection.ts),
 * receptive-field patches and tiles (patch.ts), a t-SNE layout of the layer-input windows
 * (layout.ts), written as
 *   neuron-<k>.png    the mosaic: tiles [patch | 0.8 projection + 0.2 patch] on the t-SNE grid
 *   neuron-<k>.json   per sample: rank, image id, values, argmax cell, RF box, t-SNE xy, grid cell
 *   summary.json      every parameter (mode, n, perplexity, seeds, layout input, display rescale)
 *
 * Faces: the sweep stores image ids, not paths; the path is recovered from the sweep manifest's
 * dataset kind and root (the id convention of the dataset readers: relative to the root, or to
 * `root/images` for LFW and CFP), and the face is re-aligned exactly as the sweep did (same
 * detect flag, same aligned-face cache). As a guard against a changed dataset or cache, each
 * sample's forward value in TfGraph is compared with the sweep's value (`valueCheck`).
 */
import type { OnProgress } from '../../core/progress.js';
import { checkAtlasOptions } from '../../core/validate.js';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../../core/errors.js';
import type { DatasetItem, SkippedItem } from '../../data/dataset.js';
import { isDir, isFile } from '../../data/datasets/util.js';
import { alignedFaces } from '../../data/faces.js';
import type { RgbImage } from '../../data/image.js';
import { createGradientEngine } from '../../engine/ort/grad-engine.js';
import { readJson, writeJsonAtomic } from '../../io/json.js';
import { writeSummary } from '../../results/summary.js';
import { similarityMatrix } from '../metrics/similarity.js';
import { findProbe, type FaceModel } from '../../models/face-model.js';
import { loadModelSpec } from '../../models/registry.js';
import type { SweepManifest } from '../../results/sweep.js';
import { openSweep } from '../sweep/read.js';
import { topSamples, type TopSample } from '../sweep/topn.js';
import { atlasGridShape, layoutInput, layoutSamples, windowOf, type LayoutInput } from './layout.js';
import { renderMosaic } from '../../figures/mosaic.js';
import { channelVariances, resolveNeurons, type NeuronSpec } from './neurons.js';
import { BLEND_PATCH, BLEND_PROJECTION, displayRange, makeTile, rfBox, type CellBox, type TileFit } from './patch.js';
import { projectDetailed, PROJECTION_MODES, type ProjectionMode } from './projection.js';
import { writeFileAtomic } from '../../io/atomic.js';

import { ATLAS_FORMAT, type AtlasMaximizeEntry, type AtlasSample, type NeuronAtlas } from '../../results/neuron-atlas.js';
import { DEFAULT_BATCH } from '../../engine/ort/batch-runner.js';
// The neuron JSON's schema lives in src/results/; re-exported for the modules that read it from here.
export { ATLAS_FORMAT, type AtlasMaximizeEntry, type AtlasSample, type NeuronAtlas } from '../../results/neuron-atlas.js';

export interface AtlasOptions {
  sweepDir: string;
  layer: string;
  /** Neuron indices, or a spec: `0-15`, `1,5,9`, `all`, `top-variance:K`. */
  neurons: NeuronSpec;
  mode?: ProjectionMode;
  /** Top-n samples per neuron (default 50). */
  n?: number;
  out: string;
  /** t-SNE seed (default 0; the same for every neuron). */
  seed?: number;
  /** Pixels of each half of a tile (default 64: tiles are 128 x 64). */
  tileSize?: number;
  tileFit?: TileFit;
  /** Extra cells around the layout window (default 0; see layout.ts). */
  margin?: number;
  /** Faces per projection batch (default 8). */
  batch?: number;
  cache?: boolean;
  cacheDir?: string;
  /** The model to use instead of loading the sweep's (must be the same network). */
  model?: FaceModel;
  /** Called after each neuron. */
  onProgress?: OnProgress;
}

export interface AtlasResult {
  out: string;
  neurons: number[];
  files: string[];
  summary: Record<string, unknown>;
  /** Human-readable problems worth a look (e.g. faces that no longer match the sweep). */
  warnings: string[];
}

/** AM entries of an existing neuron JSON whose images still exist (a re-run atlas keeps them). */
async function keptMaximizeEntries(file: string): Promise<AtlasMaximizeEntry[]> {
  let old: Partial<NeuronAtlas>;
  try {
    old = await readJson<Partial<NeuronAtlas>>(file);
  } catch {
    return [];
  }
  const out: AtlasMaximizeEntry[] = [];
  for (const e of old.maximize ?? []) if (await isFile(path.resolve(path.dirname(file), e.image))) out.push(e);
  return out;
}

/** A sample whose recomputed value differs from the sweep's by more than float noise. */
export const VALUE_MISMATCH = { rel: 1e-3, abs: 1e-4 };

/** Absolute path of a swept item, from the manifest's dataset kind + root (see module comment). */
export async function sweptItemPath(manifest: SweepManifest, id: string): Promise<string> {
  const { kind, root } = manifest.dataset;
  let base = root;
  if (kind === 'lfw') base = (await isDir(path.join(root, 'images'))) ? path.join(root, 'images') : root;
  else if (kind === 'cfp') base = path.join(root, 'images');
  return path.resolve(base, ...id.split('/'));
}

async function loadFaces(manifest: SweepManifest, samples: TopSample[], model: FaceModel, opts: AtlasOptions): Promise<RgbImage[]> {
  const items: DatasetItem[] = [];
  for (const s of samples) {
    const p = await sweptItemPath(manifest, s.id);
    if (!(await isFile(p))) {
      throw new UserError(`image ${s.id} of the sweep is not at ${p} any more (dataset ${manifest.dataset.kind} at ${manifest.dataset.root}); the atlas needs the swept images`);
    }
    items.push({ id: s.id, path: p });
  }
  const skipped: SkippedItem[] = [];
  const faces = new Map<string, RgbImage>();
  for await (const f of alignedFaces(items, model.alignment, {
    detect: manifest.parameters.detect,
    cache: opts.cache ?? true,
    cacheDir: opts.cacheDir,
    onSkip: (s) => skipped.push(s),
  })) {
    faces.set(f.item.id, f.face);
  }
  if (skipped.length > 0) {
    throw new UserError(`image ${skipped[0].id} was swept but cannot be aligned now (${skipped[0].reason}); has the dataset changed?`);
  }
  return samples.map((s) => faces.get(s.id)!);
}

function relDiff(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(1e-6, Math.abs(a), Math.abs(b));
}

export async function atlas(opts: AtlasOptions): Promise<AtlasResult> {
  const mode = opts.mode ?? 'deconv';
  if (!PROJECTION_MODES.includes(mode)) throw new UserError(`--mode must be one of ${PROJECTION_MODES.join(', ')}, got "${mode}"`);
  const nWanted = opts.n ?? 50;
  if (!(Number.isInteger(nWanted) && nWanted >= 1)) throw new UserError(`--n must be a positive integer, got ${nWanted}`);
  const seed = opts.seed ?? 0;
  const tileSize = opts.tileSize ?? 64;
  const tileFit = opts.tileFit ?? 'contain';
  const margin = opts.margin ?? 0;
  const batch = opts.batch ?? DEFAULT_BATCH;
  checkAtlasOptions({ n: nWanted, tile: tileSize, margin });

  // Cheap checks first (sweep, layer, neurons), then the model.
  const sw = await openSweep(opts.sweepDir);
  const table = await sw.readLayer(opts.layer);
  if (table.rows === 0) throw new UserError(`sweep ${opts.sweepDir} has no images`);
  const neurons = resolveNeurons(opts.neurons, table.channels, table);
  if (neurons.length === 0) throw new UserError('--neurons selects no neuron');
  const model = opts.model ?? (await loadModelSpec(sw.manifest.model.spec, sw.manifest.model.name));
  if (model.name !== sw.manifest.model.name) throw new UserError(`the sweep was made with model ${sw.manifest.model.name}, not ${model.name}`);
  const { width, height } = model.inputSize;
  if (sw.manifest.model.input.width !== width || sw.manifest.model.input.height !== height) {
    throw new UserError(`the sweep's input size ${sw.manifest.model.input.width}x${sw.manifest.model.input.height} differs from model ${model.name}'s ${width}x${height}`);
  }
  const probe = findProbe(model, opts.layer);
  const spatial = probe.shape.length === 3;
  // Eq. 2 similarity of every neuron pair of the layer, from the sweep (no forward passes), so
  // each neuron page can link to its closest neighbours.
  const sim = similarityMatrix(table.values, table.rows, table.channels, Math.min(nWanted, table.rows));
  const similarTo = (j: number) =>
    Array.from({ length: table.channels }, (_, i) => ({ neuron: i, s: sim.S[j * table.channels + i] }))
      .filter((x) => x.neuron !== j)
      .sort((a, b) => b.s - a.s || a.neuron - b.neuron)
      .slice(0, 5);
  if (spatial && !probe.rf) throw new Error(`probe ${probe.name} has no receptive field`);
  const variances = channelVariances(table.values, table.rows, table.channels);
  const tops = topSamples(table, sw.items, neurons, nWanted);
  const n = Math.min(nWanted, table.rows);
  const li: LayoutInput = layoutInput(model, probe, margin);
  const gridShape = atlasGridShape(n);
  const byRow = new Map(sw.items.map((it) => [it.row, it]));

  await mkdir(opts.out, { recursive: true });
  const engine = await createGradientEngine(model, { output: probe.tensor, rule: mode, capture: [li.tensor] });
  const files: string[] = [];
  const warnings: string[] = [];
  const perNeuron: Record<string, unknown>[] = [];
  let windowShape: number[] | undefined;
  const t0 = performance.now();
  try {
    for (const [k, neuron] of neurons.entries()) {
      const tn = performance.now();
      const samples = tops.get(neuron)!;
      const faces = await loadFaces(sw.manifest, samples, model, opts);
      const tAlign = performance.now();
      const cells = samples.map((s) => s.cell ?? 0);
      const pr = await projectDetailed({ engine, model, layer: probe.name, neuron, faces, cells, mode, batch, capture: [li.tensor] });
      const tProject = performance.now();
      const inShape = pr.capturedShapes[li.tensor];
      const boxes = samples.map((s) => (spatial ? rfBox(probe.rf!, s.cell!, probe.shape[2], model.inputSize) : undefined));
      const windows = samples.map((s, i) => {
        const w = windowOf(pr.captured[li.tensor][i], inShape, li, boxes[i] ? { row: boxes[i]!.row, col: boxes[i]!.col } : { row: 0, col: 0 });
        windowShape ??= w.shape;
        return w.values;
      });
      const lay = layoutSamples(windows, { seed, grid: gridShape });
      const tLayout = performance.now();
      // Vector layers: the whole crop is the patch.
      const patchBoxes = boxes.map((b) => b?.box ?? { x0: 0, y0: 0, x1: width - 1, y1: height - 1 });
      const range = displayRange(pr.maps, patchBoxes, width, height);
      const tiles = [];
      for (let i = 0; i < samples.length; i++) tiles.push(await makeTile(faces[i], pr.maps[i], patchBoxes[i], range, tileSize, tileFit));
      const png = await renderMosaic(tiles, lay.grid.col, lay.grid.row, { cols: lay.grid.cols, rows: lay.grid.rows });
      const pngName = `neuron-${neuron}.png`;
      await writeFileAtomic(path.join(opts.out, pngName), png);

      let maxAbs = 0;
      let maxRel = 0;
      const mismatched: string[] = [];
      const out: AtlasSample[] = samples.map((s, i) => {
        const abs = Math.abs(s.value - pr.values[i]);
        const rel = relDiff(s.value, pr.values[i]);
        maxAbs = Math.max(maxAbs, abs);
        maxRel = Math.max(maxRel, rel);
        if (abs > VALUE_MISMATCH.abs && rel > VALUE_MISMATCH.rel) mismatched.push(s.id);
        const item = byRow.get(s.row);
        return {
          rank: i + 1,
          row: s.row,
          id: s.id,
          ...(item?.identity ? { identity: item.identity } : {}),
          value: s.value,
          forwardValue: pr.values[i],
          ...(boxes[i] ? { cell: s.cell, cellRowCol: [boxes[i]!.row, boxes[i]!.col] as [number, number], rfBox: boxes[i]!.box, rfBoxUnclipped: boxes[i]!.full } : {}),
          tsne: lay.coords[i],
          grid: { col: lay.grid.col[i], row: lay.grid.row[i] },
        };
      });
      const doc: NeuronAtlas = {
        format: ATLAS_FORMAT,
        layer: probe.name,
        neuron,
        mode,
        n: samples.length,
        png: pngName,
        display: { lo: range.lo, hi: range.hi, rule: 'one min/max over all tiles (RF boxes) of this neuron and all three channels -> 0..255' },
        layout: { pcaDims: lay.pcaDims, perplexity: lay.perplexity, kl: lay.kl, seed: lay.seed, grid: { cols: lay.grid.cols, rows: lay.grid.rows }, windowLength: windows[0]?.length ?? 0 },
        valueCheck: { maxAbsDiff: maxAbs, maxRelDiff: maxRel, mismatched },
        similar: similarTo(neuron),
        samples: out,
      };
      const jsonName = `neuron-${neuron}.json`;
      const kept = await keptMaximizeEntries(path.join(opts.out, jsonName));
      if (kept.length > 0) doc.maximize = kept;
      await writeJsonAtomic(path.join(opts.out, jsonName), doc);
      files.push(pngName, jsonName);
      if (mismatched.length > 0) {
        warnings.push(
          `neuron ${neuron}: ${mismatched.length} face(s) give another value than in the sweep (${mismatched.slice(0, 3).join(', ')}${mismatched.length > 3 ? ', ...' : ''}): ` +
            'the face alignment changed since the sweep (dataset, detector or aligner); rerun the sweep for an exact atlas',
        );
      }
      const tEnd = performance.now();
      const seconds = (tEnd - tn) / 1000;
      const split = {
        align: (tAlign - tn) / 1000,
        project: (tProject - tAlign) / 1000,
        layout: (tLayout - tProject) / 1000,
        render: (tEnd - tLayout) / 1000,
      };
      perNeuron.push({ neuron, variance: variances[neuron], topValue: samples[0]?.value ?? 0, display: doc.display, valueCheck: doc.valueCheck, kl: lay.kl, seconds, split });
      opts.onProgress?.({ stage: 'atlas', done: k + 1, total: neurons.length, note: `neuron ${neuron} ${seconds.toFixed(1)} s` });
    }
  } finally {
    await engine.release();
  }

  const summary: Record<string, unknown> = {
    format: ATLAS_FORMAT,
    sweep: path.resolve(opts.sweepDir),
    model: model.name,
    dataset: sw.manifest.dataset,
    faces: { detect: sw.manifest.parameters.detect, alignment: sw.manifest.model.alignment, cache: opts.cache ?? true },
    layer: { name: probe.name, kind: probe.kind, shape: probe.shape, ...(probe.rf ? { rf: probe.rf } : {}) },
    neuronSelection: Array.isArray(opts.neurons) ? 'explicit list' : opts.neurons,
    neurons,
    n,
    topN: 'highest sweep projection values (spatial max per image), ties by image id',
    mode,
    projection: {
      upstream: spatial
        ? 'zero everywhere in the layer except the neuron (channel) at its argmax cell, which keeps its forward value'
        : 'one-hot of the unit scaled by its forward value',
      reluRule: {
        deconv: 'relu applied to the backward signal (Zeiler & Fergus), max-pool switches = first max, transposed convolutions',
        guided: 'relu(backward signal) * (forward input > 0)',
        gradient: 'plain gradient',
      }[mode],
      space: "model input space (after the model's mean/std normalisation), RGB channel order",
      engine: engine.backend === 'onnxruntime' ? 'ONNX Runtime backward graph' : 'TfGraph (TF.js WASM)',
      batch,
    },
    patch: {
      box: 'RF box of the argmax cell: centre = offset + index * stride, inclusive centre +- (size - 1) / 2, clipped to the crop',
      tile: `[patch | ${BLEND_PROJECTION} * projection + ${BLEND_PATCH} * patch]`,
      tileSize: [2 * tileSize, tileSize],
      fit: tileFit,
    },
    display: { rescale: 'per neuron: ONE global min/max over all its tiles and all three channels -> 0..255 (values in each neuron-<k>.json)' },
    layout: {
      input: li.note,
      tensor: li.tensor,
      ...(li.rf ? { rfInInputCells: li.rf } : {}),
      margin,
      windowShape,
      pca: `centred PCA to min(50, n - 1) dims`,
      tsne: { perplexity: 'min(30, floor((n - 1) / 3))', iterations: 1000, learningRate: 500, momentum: '0.5 -> 0.8 after iteration 250', exaggeration: '4 until iteration 100', init: 'N(0, 1e-4^2), seeded', seed },
      grid: { ...gridShape, rule: 'embedding min-max scaled to the unit square per axis; cells in row-major order each take the nearest unused point' },
    },
    perNeuron,
    warnings,
    seconds: (performance.now() - t0) / 1000,
  };
  await writeSummary(path.join(opts.out, 'summary.json'), summary);
  files.push('summary.json');
  return { out: opts.out, neurons, files, summary, warnings };
}
