/** Reading a finished sweep (see format.ts). */
import { UserError } from '../../core/errors.js';
import type { SkippedItem } from '../../data/dataset.js';
import { readJson } from '../../io/json.js';
import { readNpy } from '../../io/npy.js';
import { SWEEP_FORMAT, sweepFiles, type SweepItem, type SweepLayerInfo, type SweepManifest } from '../../results/sweep.js';

export interface SweepLayerTable {
  layer: SweepLayerInfo;
  rows: number;
  channels: number;
  /** [rows x channels] projection values. */
  values: Float32Array;
  /** [rows x channels] flat argmax cells (spatial layers only). */
  argmax?: Int32Array;
}

export interface SweepData {
  dir: string;
  manifest: SweepManifest;
  items: SweepItem[];
  skipped: SkippedItem[];
  readLayer(name: string): Promise<SweepLayerTable>;
}

export async function openSweep(dir: string): Promise<SweepData> {
  const files = sweepFiles(dir);
  let manifest: SweepManifest;
  try {
    manifest = await readJson<SweepManifest>(files.manifest);
  } catch (e) {
    throw new UserError(`${dir} is not a facelens sweep (${(e as Error).message})`);
  }
  if (manifest.format !== SWEEP_FORMAT) throw new UserError(`${files.manifest}: unknown format ${String(manifest.format)}`);
  if (manifest.status !== 'complete') throw new UserError(`${dir}: the sweep is not complete; rerun the same \`facelens sweep\` command to resume it`);
  const items = await readJson<SweepItem[]>(files.items);
  const skipped = await readJson<SkippedItem[]>(files.skipped);
  return {
    dir,
    manifest,
    items,
    skipped,
    async readLayer(name: string): Promise<SweepLayerTable> {
      const layer = manifest.layers.find((l) => l.name === name);
      if (!layer) throw new UserError(`sweep ${dir} has no layer "${name}"; it has ${manifest.layers.map((l) => l.name).join(', ')}`);
      const v = await readNpy(files.values(name));
      const rows = v.shape[0];
      if (rows !== items.length || v.shape[1] !== layer.channels) {
        throw new UserError(`${files.values(name)}: shape [${v.shape}] does not match ${items.length} items x ${layer.channels} channels`);
      }
      const argmax = layer.spatial ? ((await readNpy(files.argmax(name))).data as Int32Array) : undefined;
      return { layer, rows, channels: layer.channels, values: v.data as Float32Array, argmax };
    },
  };
}
