/**
 * The weighted layers of a Keras HDF5 file, in model order. Both Keras layouts are read:
 * `model.save()` files keep the weights under `/model_weights`, `save_weights()` files at the root.
 * Either way the weights group lists its layers in the `layer_names` attribute, each layer group
 * lists its weights in `weight_names` (paths relative to the layer group, e.g. `conv1_1/kernel:0`).
 */
import path from 'node:path';
import { UserError } from '../../core/errors.js';
import { H5DatasetClass, H5GroupClass, openHdf5, type H5Dataset, type H5Group } from './hdf5-file.js';

export interface KerasWeight {
  /** Path of the dataset inside its layer group. */
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface KerasLayer {
  name: string;
  weights: KerasWeight[];
}

function stringList(v: unknown): string[] | undefined {
  if (v === null || v === undefined) return undefined;
  const arr = Array.isArray(v) ? v : ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<unknown>) : [v];
  return arr.map((s) => (s instanceof Uint8Array ? new TextDecoder().decode(s) : String(s)));
}

function attrStrings(g: H5Group, name: string): string[] | undefined {
  const a = g.attrs[name];
  return a ? stringList(a.value) : undefined;
}

/** Natural order: conv2d_2 before conv2d_10 (HDF5 lists links alphabetically). */
function naturalSort(names: string[]): string[] {
  return [...names].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

function datasetsUnder(g: H5Group, prefix = ''): string[] {
  const out: string[] = [];
  for (const k of naturalSort(g.keys())) {
    const e = g.get(k);
    if (e instanceof H5DatasetClass) out.push(prefix + k);
    else if (e instanceof H5GroupClass) out.push(...datasetsUnder(e, `${prefix}${k}/`));
  }
  return out;
}

function readWeight(label: string, layer: string, g: H5Group, name: string): KerasWeight {
  const d = g.get(name);
  if (!(d instanceof H5DatasetClass)) throw new UserError(`${label}: layer ${layer}: weight ${name} listed but missing`);
  const ds = d as H5Dataset;
  const shape = ds.shape ?? [];
  const v = ds.value;
  if (!ArrayBuffer.isView(v) || v instanceof DataView || typeof (v as { length?: unknown }).length !== 'number') {
    throw new UserError(`${label}: layer ${layer}: weight ${name} is not a numeric array (dtype ${JSON.stringify(ds.dtype)})`);
  }
  const data = v instanceof Float32Array ? v : Float32Array.from(v as unknown as ArrayLike<number>);
  return { name, shape, data };
}

/** Reads every layer that has weights, in the order of `layer_names` (natural order without it). */
export async function readKerasLayers(file: string): Promise<KerasLayer[]> {
  const label = path.basename(file);
  const f = await openHdf5(file);
  try {
    const mw = f.get('model_weights');
    const root: H5Group = mw instanceof H5GroupClass ? mw : f;
    const names = attrStrings(root, 'layer_names') ?? naturalSort(root.keys());
    const layers: KerasLayer[] = [];
    for (const name of names) {
      const g = root.get(name);
      if (!(g instanceof H5GroupClass)) {
        if (g === null) throw new UserError(`${label}: layer ${name} is listed in layer_names but has no group`);
        continue;
      }
      const weightNames = attrStrings(g, 'weight_names') ?? datasetsUnder(g);
      if (weightNames.length === 0) continue;
      layers.push({ name, weights: weightNames.map((w) => readWeight(label, name, g, w)) });
    }
    return layers;
  } finally {
    f.close();
  }
}
