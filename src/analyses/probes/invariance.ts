/**
 * Feature invariance (paper Fig. 4): each aligned face is translated vertically, rotated in plane
 * and scaled about the centre of the crop over stated ranges; per probe layer, the cosine distance
 * between the transformed and the untransformed face's flattened features, per image and averaged.
 *
 * Geometry (continuous pixel coordinates as in data/align.ts: the crop spans [0, S] x [0, S], its
 * centre is (S/2, S/2)); a source point p goes to:
 *   translate_y  t px:  p + (0, t)                 (t > 0 moves the face DOWN)
 *   rotate       a deg: c + R(a) (p - c)           (a > 0 turns the face COUNTER-clockwise as seen)
 *   scale        s:     c + s (p - c)              (s > 1 enlarges the face, s < 1 shrinks it)
 * The warp is align.ts' `warpAffine` (bilinear); samples falling outside the crop get the border
 * fill: 'replicate' (default, nearest edge pixel) or 'black'. The transforms act on the aligned
 * crop, not on the source photo, so content shifted out of the crop is lost and the uncovered part
 * is border fill.
 */
import path from 'node:path';
import { UserError } from '../../core/errors.js';
import type { SkippedItem } from '../../data/dataset.js';
import { warpAffine, type Mat2x3 } from '../../data/align.js';
import { rgbImage, type RgbImage } from '../../data/image.js';
import { selectProbes } from '../../models/face-model.js';
import { contactSheet } from '../../figures/contact-sheet.js';
import { lineChart, writeChart } from '../../figures/plot.js';
import { OrtEngine } from '../../engine/ort/engine.js';
import { layerFeatures } from '../features.js';
import { meanStd } from '../metrics/matrix.js';
import { ZERO_VECTOR_RULE } from '../metrics/cosine.js';
import { collectFaces, csvText, writeProbeSummary, markdownTable, pm, rangeValues, rowCosineDistance, stageTimer, probeOutputFiles, type ProbeComputed, type ProbeRunOptions } from './shared.js';
import { writeFileAtomic } from '../../io/atomic.js';

export type TransformKind = 'translate_y' | 'rotate' | 'scale';
export type BorderFill = 'replicate' | 'black';

export const TRANSFORMS: readonly TransformKind[] = ['translate_y', 'rotate', 'scale'];

export const TRANSFORM_INFO: Record<TransformKind, { unit: string; identity: number; title: string; meaning: string }> = {
  translate_y: { unit: 'px', identity: 0, title: 'vertical translation (px)', meaning: 'p -> p + (0, t); t > 0 moves the face down' },
  rotate: { unit: 'deg', identity: 0, title: 'in-plane rotation (deg)', meaning: 'p -> c + R(a)(p - c); a > 0 turns the face counter-clockwise as displayed' },
  scale: { unit: 'x', identity: 1, title: 'scale (x)', meaning: 'p -> c + s (p - c); s > 1 enlarges the face' },
};

/** Default ranges (the paper gives none): +-60 px step 10, +-60 deg step 10, 0.5-1.5x step 0.1. */
export const DEFAULT_RANGES: Record<TransformKind, number[]> = {
  translate_y: rangeValues(-60, 60, 10),
  rotate: rangeValues(-60, 60, 10),
  scale: rangeValues(0.5, 1.5, 0.1),
};

/** The 2x3 source -> destination matrix of one transform of an S x S crop about its centre. */
export function transformMatrix(kind: TransformKind, value: number, size: number): Mat2x3 {
  const c = size / 2;
  let a = 1, b = 0, cc = 0, d = 1, tx = 0, ty = 0;
  if (kind === 'translate_y') ty = value;
  else if (kind === 'rotate') {
    const r = (value * Math.PI) / 180;
    // y points down, so this is counter-clockwise on screen: (1, 0) -> (cos, -sin) goes up.
    a = Math.cos(r);
    b = Math.sin(r);
    cc = -Math.sin(r);
    d = Math.cos(r);
  } else if (kind === 'scale') {
    if (!(value > 0)) throw new UserError(`--scale values must be > 0 (got ${value})`);
    a = d = value;
  } else throw new RangeError(`unknown transform ${String(kind)}`);
  // Fix the centre: M c = c.
  return [
    [a, b, c - a * c - b * c + tx],
    [cc, d, c - cc * c - d * c + ty],
  ];
}

/** The face warped by one transform (size unchanged), border filled as stated. */
export function transformFace(face: RgbImage, kind: TransformKind, value: number, border: BorderFill = 'replicate'): RgbImage {
  if (face.width !== face.height) throw new RangeError(`transformFace: crop must be square (got ${face.width}x${face.height})`);
  return warpAffine(face, transformMatrix(kind, value, face.width), face.width, border === 'black' ? { border: 'constant', fill: [0, 0, 0] } : { border: 'replicate' });
}

export interface InvarianceOptions extends ProbeRunOptions {
  /** Values per transform (defaults DEFAULT_RANGES). An empty list leaves that transform out. */
  ranges?: Partial<Record<TransformKind, number[]>>;
  border?: BorderFill;
  /** Write PNG/SVG plots and the example sheet (default true). */
  plots?: boolean;
}

export interface InvarianceLayerCurve {
  layer: string;
  dims: number;
  /** Mean over images, per value. */
  mean: number[];
  /** Population std over images, per value. */
  std: number[];
  /** perImage[i][v]: image i (order of `images`), value v. */
  perImage: number[][];
}

export interface InvarianceCurve {
  transform: TransformKind;
  unit: string;
  values: number[];
  layers: InvarianceLayerCurve[];
}

/**
 * Scale of each layer's cosine distances: the distance between the untransformed faces of
 * different images (all pairs). Raw cosine distances are not comparable across layers (e.g.
 * post-ReLU averages are all positive, so any two faces are close); a transform curve means more
 * next to this reference.
 */
export interface InvarianceReference {
  layer: string;
  mean: number;
  std: number;
  pairs: number;
}

export interface InvarianceResult {
  images: { id: string; crop: string }[];
  transforms: InvarianceCurve[];
  /** Between-image cosine distance per layer (untransformed faces; NaN with one image). */
  betweenImages: InvarianceReference[];
  undetected: SkippedItem[];
  unreadable: SkippedItem[];
  seconds: Record<string, number>;
  files: { summary: string; markdown: string; csv: string; curvesCsv: string; plots: string[]; examples?: string };
}

/** What the invariance probe computes, apart from writing it: the result without its files, and what the writer needs. */
export interface InvarianceComputed extends ProbeComputed<InvarianceResult> {
  /** The transforms run, in order, with their values. */
  transforms: { kind: TransformKind; values: number[] }[];
  border: BorderFill;
  layerOrder: string[];
  /** The first usable face (aligned crop): the example sheet shows it under every transform. */
  firstFace: RgbImage;
}

/** The invariance probe: compute, then write summary.json, the tables, curves, plots and example sheet. */
export async function invariance(opts: InvarianceOptions): Promise<InvarianceResult> {
  return writeInvarianceOutputs(await computeInvariance(opts), opts);
}

/** Faces, their transformed variants' layer features and the distance curves (data only; nothing is written). */
export async function computeInvariance(opts: InvarianceOptions): Promise<InvarianceComputed> {
  const timer = stageTimer();
  const layers = selectProbes(opts.model, opts.layers);
  const border = opts.border ?? 'replicate';
  const transforms = TRANSFORMS.map((t) => ({ kind: t, values: opts.ranges?.[t] ?? DEFAULT_RANGES[t] })).filter((t) => t.values.length > 0);
  if (transforms.length === 0) throw new UserError('invariance: every transform range is empty');
  const size = opts.model.alignment.size;

  const got = await collectFaces(opts.dataset.items, opts.model.alignment, {
    detect: opts.detect,
    cache: opts.cache,
    cacheDir: opts.cacheDir,
    fallback: 'centre',
    onProgress: (d, t) => opts.onProgress?.({ stage: 'align', done: d, total: t }),
  });
  if (got.faces.length === 0) throw new UserError(`invariance: no usable image (${got.unreadable.length} unreadable)`);
  timer.lap('align');

  // Variant list per image: the original, then every transform value in order.
  const variants: { kind: TransformKind; value: number }[] = transforms.flatMap((t) => t.values.map((value) => ({ kind: t.kind, value })));
  const nImg = got.faces.length;
  // dist[t][l][i][v]
  const dist = transforms.map(() => layers.map(() => Array.from({ length: nImg }, () => [] as number[])));
  // Untransformed features per layer (one row per image), for the between-image reference.
  const originals = layers.map((l) => {
    const d = l.shape.reduce((a, b) => a * b, 1);
    return { data: new Float32Array(nImg * d), rows: nImg, cols: d };
  });
  const engine = await OrtEngine.create(opts.model);
  try {
    for (const [i, f] of got.faces.entries()) {
      const imgs = [f.face, ...variants.map((v) => transformFace(f.face, v.kind, v.value, border))];
      const feats = await layerFeatures(opts.model, imgs, layers, { engine, batch: opts.batch });
      layers.forEach((l, li) => {
        const m = feats.get(l.name)!;
        originals[li]!.data.set(m.data.subarray(0, m.cols), i * m.cols);
        let row = 1;
        transforms.forEach((t, ti) => {
          for (let v = 0; v < t.values.length; v++) dist[ti]![li]![i]!.push(rowCosineDistance(m, 0, m, row++));
        });
      });
      opts.onProgress?.({ stage: 'features', done: i + 1, total: nImg });
    }
  } finally {
    await engine.release();
  }
  timer.lap('features');

  const curves: InvarianceCurve[] = transforms.map((t, ti) => ({
    transform: t.kind,
    unit: TRANSFORM_INFO[t.kind].unit,
    values: t.values,
    layers: layers.map((l, li) => {
      const per = dist[ti]![li]!;
      const ms = t.values.map((_, v) => meanStd(per.map((row) => row[v]!)));
      return { layer: l.name, dims: l.shape.reduce((a, b) => a * b, 1), mean: ms.map((x) => x.mean), std: ms.map((x) => x.std), perImage: per };
    }),
  }));
  const reference: InvarianceReference[] = layers.map((l, li) => {
    const ds: number[] = [];
    for (let i = 0; i < nImg; i++) for (let j = i + 1; j < nImg; j++) ds.push(rowCosineDistance(originals[li]!, i, originals[li]!, j));
    const ms = meanStd(ds);
    return { layer: l.name, mean: ms.mean, std: ms.std, pairs: ds.length };
  });
  timer.lap('metrics');
  const result: InvarianceComputed['result'] = {
    images: got.faces.map((f) => ({ id: f.item.id, crop: f.crop })),
    transforms: curves,
    betweenImages: reference,
    undetected: got.undetected,
    unreadable: got.unreadable,
  };
  const layerOrder = layers.map((l) => l.name);
  const parameters = {
    model: opts.model.name,
    dataset: { kind: opts.dataset.kind, root: opts.dataset.root, images: opts.dataset.items.length },
    layers: layerOrder,
    cropSize: size,
    transforms: Object.fromEntries(
      transforms.map((t) => [
        t.kind,
        {
          values: t.values,
          unit: TRANSFORM_INFO[t.kind].unit,
          mapping: TRANSFORM_INFO[t.kind].meaning,
          ...(t.kind === 'translate_y' ? { asFractionOfCrop: t.values.map((v) => Number((v / size).toPrecision(4))) } : {}),
        },
      ]),
    ),
    appliedTo: `the aligned ${size}x${size} crop, about its centre (${size / 2}, ${size / 2}); output size unchanged`,
    warp: 'data/align.ts warpAffine, bilinear, pixel centres at i + 0.5',
    borderFill: border === 'replicate' ? 'replicate: samples outside the crop take the nearest edge pixel' : 'black: samples outside the crop are (0, 0, 0)',
    distance:
      'cosine distance 1 - cos(x, x~) of the flattened layer features (C x H x W order), computed as 1/2 |x/|x| - x~/|x~||^2 (exactly 0 for identical features)',
    zeroVectorRule: ZERO_VECTOR_RULE.replace('cosine with a zero vector', 'zero feature vector'),
    aggregate: 'mean and population std over images, per transform value',
    betweenImages: 'reference scale per layer: mean +- population std of the cosine distance between the untransformed faces of different images (all pairs i < j)',
    alignment: opts.detect === false ? 'none (centre crop)' : opts.model.alignment,
    undetectedFaces: 'centre crop of the image',
  };
  return { result, parameters, transforms, border, layerOrder, firstFace: got.faces[0]!.face, timer };
}

/** Writes what computeInvariance found: summary.json, table.md, table.csv, curves.csv and (unless plots: false) the plots and example sheet. */
export async function writeInvarianceOutputs(computed: InvarianceComputed, opts: Pick<InvarianceOptions, 'out' | 'plots' | 'model'>): Promise<InvarianceResult> {
  const { transforms, border, layerOrder, timer } = computed;
  const curves = computed.result.transforms;
  const reference = computed.result.betweenImages;
  const nImg = computed.result.images.length;
  const size = opts.model.alignment.size;
  const files: InvarianceResult['files'] = {
    ...(await probeOutputFiles(opts.out)),
    curvesCsv: path.join(opts.out, 'curves.csv'),
    plots: [],
  };
  const ids = computed.result.images.map((im) => im.id);

  if (opts.plots ?? true) {
    for (const c of curves) {
      const info = TRANSFORM_INFO[c.transform];
      const meanRows = c.layers.flatMap((l) => c.values.map((v, k) => ({ value: v, layer: l.layer, distance: l.mean[k]! })));
      const base = path.join(opts.out, `plot-${c.transform}`);
      await writeChart(
        lineChart({
          title: `Invariance: ${info.title}, mean cosine distance to the original over ${nImg} image(s)`,
          rows: meanRows,
          x: { field: 'value', title: info.title },
          y: { field: 'distance', title: 'cosine distance' },
          series: { field: 'layer', title: 'layer', sort: layerOrder },
        }),
        base,
      );
      files.plots.push(`${base}.png`);
      const perRows = c.layers.flatMap((l) => [
        ...l.perImage.flatMap((row, i) => c.values.map((v, k) => ({ value: v, layer: l.layer, image: ids[i]!, distance: row[k]! }))),
        ...c.values.map((v, k) => ({ value: v, layer: l.layer, image: '(mean)', distance: l.mean[k]! })),
      ]);
      const basePer = path.join(opts.out, `plot-${c.transform}-per-image`);
      const perSpec = lineChart({
        title: `Invariance: ${info.title}, per image (Fig. 4 layout: one panel per layer)`,
        rows: perRows,
        x: { field: 'value', title: info.title },
        y: { field: 'distance', title: 'cosine distance' },
        series: { field: 'image', title: 'image' },
        facet: { field: 'layer', title: 'layer', columns: Math.min(4, layerOrder.length) },
        width: 220,
        height: 160,
      });
      // Panels in probe order (lineChart's facet sorts by name).
      (perSpec as unknown as { facet: { sort?: string[] } }).facet.sort = layerOrder;
      await writeChart(perSpec, basePer);
      files.plots.push(`${basePer}.png`);
    }
    // Fig. 4 column 1: the first image under every transform, one row per transform.
    const cols = Math.max(...transforms.map((t) => t.values.length));
    const blank = rgbImage(size, size, new Uint8Array(size * size * 3).fill(245));
    const tiles: RgbImage[] = [];
    const captions: string[] = [];
    const first = computed.firstFace;
    for (const t of transforms) {
      for (let k = 0; k < cols; k++) {
        const v = t.values[k];
        tiles.push(v === undefined ? blank : transformFace(first, t.kind, v, border));
        captions.push(v === undefined ? '' : `${t.kind} ${v}${TRANSFORM_INFO[t.kind].unit}`);
      }
    }
    files.examples = path.join(opts.out, 'examples.png');
    await writeFileAtomic(files.examples, await contactSheet(tiles, { columns: cols, captions }));
  }
  timer.lap('plots');

  const result: InvarianceResult = { ...computed.result, seconds: timer.seconds(), files };
  await writeProbeSummary(files.summary, 'invariance', computed.parameters, result);

  const md: string[] = [
    `# Invariance (Fig. 4 analogue): mean ± std cosine distance to the untransformed face over ${nImg} image(s)`,
    '',
    `Model ${opts.model.name}; transforms applied to the aligned ${size}x${size} crop about its centre; border fill: ${border}.`,
    '',
    '## Reference: cosine distance between different images (untransformed), per layer',
    '',
    'Raw cosine distances do not share a scale across layers; read each curve next to its layer\'s reference.',
    '',
    markdownTable(['', ...reference.map((r) => r.layer)], [[`between images (${reference[0]!.pairs} pairs)`, ...reference.map((r) => pm(r.mean, r.std, 4))]]),
  ];
  for (const c of curves) {
    md.push('', `## ${TRANSFORM_INFO[c.transform].title}`, '');
    md.push(
      markdownTable(
        [c.transform, ...c.layers.map((l) => l.layer)],
        c.values.map((v, k) => [String(v), ...c.layers.map((l) => pm(l.mean[k]!, l.std[k]!, 4))]),
      ),
    );
  }
  await writeFileAtomic(files.markdown, md.join('\n') + '\n');
  await writeFileAtomic(
    files.csv,
    csvText(
      ['transform', 'value', 'unit', 'layer', 'mean_cosine_distance', 'std_cosine_distance', 'images'],
      [
        ...curves.flatMap((c) => c.layers.flatMap((l) => c.values.map((v, k) => [c.transform, v, c.unit, l.layer, l.mean[k], l.std[k], nImg]))),
        // Reference rows: distance between different untransformed images (no transform value).
        ...reference.map((r) => ['between_images', '', '', r.layer, r.mean, r.std, nImg]),
      ],
    ),
  );
  await writeFileAtomic(
    files.curvesCsv,
    csvText(
      ['transform', 'value', 'unit', 'layer', 'image', 'cosine_distance'],
      curves.flatMap((c) => c.layers.flatMap((l) => l.perImage.flatMap((row, i) => c.values.map((v, k) => [c.transform, v, c.unit, l.layer, ids[i], row[k]])))),
    ),
  );
  return result;
}
