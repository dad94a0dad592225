/**
 * Deconvnet projections computed on demand by `facelens serve`, for neurons the atlas lacks and
 * for the per-face view: one swept image, one neuron, projected back to pixels at the image's
 * argmax cell (projection.ts, the atlas's own code path), rendered as the atlas tile
 * `[RF patch | 0.8 projection + 0.2 patch]` and cached on disk.
 *
 * Cache (atomic writes, io/atomic.ts), keyed by model / layer / neuron / mode / image:
 *   <cacheDir>/<model>/<layer>/<neuron>/<mode>/<image key>.png    the tile
 *   <cacheDir>/<model>/<layer>/<neuron>/<mode>/<image key>.json   cell, RF box, forward value vs sweep value, display range
 * The image key is a hash of the dataset root, the item id, the detect flag and the source file's
 * size and mtime, so a changed file or dataset gets a new entry. The aligned crops shown by the
 * face view are cached beside them (<cacheDir>/<model>/aligned/<image key>.png).
 *
 * Display: unlike the atlas (one min/max per neuron over all its tiles), each on-demand tile is
 * rescaled on its own min/max (over its RF box and three channels), since tiles are made one at a
 * time; the JSON records the range.
 *
 * Errors a page should show plainly (ProjectionUnavailable, with an HTTP status): the model
 * cannot be loaded (503), the swept image is gone or no longer aligns (410), the neuron or
 * image is not in the sweep (404).
 *
 * The model engines and heavy modules are loaded on first use (dynamic import), so `serve`
 * starts fast; computations run one at a time (a request queue that takes next the waiting job
 * of the layer and mode whose engine was used last, so a page asking for many layers at once
 * does not rebuild engines back and forth), and requests for the same tile share one computation.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import type { RgbImage } from '../data/image.js';
import type { GradientEngine } from '../engine/ort/grad-engine.js';
import type { FaceModel } from '../models/face-model.js';
import type { SweepData, SweepLayerTable } from '../analyses/sweep/read.js';
import { PROJECTION_MODES as MODES, type ProjectionMode } from '../results/neuron-atlas.js';
import { sweepData, sweepLayer } from './sweep-api.js';

export const PROJECTION_CACHE_FORMAT = 'facelens-explorer-projection/1';
/** Pixels of each half of an on-demand tile (tiles are 2 * TILE x TILE). */
export const TILE = 96;
/** Gradient engines kept open (one per layer and mode). */
const MAX_ENGINES = 2;

export class ProjectionUnavailable extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface ProjectionServiceOptions {
  /** The results folder (its sweep/ is read). */
  root: string;
  /** Where tiles are cached (default `<root>/.facelens-cache/projections`). */
  cacheDir?: string;
  /** The model to use instead of loading the sweep's (tests; must be the same network). */
  model?: FaceModel;
  /** Use the aligned-face cache when re-aligning swept images (default true). */
  faceCache?: boolean;
}

export interface ProjectionRecord {
  format: typeof PROJECTION_CACHE_FORMAT;
  model: string;
  layer: string;
  neuron: number;
  mode: ProjectionMode;
  row: number;
  id: string;
  /** Flat argmax cell of the neuron on this image (spatial layers). */
  cell?: number;
  /** RF box of that cell in the aligned crop (the tile's patch); the whole crop for vector layers. */
  box: { x0: number; y0: number; x1: number; y1: number };
  /** The sweep's projection value and the value of the forward pass the projection used. */
  sweepValue: number;
  forwardValue: number;
  display: { lo: number; hi: number; rule: string };
  tile: { width: number; height: number };
}

export interface ProjectionTile {
  png: Buffer;
  record: ProjectionRecord;
  /** True when served from the on-disk cache. */
  cached: boolean;
  file: string;
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_');

export function defaultProjectionCache(root: string): string {
  return path.join(root, '.facelens-cache', 'projections');
}

export function parseMode(m: string | null | undefined): ProjectionMode {
  if (m === null || m === undefined || m === '') return 'deconv';
  if (!(MODES as readonly string[]).includes(m)) throw new ProjectionUnavailable(400, `mode must be one of ${MODES.join(', ')}, got "${m}"`);
  return m as ProjectionMode;
}

export class ProjectionService {
  readonly root: string;
  readonly cacheDir: string;
  private model?: Promise<FaceModel>;
  private readonly engines = new Map<string, Promise<GradientEngine>>();
  private readonly inflight = new Map<string, Promise<ProjectionTile>>();
  private readonly waiting: { group: string; run: () => Promise<void> }[] = [];
  private busy = false;
  private lastGroup = '';

  constructor(private readonly opts: ProjectionServiceOptions) {
    this.root = opts.root;
    this.cacheDir = opts.cacheDir ?? defaultProjectionCache(opts.root);
  }

  /**
   * Runs `f` when no other computation runs (one model computation at a time); among waiting
   * jobs, those of `group` (the engine they need) equal to the last one run go first.
   */
  private serial<T>(f: () => Promise<T>, group = ''): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ group, run: () => Promise.resolve().then(f).then(resolve, reject) });
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      while (this.waiting.length > 0) {
        const i = Math.max(0, this.waiting.findIndex((j) => j.group === this.lastGroup));
        const [job] = this.waiting.splice(i, 1);
        this.lastGroup = job!.group;
        await job!.run();
      }
    } finally {
      this.busy = false;
    }
  }

  private async sweep(): Promise<SweepData> {
    const sw = await sweepData(this.root);
    if (!sw) throw new ProjectionUnavailable(404, 'this results folder has no readable sweep (sweep/manifest.json)');
    return sw;
  }

  private loadModel(sw: SweepData): Promise<FaceModel> {
    this.model ??= (async () => {
      if (this.opts.model) return this.opts.model;
      const { loadModelSpec } = await import('../models/registry.js');
      const m = sw.manifest.model;
      try {
        return await loadModelSpec(m.spec, m.name);
      } catch (e) {
        throw new ProjectionUnavailable(503, `model ${m.name} of the sweep cannot be loaded here (${(e as Error).message.split('\n')[0]}); projections need the model`);
      }
    })();
    this.model.catch(() => (this.model = undefined));
    return this.model;
  }

  private async engine(model: FaceModel, tensor: string, mode: ProjectionMode): Promise<GradientEngine> {
    const key = `${tensor}\u0000${mode}`;
    let e = this.engines.get(key);
    if (e) {
      // most recently used last
      this.engines.delete(key);
      this.engines.set(key, e);
      return e;
    }
    const { createGradientEngine } = await import('../engine/ort/grad-engine.js');
    e = createGradientEngine(model, { output: tensor, rule: mode });
    e.catch(() => this.engines.delete(key));
    this.engines.set(key, e);
    while (this.engines.size > MAX_ENGINES) {
      const [old, oldE] = this.engines.entries().next().value as [string, Promise<GradientEngine>];
      this.engines.delete(old);
      void oldE.then((x) => x.release()).catch(() => undefined);
    }
    return e;
  }

  /** The swept item of `row`, its file and its cache key. */
  private async item(sw: SweepData, row: number): Promise<{ id: string; file: string; key: string }> {
    const item = sw.items[row];
    if (!item) throw new ProjectionUnavailable(404, `the sweep has no image ${row} (it has ${sw.items.length})`);
    const { sweptItemPath } = await import('../analyses/atlas/atlas.js');
    const file = await sweptItemPath(sw.manifest, item.id);
    const st = await stat(file).catch(() => undefined);
    if (!st?.isFile()) throw new ProjectionUnavailable(410, `image ${item.id} of the sweep is not at ${file} any more (dataset ${sw.manifest.dataset.kind} at ${sw.manifest.dataset.root}); projections need the swept images`);
    const key = createHash('sha256')
      .update(JSON.stringify([path.resolve(sw.manifest.dataset.root), item.id, sw.manifest.parameters.detect, st.size, st.mtimeMs]))
      .digest('hex')
      .slice(0, 24);
    return { id: item.id, file, key };
  }

  /** The aligned crop of a swept image, exactly as the sweep aligned it. */
  private async alignedFace(sw: SweepData, model: FaceModel, id: string, file: string): Promise<RgbImage> {
    const { alignedFaces } = await import('../data/faces.js');
    let why = '';
    for await (const f of alignedFaces([{ id, path: file }], model.alignment, { detect: sw.manifest.parameters.detect, cache: this.opts.faceCache ?? true, onSkip: (s) => (why = s.reason) })) {
      return f.face;
    }
    throw new ProjectionUnavailable(410, `image ${id} was swept but cannot be aligned now (${why || 'no face'}); has the dataset changed?`);
  }

  private modelDir(sw: SweepData): string {
    return path.join(this.cacheDir, safe(sw.manifest.model.name));
  }

  /** PNG of the aligned crop of sweep image `row` (cached). */
  async aligned(row: number): Promise<Buffer> {
    const sw = await this.sweep();
    const it = await this.item(sw, row);
    const file = path.join(this.modelDir(sw), 'aligned', `${it.key}.png`);
    const hit = await readFile(file).catch(() => undefined);
    if (hit) return hit;
    return this.serial(async () => {
      const model = await this.loadModel(sw);
      const face = await this.alignedFace(sw, model, it.id, it.file);
      const { encodePng } = await import('../data/image-io.js');
      const png = await encodePng(face);
      await writeFileAtomic(file, png, { sync: false });
      return png;
    });
  }

  /** The tile of `neuron` of `layer` on sweep image `row`: from the cache, else computed and cached. */
  async tile(layer: string, neuron: number, row: number, mode: ProjectionMode = 'deconv'): Promise<ProjectionTile> {
    const sw = await this.sweep();
    const t = await sweepLayer(this.root, layer);
    if (!t) throw new ProjectionUnavailable(404, `the sweep has no layer "${layer}"`);
    if (!(Number.isInteger(neuron) && neuron >= 0 && neuron < t.table.channels)) throw new ProjectionUnavailable(404, `${layer} has neurons 0-${t.table.channels - 1}`);
    const it = await this.item(sw, row);
    const dir = path.join(this.modelDir(sw), safe(layer), String(neuron), mode);
    const pngFile = path.join(dir, `${it.key}.png`);
    const jsonFile = path.join(dir, `${it.key}.json`);
    const [png, json] = await Promise.all([readFile(pngFile).catch(() => undefined), readFile(jsonFile, 'utf8').catch(() => undefined)]);
    if (png && json) {
      try {
        const record = JSON.parse(json) as ProjectionRecord;
        if (record.format === PROJECTION_CACHE_FORMAT) return { png, record, cached: true, file: pngFile };
      } catch {
        // a damaged record: computed again below
      }
    }
    const key = pngFile;
    let p = this.inflight.get(key);
    if (!p) {
      p = this.serial(() => this.compute(sw, t.table, layer, neuron, row, mode, it, pngFile, jsonFile), `${layer}\u0000${mode}`).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  private async compute(
    sw: SweepData,
    table: SweepLayerTable,
    layer: string,
    neuron: number,
    row: number,
    mode: ProjectionMode,
    it: { id: string; file: string },
    pngFile: string,
    jsonFile: string,
  ): Promise<ProjectionTile> {
    const model = await this.loadModel(sw);
    const { findProbe } = await import('../models/face-model.js');
    const { projectDetailed } = await import('../analyses/atlas/projection.js');
    const { rfBox, displayRange, makeTile } = await import('../analyses/atlas/patch.js');
    const { encodePng } = await import('../data/image-io.js');
    let probe;
    try {
      probe = findProbe(model, layer);
    } catch (e) {
      throw new ProjectionUnavailable(404, `model ${model.name} has no probe layer "${layer}" (${(e as Error).message})`);
    }
    const spatial = probe.shape.length === 3;
    const C = table.channels;
    const cell = spatial ? (table.argmax?.[row * C + neuron] ?? 0) : 0;
    const face = await this.alignedFace(sw, model, it.id, it.file);
    const engine = await this.engine(model, probe.tensor, mode);
    const pr = await projectDetailed({ engine, model, layer: probe.name, neuron, faces: [face], cells: [cell], mode, batch: 1 });
    const { width, height } = model.inputSize;
    const box = spatial && probe.rf ? rfBox(probe.rf, cell, probe.shape[2], model.inputSize).box : { x0: 0, y0: 0, x1: width - 1, y1: height - 1 };
    const range = displayRange(pr.maps, [box], width, height);
    const img = await makeTile(face, pr.maps[0]!, box, range, TILE, 'contain');
    const png = await encodePng(img);
    const record: ProjectionRecord = {
      format: PROJECTION_CACHE_FORMAT,
      model: model.name,
      layer,
      neuron,
      mode,
      row,
      id: it.id,
      ...(spatial ? { cell } : {}),
      box: { x0: box.x0, y0: box.y0, x1: box.x1, y1: box.y1 },
      sweepValue: table.values[row * C + neuron]!,
      forwardValue: pr.values[0]!,
      display: { lo: range.lo, hi: range.hi, rule: 'this tile alone: min/max over its RF box and three channels -> 0..255' },
      tile: { width: img.width, height: img.height },
    };
    // The PNG first, the record last: a record on disk means a complete entry.
    await writeFileAtomic(pngFile, png, { sync: false });
    await writeFileAtomic(jsonFile, JSON.stringify(record, null, 2) + '\n', { sync: false });
    return { png, record, cached: false, file: pngFile };
  }

  async close(): Promise<void> {
    const all = [...this.engines.values()];
    this.engines.clear();
    await Promise.all(all.map((e) => e.then((x) => x.release()).catch(() => undefined)));
  }
}
