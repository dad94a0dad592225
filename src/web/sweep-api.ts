/**
 * The explorer's view of the sweep (sweep/ of a results directory), so that every neuron of every
 * swept layer has a page even without an atlas: per layer, statistics of every neuron (for
 * sorting); per neuron, its top-k images with the argmax cell's receptive-field box and a
 * histogram of its projection values. Layer tables are read once and kept in memory (a few MB).
 *   GET /api/sweep/layers                 -> SweepLayersResponse
 *   GET /api/sweep/layer/<L>              -> LayerStatsResponse
 *   GET /api/sweep/neuron/<L>/<k>[?top=n] -> NeuronSweepResponse
 *   GET /api/sweep/image/<row>            -> the swept image file (only items listed in items.json)
 *   GET /api/sweep/face/<row>[?top=n]     -> FaceSweepResponse: per layer the image's most active neurons
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { rfBox } from '../analyses/atlas/patch.js';
import { openSweep, type SweepData, type SweepLayerTable } from '../analyses/sweep/read.js';
import type { FaceSweepResponse, LayerStatsResponse, NeuronStats, NeuronSweepResponse, SweepLayersResponse } from '../results/explorer-index.js';

interface Cache {
  sweep: SweepData;
  tables: Map<string, Promise<{ table: SweepLayerTable; stats: NeuronStats[] }>>;
}

const caches = new Map<string, Promise<Cache | undefined>>();

async function sweepOf(root: string): Promise<Cache | undefined> {
  let c = caches.get(root);
  if (!c) {
    c = openSweep(path.join(root, 'sweep'))
      .then((sweep) => ({ sweep, tables: new Map() }))
      .catch(() => undefined);
    caches.set(root, c);
  }
  return c;
}

/** Forget the cached sweep of `root` (tests; a results folder rewritten while served). */
export function clearSweepCache(root?: string): void {
  if (root) caches.delete(root);
  else caches.clear();
}

/**
 * Statistics of every neuron: mean, variance, max, and selectivity = (max - mean) / (|max| + |mean|)
 * over the swept images (1 = fires on few images, 0 = the same on all).
 */
export function neuronStats(values: Float32Array, rows: number, channels: number): NeuronStats[] {
  const out: NeuronStats[] = [];
  for (let k = 0; k < channels; k++) {
    let sum = 0, sq = 0, max = -Infinity, min = Infinity;
    for (let r = 0; r < rows; r++) {
      const v = values[r * channels + k]!;
      sum += v;
      sq += v * v;
      if (v > max) max = v;
      if (v < min) min = v;
    }
    const mean = rows > 0 ? sum / rows : NaN;
    const variance = rows > 0 ? Math.max(0, sq / rows - mean * mean) : NaN;
    const d = Math.abs(max) + Math.abs(mean);
    out.push({ neuron: k, mean, variance, max, min, selectivity: d > 0 ? (max - mean) / d : 0 });
  }
  return out;
}

/** The sweep of `root` and one of its layer tables (with statistics), if both are there. */
export async function sweepLayer(root: string, layer: string): Promise<{ sweep: SweepData; table: SweepLayerTable; stats: NeuronStats[] } | undefined> {
  const c = await sweepOf(root);
  const t = c && (await layerOf(c, layer));
  return c && t ? { sweep: c.sweep, ...t } : undefined;
}

/** The sweep of `root`, if there is one. */
export async function sweepData(root: string): Promise<SweepData | undefined> {
  return (await sweepOf(root))?.sweep;
}

async function layerOf(c: Cache, name: string): Promise<{ table: SweepLayerTable; stats: NeuronStats[] } | undefined> {
  if (!c.sweep.manifest.layers.some((l) => l.name === name)) return undefined;
  let t = c.tables.get(name);
  if (!t) {
    t = c.sweep.readLayer(name).then((table) => ({ table, stats: neuronStats(table.values, table.rows, table.channels) }));
    c.tables.set(name, t);
    t.catch(() => c.tables.delete(name));
  }
  return t;
}

export async function sweepLayers(root: string): Promise<SweepLayersResponse | undefined> {
  const c = await sweepOf(root);
  if (!c) return undefined;
  const m = c.sweep.manifest;
  return {
    model: m.model.name,
    input: m.model.input,
    items: c.sweep.items.length,
    detect: m.parameters.detect,
    layers: m.layers.map((l) => ({ name: l.name, channels: l.channels, spatial: l.spatial, shape: l.shape, ...(l.rf ? { rf: l.rf.size } : {}) })),
  };
}

export async function layerStats(root: string, layer: string): Promise<LayerStatsResponse | undefined> {
  const c = await sweepOf(root);
  const t = c && (await layerOf(c, layer));
  if (!c || !t) return undefined;
  return { layer, images: t.table.rows, channels: t.table.channels, neurons: t.stats };
}

/** Histogram of `v` on `bins` equal bins over [min, max]. */
export function histogram(v: number[], bins: number): { lo: number; hi: number; counts: number[] } {
  const lo = Math.min(...v), hi = Math.max(...v);
  const counts = new Array<number>(bins).fill(0);
  for (const x of v) counts[hi > lo ? Math.min(bins - 1, Math.floor(((x - lo) / (hi - lo)) * bins)) : 0]!++;
  return { lo, hi, counts };
}

export async function neuronSweep(root: string, layer: string, neuron: number, top = 12): Promise<NeuronSweepResponse | undefined> {
  const c = await sweepOf(root);
  const t = c && (await layerOf(c, layer));
  if (!c || !t || !Number.isInteger(neuron) || neuron < 0 || neuron >= t.table.channels) return undefined;
  const { table } = t;
  const C = table.channels;
  const vals = Array.from({ length: table.rows }, (_, r) => table.values[r * C + neuron]!);
  const order = vals.map((v, r) => ({ v, r })).sort((a, b) => b.v - a.v || a.r - b.r).slice(0, Math.max(1, Math.min(100, top)));
  const info = table.layer;
  const input = c.sweep.manifest.model.input;
  const samples = order.map(({ v, r }, i) => {
    const item = c.sweep.items[r]!;
    let box: NeuronSweepResponse['top'][number]['box'];
    if (table.argmax && info.rf && info.shape.length === 3) {
      const cell = table.argmax[r * C + neuron]!;
      try {
        const b = rfBox(info.rf, cell, info.shape[2]!, input).box;
        box = { x0: b.x0, y0: b.y0, x1: b.x1, y1: b.y1 };
      } catch {
        box = undefined;
      }
    }
    return { rank: i + 1, row: r, id: item.id, ...(item.identity ? { identity: item.identity } : {}), value: v, ...(box ? { box } : {}) };
  });
  const s = t.stats[neuron]!;
  return {
    layer,
    neuron,
    channels: C,
    images: table.rows,
    input,
    boxesOnImage: c.sweep.manifest.parameters.detect === false,
    stats: s,
    rank: { variance: 1 + t.stats.filter((x) => x.variance > s.variance).length },
    histogram: histogram(vals, 24),
    top: samples,
  };
}

/**
 * The file of sweep item `row` (where the dataset reader found it: its root, or root/images for
 * LFW and CFP, + id), if it is a plain file inside the dataset root.
 */
export async function sweepImageFile(root: string, row: number): Promise<string | undefined> {
  const c = await sweepOf(root);
  const item = c?.sweep.items[row];
  if (!c || !item) return undefined;
  const base = path.resolve(c.sweep.manifest.dataset.root);
  // atlas.ts is heavy (the model engines); loaded on the first image request only.
  const { sweptItemPath } = await import('../analyses/atlas/atlas.js');
  const file = await sweptItemPath(c.sweep.manifest, item.id);
  if (file !== base && !file.startsWith(base + path.sep)) return undefined;
  try {
    return (await stat(file)).isFile() ? file : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Per swept layer, the `top` neurons with the highest projection value on image `row` (ties by
 * neuron number; `by: 'relative'`: the highest value / the neuron's max over the sweep), each with the argmax cell's RF box (aligned-crop pixels) and the image's rank
 * among all swept images for that neuron (1 = the neuron's best image).
 */
export async function faceSweep(root: string, row: number, top = 6, by: 'value' | 'relative' = 'value'): Promise<FaceSweepResponse | undefined> {
  const c = await sweepOf(root);
  const item = c?.sweep.items[row];
  if (!c || !item || !Number.isInteger(row)) return undefined;
  const k = Math.max(1, Math.min(32, top));
  const input = c.sweep.manifest.model.input;
  const layers: FaceSweepResponse['layers'] = [];
  for (const l of c.sweep.manifest.layers) {
    const t = await layerOf(c, l.name);
    if (!t) continue;
    const { table } = t;
    const C = table.channels;
    const mine = table.values.subarray(row * C, (row + 1) * C);
    // 'relative': value / the neuron's max over the sweep (neurons for which this face is among their best)
    const key = (v: number, n: number) => (by === 'relative' ? (t.stats[n]!.max > 0 ? v / t.stats[n]!.max : -Infinity) : v);
    const order = Array.from(mine, (v, n) => ({ v, n, s: key(v, n) })).sort((a, b) => b.s - a.s || a.n - b.n).slice(0, k);
    const neurons = order.map(({ v, n }) => {
      let rank = 1;
      for (let r = 0; r < table.rows; r++) if (table.values[r * C + n]! > v) rank++;
      let box: FaceSweepResponse['layers'][number]['neurons'][number]['box'];
      let cell: number | undefined;
      if (table.argmax && table.layer.rf && table.layer.shape.length === 3) {
        cell = table.argmax[row * C + n]!;
        try {
          const b = rfBox(table.layer.rf, cell, table.layer.shape[2]!, input).box;
          box = { x0: b.x0, y0: b.y0, x1: b.x1, y1: b.y1 };
        } catch {
          box = undefined;
        }
      }
      return { neuron: n, value: v, max: t.stats[n]!.max, rank, ...(cell !== undefined ? { cell } : {}), ...(box ? { box } : {}) };
    });
    layers.push({ layer: l.name, channels: C, spatial: l.spatial, neurons });
  }
  return {
    row,
    by,
    id: item.id,
    ...(item.identity ? { identity: item.identity } : {}),
    images: c.sweep.items.length,
    input,
    ...(row > 0 ? { prev: row - 1 } : {}),
    ...(row + 1 < c.sweep.items.length ? { next: row + 1 } : {}),
    layers,
  };
}

/** The swept images (row, id, identity), for the face picker. */
export async function sweepFaces(root: string): Promise<{ row: number; id: string; identity?: string }[] | undefined> {
  const c = await sweepOf(root);
  return c?.sweep.items.map((it) => ({ row: it.row, id: it.id, ...(it.identity ? { identity: it.identity } : {}) }));
}
