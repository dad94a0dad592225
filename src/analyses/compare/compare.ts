/**
 * `facelens compare`: linear CKA between every probe layer of model A and every probe layer of
 * model B on the same faces (each model with its own alignment), or between a model's own
 * layers (one model). Faces stream through both models in chunks; per chunk the (reduced, see
 * reduce.ts) layer features are added to a CkaAccumulator, so memory does not grow with the
 * number of faces. When the dataset has verification pairs, each model's per-layer verification
 * (k-fold accuracy, ROC AUC) is computed on the same reduced features, side by side.
 *
 * Returns a typed result; ./write.ts writes files.
 */
import type { Dataset, DatasetItem, Pair, SkippedItem } from '../../data/dataset.js';
import type { RgbImage } from '../../data/image.js';
import { OrtEngine } from '../../engine/ort/engine.js';
import { selectProbes, type FaceModel, type ProbeLayer } from '../../models/face-model.js';
import { UserError } from '../../core/errors.js';
import { layerFeatures } from '../features.js';
import { pairCosine } from '../metrics/cosine.js';
import { kFoldVerification, rocAuc } from '../metrics/verification.js';
import { collectFaces, stageTimer } from '../probes/shared.js';
import { createHash } from 'node:crypto';
import { CompareCheckpoint, fingerprint } from './checkpoint.js';
import { CkaAccumulator, type CkaBlock } from './cka.js';
import { OrtGemm } from './gemm.js';
import { reducerFor, type LayerReducer, type Reduction } from './reduce.js';

export interface CompareOptions {
  /** One model (its layers against each other) or two (A's layers against B's). */
  models: FaceModel[];
  dataset: Dataset;
  /** Probe layers per model ("all" or names). */
  layers?: (string | undefined)[];
  /** Faces per chunk streamed through the models (default 16). */
  chunk?: number;
  batch?: number;
  detect?: boolean;
  cache?: boolean;
  cacheDir?: string;
  reduction?: Reduction;
  /** Layers wider than this are reduced (default 1024). */
  maxDims?: number;
  seed?: string;
  /** Cross products: float64 Gemm on ONNX Runtime ('ort', default) or the JS loop ('js'). */
  gemm?: 'ort' | 'js';
  /** Faces buffered before a cross-product update (default 256). */
  flushRows?: number;
  onProgress?: (done: number, total: number) => void;
  /**
   * Folder of resume checkpoints (checkpoint.ts): the streamed state is saved there after an
   * accumulator flush (at most every `checkpointSeconds`), a run with the same parameters picks
   * it up, and it is removed when the run completes. Absent: no checkpoints.
   */
  checkpoint?: string;
  /** Minimum seconds between checkpoints (default 30; 0 = after every flush). */
  checkpointSeconds?: number;
  /** Called after each checkpoint with the items it holds (tests use it to interrupt a run). */
  onCheckpoint?: (done: number) => void | Promise<void>;
}

export interface CompareLayerInfo {
  model: string;
  layer: string;
  dims: number;
  usedDims: number;
  reduction: string;
}

export interface CompareVerification {
  model: string;
  layer: string;
  accuracy_mean: number;
  accuracy_std: number;
  auc: number;
}

export interface CompareResult {
  /** Row layers (model A) and column layers (model B, or A again). */
  rows: CompareLayerInfo[];
  cols: CompareLayerInfo[];
  /** cka[i][j]: row layer i vs column layer j. */
  cka: number[][];
  /** The same with the unbiased HSIC estimator (debiased CKA; less inflated when n is small next to the widths). */
  ckaDebiased: number[][];
  faces: number;
  undetected: SkippedItem[];
  unreadable: SkippedItem[];
  /** Per model and layer; absent without pairs. */
  verification?: { pairs: number; folds: number; layers: CompareVerification[] };
  /** float64 values the accumulator held. */
  accumulatorEntries: number;
  /** Items a resumed run took from its checkpoint (0: started from scratch). */
  resumedItems: number;
  seconds: Record<string, number>;
}

/**
 * Keeps at most `maxPairs` verification pairs, spread evenly over (fold, same/different) classes
 * (the first ones of each class in file order), and the items they use. Deterministic.
 */
export function subsamplePairs(dataset: Dataset, maxPairs: number): Dataset {
  const pairs = dataset.pairs;
  if (!pairs || pairs.length <= maxPairs) return dataset;
  const classes = new Map<string, Pair[]>();
  for (const p of pairs) {
    const k = `${p.fold}/${p.same}`;
    if (!classes.has(k)) classes.set(k, []);
    classes.get(k)!.push(p);
  }
  const per = Math.max(1, Math.floor(maxPairs / classes.size));
  const kept = new Set<Pair>([...classes.values()].flatMap((ps) => ps.slice(0, per)));
  const keptPairs = pairs.filter((p) => kept.has(p));
  const ids = new Set(keptPairs.flatMap((p) => [p.a, p.b]));
  return { ...dataset, pairs: keptPairs, items: dataset.items.filter((it) => ids.has(it.id)) };
}

interface Slot {
  model: number;
  layer: ProbeLayer;
  reducer: LayerReducer;
}

export async function compareModels(opts: CompareOptions): Promise<CompareResult> {
  const timer = stageTimer();
  const models = opts.models;
  if (models.length < 1 || models.length > 2) throw new UserError(`compare takes one or two --model (got ${models.length})`);
  const method = opts.reduction ?? 'sketch';
  const maxDims = opts.maxDims ?? 1024;
  const seed = opts.seed ?? 'facelens';
  const chunk = opts.chunk ?? 16;
  const items = opts.dataset.items;
  if (items.length < 2) throw new UserError(`compare needs at least 2 images (got ${items.length})`);

  const slots: Slot[] = [];
  const layersOf = models.map((m, k) => selectProbes(m, opts.layers?.[k]));
  models.forEach((m, k) => {
    for (const layer of layersOf[k]!) slots.push({ model: k, layer, reducer: reducerFor(layer, { method, maxDims, seed, model: m.name }) });
  });
  const rowSlots = slots.map((_, i) => i).filter((i) => slots[i]!.model === 0);
  const colSlots = models.length === 2 ? slots.map((_, i) => i).filter((i) => slots[i]!.model === 1) : rowSlots;
  const blocks: CkaBlock[] = rowSlots.flatMap((p) => colSlots.map((q) => ({ p, q })));
  const acc = new CkaAccumulator(slots.map((s) => s.reducer.outDims), blocks);

  // Reduced features of the images that pairs use, for the side-by-side verification.
  const pairs = opts.dataset.pairs && opts.dataset.pairs.length > 0 ? opts.dataset.pairs : undefined;
  const pairIds = new Set(pairs?.flatMap((p) => [p.a, p.b]) ?? []);
  const kept = new Map<string, Float32Array[]>();

  const engines = await Promise.all(models.map((m) => OrtEngine.create(m)));
  const gemm = (opts.gemm ?? 'ort') === 'ort' ? await OrtGemm.create() : undefined;
  const flushRows = opts.flushRows ?? 256;
  let pending: Float32Array[][] = [];
  let pendingRows = 0;
  const flush = async () => {
    if (pendingRows === 0) return;
    const joined = slots.map((s, i) => {
      const out = new Float32Array(pendingRows * s.reducer.outDims);
      let off = 0;
      for (const part of pending) {
        out.set(part[i]!, off);
        off += part[i]!.length;
      }
      return out;
    });
    if (gemm) await acc.addWith((x, dx, y, dy, rows) => gemm.xty(x, dx, y, dy, rows), joined, pendingRows);
    else acc.add(joined, pendingRows);
    pending = [];
    pendingRows = 0;
  };
  const undetected = new Map<string, SkippedItem>();
  const unreadable = new Map<string, SkippedItem>();
  let done = 0;
  let resumedItems = 0;
  let checkpoint: CompareCheckpoint | undefined;
  let lastSave = Date.now();
  let flushedDone = 0;
  if (opts.checkpoint) {
    checkpoint = new CompareCheckpoint(opts.checkpoint, fingerprint(checkpointParameters(opts, slots, { method, maxDims, seed, chunk, flushRows })));
    const prev = await checkpoint.load();
    if (prev) {
      acc.restore(prev.acc);
      for (const s of prev.undetected) undetected.set(s.id, s);
      for (const s of prev.unreadable) unreadable.set(s.id, s);
      for (const [id, f] of prev.kept) kept.set(id, f);
      done = resumedItems = flushedDone = prev.done;
      opts.onProgress?.(done, items.length);
    }
  }
  const save = async (force: boolean) => {
    if (!checkpoint || flushedDone >= items.length) return;
    if (!force && Date.now() - lastSave < (opts.checkpointSeconds ?? 30) * 1000) return;
    await checkpoint.save({ done: flushedDone, acc: acc.snapshot(), undetected: [...undetected.values()], unreadable: [...unreadable.values()], kept });
    lastSave = Date.now();
    await opts.onCheckpoint?.(flushedDone);
  };
  try {
    for (let start = done; start < items.length; start += chunk) {
      const part: DatasetItem[] = items.slice(start, start + chunk);
      const collected: Map<string, RgbImage>[] = [];
      for (const m of models) {
        const got = await collectFaces(part, m.alignment, { detect: opts.detect, cache: opts.cache, cacheDir: opts.cacheDir, fallback: 'centre' });
        for (const s of got.undetected) undetected.set(s.id, s);
        for (const s of got.unreadable) unreadable.set(s.id, s);
        collected.push(new Map(got.faces.map((f) => [f.item.id, f.face])));
      }
      // The faces every model has, in item order.
      const ids = part.map((it) => it.id).filter((id) => collected.every((c) => c.has(id)));
      timer.lap('align');
      if (ids.length > 0) {
        const reduced: Float32Array[] = new Array(slots.length);
        for (const [k, m] of models.entries()) {
          const faces = ids.map((id) => collected[k]!.get(id)!);
          const feats = await layerFeatures(m, faces, layersOf[k]!, { batch: opts.batch, engine: engines[k] });
          slots.forEach((s, i) => {
            if (s.model === k) reduced[i] = s.reducer.apply(feats.get(s.layer.name)!.data, ids.length);
          });
        }
        timer.lap('features');
        pending.push(reduced);
        pendingRows += ids.length;
        ids.forEach((id, r) => {
          if (pairIds.has(id)) kept.set(id, reduced.map((x, i) => x.slice(r * slots[i]!.reducer.outDims, (r + 1) * slots[i]!.reducer.outDims)));
        });
        timer.lap('cka');
      }
      done += part.length;
      if (pendingRows >= flushRows) {
        await flush();
        flushedDone = done;
        await save(false);
      }
      opts.onProgress?.(done, items.length);
    }
    await flush();
    flushedDone = done;
    timer.lap('cka');
  } finally {
    for (const e of engines) await e.release();
    await gemm?.release();
  }
  await checkpoint?.clear();
  if (acc.n < 2) throw new UserError(`compare: only ${acc.n} usable face(s) (${unreadable.size} unreadable)`);

  const info = (i: number): CompareLayerInfo => {
    const s = slots[i]!;
    return { model: models[s.model]!.name, layer: s.layer.name, dims: s.reducer.inDims, usedDims: s.reducer.outDims, reduction: s.reducer.method };
  };
  const cka = rowSlots.map((p) => colSlots.map((q) => acc.cka(p, q)));
  const ckaDebiased = rowSlots.map((p) => colSlots.map((q) => acc.ckaDebiased(p, q)));
  timer.lap('cka');

  let verification: CompareResult['verification'];
  if (pairs) {
    const usable = pairs.filter((p) => kept.has(p.a) && kept.has(p.b));
    const folds = new Set(usable.map((p) => p.fold));
    if (usable.length >= 2 && folds.size >= 2) {
      const ids = [...new Set(usable.flatMap((p) => [p.a, p.b]))];
      const row = new Map(ids.map((id, i) => [id, i]));
      const left = usable.map((p) => row.get(p.a)!);
      const right = usable.map((p) => row.get(p.b)!);
      const labels = usable.map((p) => p.same);
      const foldOf = usable.map((p) => p.fold);
      const layers = slots.map((s, i) => {
        const d = s.reducer.outDims;
        const data = new Float32Array(ids.length * d);
        ids.forEach((id, r) => data.set(kept.get(id)![i]!, r * d));
        const scores = pairCosine({ data, rows: ids.length, cols: d }, left, right);
        const kf = kFoldVerification(scores, labels, foldOf);
        return { model: models[s.model]!.name, layer: s.layer.name, accuracy_mean: kf.accuracy_mean, accuracy_std: kf.accuracy_std, auc: rocAuc(scores, labels) };
      });
      verification = { pairs: usable.length, folds: folds.size, layers };
    }
    timer.lap('verification');
  }
  return {
    rows: rowSlots.map(info),
    cols: colSlots.map(info),
    cka,
    ckaDebiased,
    faces: acc.n,
    undetected: [...undetected.values()],
    unreadable: [...unreadable.values()],
    ...(verification ? { verification } : {}),
    accumulatorEntries: acc.entries,
    resumedItems,
    seconds: timer.seconds(),
  };
}

/**
 * Everything that changes a compare result, down to the float64 summation order (chunk and flush
 * sizes, batch): a checkpoint is reused only by a run with the same fingerprint of these.
 */
function checkpointParameters(opts: CompareOptions, slots: Slot[], o: { method: string; maxDims: number; seed: string; chunk: number; flushRows: number }) {
  return {
    format: 'compare/1',
    models: opts.models.map((m) => ({ name: m.name, onnx: createHash('sha256').update(m.onnx).digest('hex'), preprocessing: m.preprocessing, alignment: m.alignment })),
    slots: slots.map((s) => ({ model: s.model, layer: s.layer.name, reduction: s.reducer.method, dims: s.reducer.outDims })),
    items: createHash('sha256').update(JSON.stringify(opts.dataset.items.map((it) => [it.id, it.path]))).digest('hex'),
    pairs: createHash('sha256').update(JSON.stringify(opts.dataset.pairs ?? [])).digest('hex'),
    ...o,
    batch: opts.batch ?? null,
    detect: opts.detect !== false,
    gemm: opts.gemm ?? 'ort',
  };
}
