/** Reading a finished sweep (see format.ts). */
import { UserError } from '../../core/errors.js';
import type { SkippedItem } from '../../data/dataset.js';
import { readJson } from '../../io/json.js';
import { readNpy } from '../../io/npy.js';
import { sweepFiles, type SweepItem, type SweepLayerInfo, type SweepManifest } from '../../results/sweep.js';
import { validateSkipped, validateSweepItems, validateSweepManifest } from '../../results/sweep-validate.js';

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
  let raw: unknown;
  try {
    raw = await readJson<unknown>(files.manifest);
  } catch (e) {
    throw new UserError(`${dir} is not a facelens sweep (${(e as Error).message})`);
  }
  const manifest = validateSweepManifest(files.manifest, raw);
  if (manifest.status !== 'complete') throw new UserError(`${dir}: the sweep is not complete; rerun the same \`facelens sweep\` command to resume it`);
  const items = validateSweepItems(files.items, await readJson<unknown>(files.items));
  const skipped = validateSkipped(files.skipped, await readJson<unknown>(files.skipped));
  return {
    dir,
    manifest,
    items,
    skipped,
    async readLayer(name: string): Promise<SweepLayerTable> {
      const layer = manifest.layers.find((l) => l.name === name);
      if (!layer) throw new UserError(`sweep ${dir} has no layer "${name}"; it has ${manifest.layers.map((l) => l.name).join(', ')}`);
      const read = async (file: string, dtype: string) => {
        let a;
        try {
          a = await readNpy(file);
        } catch (e) {
          throw new UserError(`${file}: ${(e as Error).message.split('\n')[0]}`);
        }
        if (a.shape.length !== 2 || a.shape[0] !== items.length || a.shape[1] !== layer.channels) {
          throw new UserError(`${file}: shape [${a.shape}] does not match ${items.length} items x ${layer.channels} channels`);
        }
        if (a.dtype !== dtype) throw new UserError(`${file}: dtype ${a.dtype}, expected ${dtype}`);
        return a;
      };
      const v = await read(files.values(name), 'float32');
      const rows = v.shape[0];
      const argmax = layer.spatial ? ((await read(files.argmax(name), 'int32')).data as Int32Array) : undefined;
      return { layer, rows, channels: layer.channels, values: v.data as Float32Array, argmax };
    },
  };
}
