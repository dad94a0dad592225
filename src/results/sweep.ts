/**
 * The on-disk sweep format (`facelens-sweep/1`), shared by the writer, the merger and readers:
 *   manifest.json                 parameters (model, layers, preprocessing, dataset, shard)
 *   items.json                    [{row, id, identity?, label?}] in row order
 *   skipped.json                  [{id, path, reason}]
 *   layers/<layer>.values.npy     float32 [rows x channels]  projection values
 *   layers/<layer>.argmax.npy     int32   [rows x channels]  flat argmax cell (spatial layers)
 *   journal.jsonl                 progress while running (removed when complete)
 * No dates or timings go into these files, so an interrupted-and-resumed sweep, a sharded-and-
 * merged one and an uninterrupted one end byte-identical. Run times go to run-log.jsonl.
 */
import path from 'node:path';
import type { ModelSpec, ProbeLayer, ReceptiveField } from '../models/face-model.js';

export const SWEEP_FORMAT = 'facelens-sweep/1';

export interface SweepLayerInfo {
  name: string;
  kind: ProbeLayer['kind'];
  /** Per-image shape of the layer ([C, H, W] or [D]). */
  shape: number[];
  channels: number;
  spatial: boolean;
  rf?: ReceptiveField;
}

export interface SweepManifest {
  format: typeof SWEEP_FORMAT;
  status: 'running' | 'complete';
  model: { name: string; spec?: ModelSpec; input: { width: number; height: number }; preprocessing: unknown; alignment: unknown };
  /** fingerprint: a hash of the item ids in order (see cluster/shard.ts). */
  dataset: { kind: string; root: string; items: number; fingerprint?: string };
  shard: { index: number; count: number; start: number; end: number };
  layers: SweepLayerInfo[];
  parameters: { detect: boolean; batch: number; projectionValue: string; argmax: string };
}

export interface SweepItem {
  row: number;
  id: string;
  identity?: string;
  label?: string;
}

export const sweepFiles = (dir: string) => ({
  manifest: path.join(dir, 'manifest.json'),
  items: path.join(dir, 'items.json'),
  skipped: path.join(dir, 'skipped.json'),
  journal: path.join(dir, 'journal.jsonl'),
  runLog: path.join(dir, 'run-log.jsonl'),
  values: (layer: string) => path.join(dir, 'layers', `${layer}.values.npy`),
  argmax: (layer: string) => path.join(dir, 'layers', `${layer}.argmax.npy`),
});

export { shardRange } from '../cluster/shard.js';
