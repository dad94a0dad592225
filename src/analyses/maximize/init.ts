/**
 * Multifaceted-style init (paper Fig. 7): the pixel-wise mean of the top-n (default 9) faces of a
 * neuron in a finished sweep. Faces are re-aligned as the sweep did (same detect flag), with the
 * image paths recovered from the sweep manifest exactly as the atlas does.
 */
import { UserError } from '../../cli/errors.js';
import type { DatasetItem, SkippedItem } from '../../data/dataset.js';
import { isFile } from '../../data/datasets/util.js';
import { alignedFaces } from '../../data/faces.js';
import { rgbImage, type RgbImage } from '../../data/image.js';
import { resizeRgb } from '../../data/image-io.js';
import type { FaceModel } from '../../models/face-model.js';
import { sweptItemPath } from '../atlas/atlas.js';
import { openSweep } from '../sweep/read.js';
import { topSamples } from '../sweep/topn.js';

export interface MeanTopNInit {
  image: RgbImage;
  ids: string[];
  values: number[];
}

export async function meanTopNImage(opts: {
  sweepDir: string;
  layer: string;
  neuron: number;
  model: FaceModel;
  n?: number;
  cache?: boolean;
  cacheDir?: string;
}): Promise<MeanTopNInit> {
  const sw = await openSweep(opts.sweepDir);
  if (sw.manifest.model.name !== opts.model.name) throw new UserError(`the sweep was made with model ${sw.manifest.model.name}, not ${opts.model.name}`);
  const table = await sw.readLayer(opts.layer);
  if (table.rows === 0) throw new UserError(`sweep ${opts.sweepDir} has no images`);
  if (opts.neuron >= table.channels) throw new UserError(`neuron ${opts.neuron} out of range 0..${table.channels - 1}`);
  const tops = topSamples(table, sw.items, [opts.neuron], opts.n ?? 9).get(opts.neuron)!;
  const items: DatasetItem[] = [];
  for (const s of tops) {
    const p = await sweptItemPath(sw.manifest, s.id);
    if (!(await isFile(p))) throw new UserError(`image ${s.id} of the sweep is not at ${p} any more`);
    items.push({ id: s.id, path: p });
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
  if (faces.length === 0) throw new UserError(`none of the top-${tops.length} images could be aligned (${skipped[0]?.reason ?? 'unknown'})`);
  const { width, height } = opts.model.inputSize;
  const sum = new Float64Array(width * height * 3);
  for (const f of faces) {
    const r = f.width === width && f.height === height ? f : await resizeRgb(f, width, height);
    for (let i = 0; i < sum.length; i++) sum[i] += r.data[i];
  }
  const out = new Uint8Array(sum.length);
  for (let i = 0; i < sum.length; i++) out[i] = Math.round(sum[i] / faces.length);
  return { image: rgbImage(width, height, out), ids: tops.map((t) => t.id), values: tops.map((t) => t.value) };
}
