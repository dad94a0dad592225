/**
 * Image inits for activation maximisation (paper Fig. 7): the pixel-wise mean of a set of
 * faces of a finished sweep. `meanTopNImage` averages a neuron's top-n (default 9) faces;
 * facets.ts averages the top-9 of one t-SNE cluster. Faces are re-aligned as the sweep did
 * (same detect flag), with the image paths recovered from the sweep manifest exactly as the
 * atlas does.
 */
import { UserError } from '../../core/errors.js';
import type { DatasetItem, SkippedItem } from '../../data/dataset.js';
import { isFile } from '../../data/datasets/util.js';
import { alignedFaces } from '../../data/faces.js';
import { rgbImage, type RgbImage } from '../../data/image.js';
import { resizeRgb } from '../../data/image-io.js';
import type { FaceModel } from '../../models/face-model.js';
import { sweptItemPath } from '../atlas/atlas.js';
import { openSweep, type SweepData } from '../sweep/read.js';
import { topSamples } from '../sweep/topn.js';

export interface MeanTopNInit {
  image: RgbImage;
  ids: string[];
  values: number[];
}

export interface MeanImageOptions {
  model: FaceModel;
  cache?: boolean;
  cacheDir?: string;
}

/** Opens a sweep and checks it was made with `model`. */
export async function openSweepFor(sweepDir: string, model: FaceModel): Promise<SweepData> {
  const sw = await openSweep(sweepDir);
  if (sw.manifest.model.name !== model.name) throw new UserError(`the sweep was made with model ${sw.manifest.model.name}, not ${model.name}`);
  return sw;
}

/** Pixel-wise mean (rounded to 8 bits) of the aligned faces of the sweep items `ids`. */
export async function meanOfSweptFaces(sw: SweepData, ids: string[], opts: MeanImageOptions): Promise<RgbImage> {
  const items: DatasetItem[] = [];
  for (const id of ids) {
    const p = await sweptItemPath(sw.manifest, id);
    if (!(await isFile(p))) throw new UserError(`image ${id} of the sweep is not at ${p} any more`);
    items.push({ id, path: p });
  }
  const skipped: SkippedItem[] = [];
  const faces: RgbImage[] = [];
  for await (const f of alignedFaces(items, opts.model.alignment, {
    detect: sw.manifest.parameters.detect,
    cache: opts.cache ?? true,
    cacheDir: opts.cacheDir,
    onSkip: (s) => skipped.push(s),
  })) {
    faces.push(f.face);
  }
  if (faces.length === 0) throw new UserError(`none of the ${ids.length} images could be aligned (${skipped[0]?.reason ?? 'unknown'})`);
  const { width, height } = opts.model.inputSize;
  const sum = new Float64Array(width * height * 3);
  for (const f of faces) {
    const r = f.width === width && f.height === height ? f : await resizeRgb(f, width, height);
    for (let i = 0; i < sum.length; i++) sum[i] += r.data[i];
  }
  const out = new Uint8Array(sum.length);
  for (let i = 0; i < sum.length; i++) out[i] = Math.round(sum[i] / faces.length);
  return rgbImage(width, height, out);
}

export async function meanTopNImage(
  opts: MeanImageOptions & { sweepDir: string; layer: string; neuron: number; n?: number },
): Promise<MeanTopNInit> {
  const sw = await openSweepFor(opts.sweepDir, opts.model);
  const table = await sw.readLayer(opts.layer);
  if (table.rows === 0) throw new UserError(`sweep ${opts.sweepDir} has no images`);
  if (opts.neuron >= table.channels) throw new UserError(`neuron ${opts.neuron} out of range 0..${table.channels - 1}`);
  const tops = topSamples(table, sw.items, [opts.neuron], opts.n ?? 9).get(opts.neuron)!;
  const ids = tops.map((t) => t.id);
  return { image: await meanOfSweptFaces(sw, ids, opts), ids, values: tops.map((t) => t.value) };
}
