/**
 * A folder of per-layer face features (`facelens-features/1`): the feature step of `verify` or
 * `pose` written to disk, so that shards of a cluster run (`verify --shard`) compute it in parts,
 * `facelens merge` joins them, and `verify|pose --features DIR` computes the metrics from the whole:
 *   manifest.json            command, model, dataset (with the hash of its item ids), parameters, layers, shard
 *   faces.json               {ids: row order, undetected, unreadable, crops?}
 *   layers/<layer>.npy       float32 [rows x cols]
 * manifest.json is written last and removed first when a shard is rerun: no manifest, no store.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import { checkShardSet } from '../cluster/shard-set.js';
import type { SkippedItem } from '../data/dataset.js';
import { readJson, writeJsonAtomic } from '../io/json.js';
import { readNpy, writeNpy } from '../io/npy.js';
import type { FeatureMatrix } from './metrics/matrix.js';

export const FEATURE_STORE_FORMAT = 'facelens-features/1';

export interface FeatureStoreManifest {
  format: typeof FEATURE_STORE_FORMAT;
  command: string;
  model: { name: string; spec?: unknown; alignment: unknown };
  dataset: { kind: string; root: string; items: number; fingerprint: string };
  layers: { name: string; cols: number }[];
  parameters: Record<string, unknown>;
  shard: { index: number; count: number; start: number; end: number };
}

export interface FeatureStore {
  manifest: FeatureStoreManifest;
  ids: string[];
  undetected: SkippedItem[];
  unreadable: SkippedItem[];
  /** How each row's crop was made (pose keeps it), in row order. */
  crops?: string[];
  layers: Map<string, FeatureMatrix>;
}

const files = (dir: string) => ({
  manifest: path.join(dir, 'manifest.json'),
  faces: path.join(dir, 'faces.json'),
  layer: (name: string) => path.join(dir, 'layers', `${name}.npy`),
});

export async function writeFeatureStore(dir: string, store: FeatureStore): Promise<void> {
  const f = files(dir);
  await rm(f.manifest, { force: true });
  await mkdir(path.join(dir, 'layers'), { recursive: true });
  for (const l of store.manifest.layers) {
    const m = store.layers.get(l.name)!;
    await writeNpy(f.layer(l.name), m.data, [m.rows, m.cols]);
  }
  await writeJsonAtomic(f.faces, { ids: store.ids, undetected: store.undetected, unreadable: store.unreadable, ...(store.crops ? { crops: store.crops } : {}) });
  await writeJsonAtomic(f.manifest, store.manifest);
}

export async function readFeatureStoreManifest(dir: string): Promise<FeatureStoreManifest> {
  const m = await readJson<FeatureStoreManifest>(files(dir).manifest).catch((e: Error) => {
    throw new UserError(`${dir} is not a finished facelens feature folder (${e.message})`);
  });
  if (m.format !== FEATURE_STORE_FORMAT) throw new UserError(`${files(dir).manifest}: not a feature folder (format ${String(m.format)})`);
  return m;
}

export async function readFeatureStore(dir: string): Promise<FeatureStore> {
  const manifest = await readFeatureStoreManifest(dir);
  const f = files(dir);
  const faces = await readJson<{ ids: string[]; undetected: SkippedItem[]; unreadable: SkippedItem[]; crops?: string[] }>(f.faces);
  const layers = new Map<string, FeatureMatrix>();
  for (const l of manifest.layers) {
    const a = await readNpy(f.layer(l.name));
    if (a.shape[0] !== faces.ids.length || a.shape[1] !== l.cols || !(a.data instanceof Float32Array)) {
      throw new UserError(`${f.layer(l.name)}: [${a.shape}] ${a.dtype}, expected float32 [${faces.ids.length} x ${l.cols}]`);
    }
    layers.set(l.name, { data: a.data, rows: a.shape[0], cols: l.cols });
  }
  return { manifest, ...faces, layers };
}

/** Joins complete shards of one feature step; rows in shard order. */
export async function mergeFeatureStores(dirs: string[], out: string): Promise<{ rows: number; skipped: number }> {
  const metas = await Promise.all(
    dirs.map(async (dir) => {
      const manifest = await readFeatureStoreManifest(dir);
      return { dir, manifest, index: manifest.shard.index, count: manifest.shard.count, run: { ...manifest, shard: undefined } };
    }),
  );
  const shards = checkShardSet(metas, 'feature step');
  const parts = await Promise.all(shards.map((s) => readFeatureStore(s.dir)));
  parts.forEach((p, i) => {
    const { start, end } = p.manifest.shard;
    if (p.ids.length + p.unreadable.length !== end - start) throw new UserError(`${shards[i].dir}: incomplete shard; rerun it`);
  });
  const first = parts[0].manifest;
  const rows = parts.reduce((n, p) => n + p.ids.length, 0);
  const layers = new Map<string, FeatureMatrix>();
  for (const l of first.layers) {
    const data = new Float32Array(rows * l.cols);
    let at = 0;
    for (const p of parts) {
      const m = p.layers.get(l.name)!;
      data.set(m.data, at);
      at += m.data.length;
    }
    layers.set(l.name, { data, rows, cols: l.cols });
  }
  const store: FeatureStore = {
    manifest: { ...first, shard: { index: 0, count: 1, start: 0, end: first.dataset.items } },
    ids: parts.flatMap((p) => p.ids),
    undetected: parts.flatMap((p) => p.undetected),
    unreadable: parts.flatMap((p) => p.unreadable),
    ...(parts.every((p) => p.crops) ? { crops: parts.flatMap((p) => p.crops!) } : {}),
    layers,
  };
  await writeFeatureStore(out, store);
  return { rows, skipped: store.unreadable.length };
}
