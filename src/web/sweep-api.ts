/**
 * The explorer's view of the sweep (sweep/ of a results directory), so that every neuron of every
 * swept layer has a page even without an atlas: per layer, statistics of every neuron (for
 * sorting); per neuron, its top-k images with the argmax cell's receptive-field box and a
 * histogram of its projection values. Layer tables are read once and kept in memory (a few MB).
 *   GET /api/sweep/layers                 -> SweepLayersResponse
 *   GET /api/sweep/layer/<L>              -> LayerStatsResponse
 *   GET /api/sweep/neuron/<L>/<k>[?top=n] -> NeuronSweepResponse
 *   GET /api/sweep/image/<row>            -> the swept image file (only items listed in items.json)
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { rfBox } from '../analyses/atlas/patch.js';
import { openSweep, type SweepData, type SweepLayerTable } from '../analyses/sweep/read.js';
import type { LayerStatsResponse, NeuronStats, NeuronSweepResponse, SweepLayersResponse } from '../results/explorer-index.js';

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

/** The file of sweep item `row` (its dataset root + id), if it is a plain file there. */
export async function sweepImageFile(root: string, row: number): Promise<string | undefined> {
  const c = await sweepOf(root);
  const item = c?.sweep.items[row];
  if (!c || !item) return undefined;
  const base = path.resolve(c.sweep.manifest.dataset.root);
  const file = path.resolve(base, item.id);
  if (file !== base && !file.startsWith(base + path.sep)) return undefined;
  try {
    return (await stat(file)).isFile() ? file : undefined;
  } catch {
    return undefined;
  }
}
