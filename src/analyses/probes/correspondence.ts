/**
 * Part correspondence (paper eq. 1, Table I, Fig. 5; after Zeiler & Fergus 2014, Sec. 5.2).
 *
 * For m frontal faces, the same facial part is masked in every image (left eye, right eye, nose,
 * mouth; squares placed from the detected 68 landmarks in crop coordinates), and for comparison
 * random squares of the same size are masked. Per probe layer, eps_i = x_i - x~_i and
 * Delta = metrics/correspondence.ts `correspondenceDelta` (mean over ordered pairs i != j of the
 * normalised Hamming distance between sign(eps_i) and sign(eps_j), +- population std over pairs).
 * Lower Delta = the occlusion changes the representation more consistently across images.
 *
 * Choices the paper leaves open (all written to summary.json):
 *  - Part centres (iBUG-68, 0-based): left eye = mean of 36-41, right eye = mean of 42-47
 *    ("left" = the IMAGE's left, i.e. the subject's right eye, as in data/align.ts), nose = mean of
 *    27-35 (bridge and base), mouth = mean of 48-67.
 *  - Square side = round(k x IOD) pixels, IOD = median over the images of the distance between the
 *    two eye centres; ONE side for every image and mask (faces are aligned, so IODs barely differ).
 *    Default k = 0.5. The square covers pixel columns x0..x0+side-1 with x0 = round(cx - side/2)
 *    (pixel i spans [i, i+1]), likewise rows, clipped to the crop.
 *  - Fill: grey (128, 128, 128) (default, as Zeiler & Fergus) or each image's own mean colour.
 *  - Random masks: `draws` (default 5) draws; draw d's centre is uniform in the face region with
 *    seedrandom(`${seed}/draw${d}`), and the SAME square is used for every image within a draw (as
 *    Zeiler & Fergus did). Face region = bounding box of the per-image mean of the 68 landmarks,
 *    the square lying wholly inside it. Random squares may overlap the parts.
 *    Caveat: on ALIGNED faces a square at a fixed crop position covers the same facial region in
 *    every image, so the shared random mask is itself a consistent-part occlusion, unlike on
 *    Zeiler & Fergus's unaligned dog images. `randomPlacement: 'per-image'` (an extension, not the
 *    paper's protocol) draws an independent position per image and draw
 *    (seedrandom(`${seed}/image${i}/draw${d}`)), a control without correspondence.
 *  - The 'random' row pools all draws' pair distances (mean +- population std over the
 *    m(m-1) x draws values; its mean is the mean of the per-draw means); per-draw values and the
 *    std of the per-draw means are reported too.
 *  - sign(0): primary rule 'zero' (correspondence.ts default: sign(0) = 0 is its own value);
 *    the 'exclude' rule (skip positions where either eps is 0) and the zero fraction are also
 *    reported, since at low layers most units lie outside the mask's reach and have eps = 0
 *    exactly. ONNX Runtime returns bit-identical features for a face whatever its batch position,
 *    so eps = 0 there is exact, not rounding.
 *  - Faces where no face / landmarks are detected are left out (parts cannot be placed).
 */
import path from 'node:path';
import { seededStream, seedKey } from '../../core/random.js';
import { UserError } from '../../core/errors.js';
import type { SkippedItem } from '../../data/dataset.js';
import type { Point } from '../../data/detector.js';
import { rgbImage, type RgbImage } from '../../data/image.js';
import { selectProbes } from '../../models/face-model.js';
import { contactSheet } from '../../figures/contact-sheet.js';
import { layerFeatures } from '../features.js';
import { correspondenceDelta, type SignZeroRule } from '../metrics/correspondence.js';
import { meanStd } from '../metrics/matrix.js';
import { collectFaces, csvText, writeProbeSummary, markdownTable, pm, stageTimer, probeOutputFiles, type ProbeComputed, takeRows, type ProbeRunOptions } from './shared.js';
import { writeFileAtomic } from '../../io/atomic.js';

export const PARTS = ['left_eye', 'right_eye', 'nose', 'mouth'] as const;
export type Part = (typeof PARTS)[number];

const span = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
/** 0-based iBUG-68 indices whose mean is the part's centre. */
export const PART_LANDMARKS: Record<Part, readonly number[]> = {
  left_eye: span(36, 41),
  right_eye: span(42, 47),
  nose: span(27, 35),
  mouth: span(48, 67),
};

export const PART_TITLES: Record<Part, string> = {
  left_eye: 'left eye (image left)',
  right_eye: 'right eye (image right)',
  nose: 'nose',
  mouth: 'mouth',
};

/** An axis-aligned square of pixels: columns x0..x1-1, rows y0..y1-1. */
export interface MaskRect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export type MaskFill = 'grey' | 'mean';

export const DEFAULT_MASK_SCALE = 0.5;

/**
 * The correspondence probe's defaults, read by the analysis, the CLI and the demo's record. `seed`
 * n keys the random-mask streams as `facelens-n` (core/random.ts seedKey), in every caller.
 */
export const CORRESPONDENCE_DEFAULTS = {
  maskScale: DEFAULT_MASK_SCALE,
  fill: 'grey' as MaskFill,
  draws: 5,
  seed: 0,
  randomPlacement: 'shared' as RandomPlacement,
  signZeroRule: 'zero' as 'zero' | 'positive',
  /** Faces the demo uses (as the paper). */
  images: 15,
};

function meanPoint(pts: readonly Point[], idx: readonly number[]): Point {
  let x = 0, y = 0;
  for (const i of idx) {
    x += pts[i]![0];
    y += pts[i]![1];
  }
  return [x / idx.length, y / idx.length];
}

/** The part's centre: mean of its landmarks (see PART_LANDMARKS). */
export function partCentre(landmarks: readonly Point[], part: Part): Point {
  if (landmarks.length !== 68) throw new RangeError(`expected 68 landmarks, got ${landmarks.length}`);
  return meanPoint(landmarks, PART_LANDMARKS[part]);
}

/** Distance between the two eye centres (means of 36-41 and 42-47). */
export function interOcular(landmarks: readonly Point[]): number {
  const a = partCentre(landmarks, 'left_eye');
  const b = partCentre(landmarks, 'right_eye');
  return Math.hypot(a[0] - b[0], a[1] - b[1]);
}

/** The `side` x `side` pixel square centred on `centre`, clipped to a `width` x `height` image. */
export function squareMask(centre: Point, side: number, width: number, height = width): MaskRect {
  if (!(Number.isInteger(side) && side >= 1)) throw new RangeError(`mask side must be a positive integer (got ${side})`);
  const x0 = Math.round(centre[0] - side / 2);
  const y0 = Math.round(centre[1] - side / 2);
  return { x0: Math.max(0, x0), y0: Math.max(0, y0), x1: Math.min(width, x0 + side), y1: Math.min(height, y0 + side) };
}

/** Centre of a mask in continuous coordinates. */
export function maskCentre(r: MaskRect): Point {
  return [(r.x0 + r.x1) / 2, (r.y0 + r.y1) / 2];
}

/** Copy of `img` with the rectangle filled with `fill` (RGB). */
export function applyMask(img: RgbImage, r: MaskRect, fill: [number, number, number]): RgbImage {
  const out = new Uint8Array(img.data);
  for (let y = r.y0; y < r.y1; y++) {
    for (let x = r.x0; x < r.x1; x++) {
      const o = (y * img.width + x) * 3;
      out[o] = fill[0];
      out[o + 1] = fill[1];
      out[o + 2] = fill[2];
    }
  }
  return rgbImage(img.width, img.height, out);
}

/** Mean colour of an image, rounded. */
export function meanColour(img: RgbImage): [number, number, number] {
  const s = [0, 0, 0];
  const n = img.width * img.height;
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) s[c]! += img.data[i * 3 + c]!;
  return [Math.round(s[0]! / n), Math.round(s[1]! / n), Math.round(s[2]! / n)];
}

/** Bounding box [xmin, ymin, xmax, ymax] of the per-index mean of several 68-point sets. */
export function faceRegion(landmarkSets: readonly (readonly Point[])[]): [number, number, number, number] {
  if (landmarkSets.length === 0) throw new RangeError('faceRegion: no landmark sets');
  const mean: Point[] = Array.from({ length: 68 }, (_, k) => {
    let x = 0, y = 0;
    for (const s of landmarkSets) {
      x += s[k]![0];
      y += s[k]![1];
    }
    return [x / landmarkSets.length, y / landmarkSets.length];
  });
  return [Math.min(...mean.map((p) => p[0])), Math.min(...mean.map((p) => p[1])), Math.max(...mean.map((p) => p[0])), Math.max(...mean.map((p) => p[1]))];
}

/**
 * Seeded random square centres, one per draw, uniform over the positions where a `side` square
 * lies wholly inside `region` (its centre if the region is smaller than the square).
 */
export function randomMaskCentres(region: [number, number, number, number], side: number, draws: number, seed: string | number): Point[] {
  const [x0, y0, x1, y1] = region;
  const lo = [x0 + side / 2, y0 + side / 2];
  const hi = [x1 - side / 2, y1 - side / 2];
  return Array.from({ length: draws }, (_, d) => {
    const rng = seededStream(`${seed}/draw${d}`);
    const u = rng();
    const v = rng();
    const cx = hi[0]! >= lo[0]! ? lo[0]! + u * (hi[0]! - lo[0]!) : (x0 + x1) / 2;
    const cy = hi[1]! >= lo[1]! ? lo[1]! + v * (hi[1]! - lo[1]!) : (y0 + y1) / 2;
    return [cx, cy] as Point;
  });
}

export type RandomPlacement = 'shared' | 'per-image';

export interface MaskPlan {
  /** Square side in pixels. */
  side: number;
  interOcularMedian: number;
  /** Per image, per part. */
  parts: Record<Part, MaskRect>[];
  /** random[d][i]: draw d's square in image i (the same square for every i with 'shared'). */
  random: MaskRect[][];
  randomCentres: Point[][];
  randomPlacement: RandomPlacement;
  faceRegion: [number, number, number, number];
}

/** Where every mask goes, from each image's landmarks (crop coordinates). */
export function planMasks(
  landmarkSets: readonly (readonly Point[])[],
  size: number,
  opts: { scale?: number; draws?: number; seed?: string | number; randomPlacement?: RandomPlacement } = {},
): MaskPlan {
  const k = opts.scale ?? DEFAULT_MASK_SCALE;
  if (!(k > 0)) throw new UserError(`--mask-scale must be > 0 (got ${k})`);
  const iods = landmarkSets.map(interOcular).sort((a, b) => a - b);
  const mid = iods.length % 2 ? iods[(iods.length - 1) / 2]! : (iods[iods.length / 2 - 1]! + iods[iods.length / 2]!) / 2;
  const side = Math.max(1, Math.round(k * mid));
  const parts = landmarkSets.map(
    (lm) => Object.fromEntries(PARTS.map((p) => [p, squareMask(partCentre(lm, p), side, size)])) as Record<Part, MaskRect>,
  );
  const region = faceRegion(landmarkSets);
  const draws = opts.draws ?? CORRESPONDENCE_DEFAULTS.draws;
  const seed = opts.seed ?? seedKey(CORRESPONDENCE_DEFAULTS.seed);
  const placement = opts.randomPlacement ?? CORRESPONDENCE_DEFAULTS.randomPlacement;
  let randomCentres: Point[][];
  if (placement === 'shared') {
    randomCentres = randomMaskCentres(region, side, draws, seed).map((c) => landmarkSets.map(() => c));
  } else {
    const perImage = landmarkSets.map((_, i) => randomMaskCentres(region, side, draws, `${seed}/image${i}`));
    randomCentres = Array.from({ length: draws }, (_, d) => perImage.map((cs) => cs[d]!));
  }
  return {
    side,
    interOcularMedian: mid,
    parts,
    random: randomCentres.map((cs) => cs.map((c) => squareMask(c, side, size))),
    randomCentres,
    randomPlacement: placement,
    faceRegion: region,
  };
}

export interface CorrespondenceOptions extends Omit<ProbeRunOptions, 'detect'> {
  /** Square side as a multiple of the inter-ocular distance (default 0.5). */
  maskScale?: number;
  fill?: MaskFill;
  /** Random-mask draws (default 5). */
  draws?: number;
  /** 'shared' (default, the paper's / Zeiler & Fergus's protocol) or 'per-image' (see the header). */
  randomPlacement?: RandomPlacement;
  /** Seed n keys the mask streams as `facelens-n`; a string is an explicit key (default 0). */
  seed?: string | number;
  /** sign(0) rule of the main table (default 'zero'); 'exclude' is always reported too. */
  signZeroRule?: Exclude<SignZeroRule, 'exclude'>;
  /** Write the contact sheet (default true). */
  sheet?: boolean;
}

export interface DeltaCell {
  delta_mean: number;
  delta_std: number;
  /** Same with sign(0) positions excluded. */
  exclude_mean: number;
  exclude_std: number;
  /** Fraction of eps entries exactly 0. */
  zeroFraction: number;
}

export interface CorrespondenceRow {
  /** A part, `random` (pooled over draws) or `random#d`. */
  mask: string;
  layers: ({ layer: string; dims: number } & DeltaCell & { draw_means_std?: number })[];
}

export interface CorrespondenceResult {
  images: string[];
  masks: {
    side: number;
    interOcularMedian: number;
    faceRegion: [number, number, number, number];
    randomPlacement: RandomPlacement;
    /** random[d][i]: draw d, image i. */
    random: MaskRect[][];
    parts: Record<string, Record<Part, MaskRect>>;
  };
  /** Table I analogue: the four parts, then `random` (pooled), then each draw `random#d`. */
  rows: CorrespondenceRow[];
  undetected: SkippedItem[];
  unreadable: SkippedItem[];
  seconds: Record<string, number>;
  files: { summary: string; markdown: string; csv: string; sheet?: string };
}

/** What the correspondence probe computes, apart from writing it: the result without its files, and what the writer needs. */
export interface CorrespondenceComputed extends ProbeComputed<CorrespondenceResult> {
  /** Per face: the original, then each part mask, then each random draw (the contact sheet's rows). */
  maskedFaces: RgbImage[];
  layerOrder: string[];
  settings: { rule: Exclude<SignZeroRule, 'exclude'>; placement: RandomPlacement; draws: number; scale: number; fill: MaskFill };
}

/** The correspondence probe: compute, then write summary.json, table.md, table.csv and the contact sheet. */
export async function correspondence(opts: CorrespondenceOptions): Promise<CorrespondenceResult> {
  return writeCorrespondenceOutputs(await computeCorrespondence(opts), opts);
}

/** Faces, masks, layer features and the Delta table (data only; nothing is written). */
export async function computeCorrespondence(opts: CorrespondenceOptions): Promise<CorrespondenceComputed> {
  const timer = stageTimer();
  const layers = selectProbes(opts.model, opts.layers);
  const size = opts.model.alignment.size;
  const draws = opts.draws ?? CORRESPONDENCE_DEFAULTS.draws;
  const seed = seedKey(opts.seed ?? CORRESPONDENCE_DEFAULTS.seed);
  const fillMode = opts.fill ?? CORRESPONDENCE_DEFAULTS.fill;
  const rule = opts.signZeroRule ?? CORRESPONDENCE_DEFAULTS.signZeroRule;
  const scale = opts.maskScale ?? CORRESPONDENCE_DEFAULTS.maskScale;
  if (!(Number.isInteger(draws) && draws >= 1)) throw new RangeError(`draws must be a positive integer (got ${draws})`);

  const got = await collectFaces(opts.dataset.items, opts.model.alignment, {
    detect: true,
    cache: opts.cache,
    cacheDir: opts.cacheDir,
    fallback: 'skip',
    onProgress: (d, t) => opts.onProgress?.({ stage: 'align', done: d, total: t }),
  });
  const faces = got.faces.filter((f) => f.landmarks && f.landmarks.length === 68);
  if (faces.length < 2) {
    throw new UserError(`correspondence needs at least 2 faces with detected landmarks (got ${faces.length}; ${got.undetected.length} without a detected face, ${got.unreadable.length} unreadable)`);
  }
  timer.lap('align');

  const placement = opts.randomPlacement ?? CORRESPONDENCE_DEFAULTS.randomPlacement;
  const plan = planMasks(faces.map((f) => f.landmarks!), size, { scale, draws, seed, randomPlacement: placement });
  const maskNames = [...PARTS, ...plan.random.map((_, d) => `random#${d}`)];
  const perImage = 1 + maskNames.length;
  const images: RgbImage[] = [];
  for (const [i, f] of faces.entries()) {
    const fill: [number, number, number] = fillMode === 'grey' ? [128, 128, 128] : meanColour(f.face);
    images.push(f.face, ...PARTS.map((p) => applyMask(f.face, plan.parts[i]![p], fill)), ...plan.random.map((r) => applyMask(f.face, r[i]!, fill)));
  }
  const feats = await layerFeatures(opts.model, images, layers, {
    batch: opts.batch,
    onProgress: (n) => opts.onProgress?.({ stage: 'features', done: Math.floor(n / perImage), total: faces.length }),
  });
  timer.lap('features');

  const m = faces.length;
  const origRows = Array.from({ length: m }, (_, i) => i * perImage);
  const cellsOf = (variant: number) =>
    layers.map((l) => {
      const f = feats.get(l.name)!;
      const orig = takeRows(f, origRows);
      const occl = takeRows(f, origRows.map((r) => r + 1 + variant));
      const main = correspondenceDelta(orig, occl, { signZeroRule: rule });
      const exc = correspondenceDelta(orig, occl, { signZeroRule: 'exclude' });
      return { layer: l.name, dims: f.cols, main, exc };
    });
  const strip = (pd: Float64Array, mm: number) => {
    const out: number[] = [];
    for (let i = 0; i < mm; i++) for (let j = 0; j < mm; j++) if (i !== j) out.push(pd[i * mm + j]!);
    return out;
  };
  const rows: CorrespondenceRow[] = [];
  const perVariant = maskNames.map((_, v) => cellsOf(v));
  /** One mask variant's table cell at one layer. */
  const cellRow = (c: (typeof perVariant)[number][number]) => ({
    layer: c.layer,
    dims: c.dims,
    delta_mean: c.main.delta_mean,
    delta_std: c.main.delta_std,
    exclude_mean: c.exc.delta_mean,
    exclude_std: c.exc.delta_std,
    zeroFraction: c.main.zeroFraction,
  });
  PARTS.forEach((p, v) => {
    rows.push({
      mask: p,
      layers: perVariant[v]!.map(cellRow),
    });
  });
  const randomVariants = perVariant.slice(PARTS.length);
  rows.push({
    mask: 'random',
    layers: layers.map((l, li) => {
      const cells = randomVariants.map((cs) => cs[li]!);
      const main = meanStd(cells.flatMap((c) => strip(c.main.pairDistances, m)));
      const exc = meanStd(cells.flatMap((c) => strip(c.exc.pairDistances, m)));
      return {
        layer: l.name,
        dims: cells[0]!.dims,
        delta_mean: main.mean,
        delta_std: main.std,
        exclude_mean: exc.mean,
        exclude_std: exc.std,
        zeroFraction: meanStd(cells.map((c) => c.main.zeroFraction)).mean,
        draw_means_std: meanStd(cells.map((c) => c.main.delta_mean)).std,
      };
    }),
  });
  randomVariants.forEach((cs, d) => {
    rows.push({
      mask: `random#${d}`,
      layers: cs.map(cellRow),
    });
  });
  timer.lap('metrics');

  const ids = faces.map((f) => f.item.id);
  const result: CorrespondenceComputed['result'] = {
    images: ids,
    masks: {
      side: plan.side,
      interOcularMedian: plan.interOcularMedian,
      faceRegion: plan.faceRegion,
      randomPlacement: placement,
      random: plan.random,
      parts: Object.fromEntries(ids.map((id, i) => [id, plan.parts[i]!])),
    },
    rows,
    undetected: got.undetected,
    unreadable: got.unreadable,
  };
  const layerOrder = layers.map((l) => l.name);
  const parameters = {
    model: opts.model.name,
    dataset: { kind: opts.dataset.kind, root: opts.dataset.root, images: opts.dataset.items.length, used: m },
    layers: layerOrder,
    cropSize: size,
    partCentres: Object.fromEntries(PARTS.map((p) => [p, `mean of 68-point landmarks ${PART_LANDMARKS[p][0]}-${PART_LANDMARKS[p].at(-1)} (0-based iBUG), crop coordinates`])),
    leftRight: "image left/right: 'left_eye' is the eye on the image's left (the subject's right eye)",
    maskShape: `square, side = round(k x IOD) = round(${scale} x ${plan.interOcularMedian.toFixed(2)}) = ${plan.side} px, one side for all images and masks; IOD = median eye-centre distance over the images`,
    maskScale: scale,
    maskPixels: 'columns round(cx - side/2) .. +side-1 (pixel i spans [i, i+1]), same for rows, clipped to the crop',
    fill: fillMode === 'grey' ? 'grey (128, 128, 128)' : "each image's own mean colour",
    randomMasks: {
      draws,
      seed: String(seed),
      placement,
      rng:
        placement === 'shared'
          ? 'seedrandom(`${seed}/draw${d}`): centre = region low + (u, v) x (region high - region low)'
          : 'seedrandom(`${seed}/image${i}/draw${d}`): centre = region low + (u, v) x (region high - region low)',
      sameLocationForAllImages: placement === 'shared',
      note: 'faces are aligned, so a shared random square covers the same facial region in every image (a consistent occlusion itself); per-image placement is the control without correspondence',
      region: 'bounding box of the per-index mean of the 68 landmarks over the images, square wholly inside; may overlap the parts',
      pooledRow: "'random' = mean +- population std over the pooled m(m-1) x draws pair distances; draw_means_std = std of the per-draw means",
    },
    eps: 'eps_i = x_i - x~_i (original minus occluded) of the flattened layer features',
    delta: 'mean over ordered pairs i != j of Hamming(sign eps_i, sign eps_j) / feature length, +- population std over pairs (metrics/correspondence.ts)',
    signZeroRule: {
      main: rule,
      mainMeaning: rule === 'zero' ? 'sign(0) = 0 is a third value: 0 vs +-1 mismatch, 0 vs 0 match' : 'sign(0) = +1',
      alsoReported: "'exclude': positions where either eps is 0 are skipped; distance = mismatches / positions where both are non-zero",
      zeroTolerance: 0,
      zeroFraction: 'fraction of all eps entries exactly 0 (units the mask does not reach)',
    },
    undetectedFaces: 'left out (part masks need landmarks)',
  };
  return {
    result,
    parameters,
    maskedFaces: images,
    layerOrder,
    settings: { rule, placement, draws, scale, fill: fillMode },
    timer,
  };
}

/** Writes what computeCorrespondence found: summary.json, table.md, table.csv and (unless sheet: false) the contact sheet. */
export async function writeCorrespondenceOutputs(computed: CorrespondenceComputed, opts: Pick<CorrespondenceOptions, 'out' | 'sheet'>): Promise<CorrespondenceResult> {
  const { maskedFaces: images, layerOrder, timer } = computed;
  const { rule, placement, draws, scale, fill: fillMode } = computed.settings;
  const { rows } = computed.result;
  const { side, random } = computed.result.masks;
  const m = computed.result.images.length;
  const perImage = 1 + PARTS.length + random.length;
  const files: CorrespondenceResult['files'] = {
    ...(await probeOutputFiles(opts.out)),
  };
  if (opts.sheet ?? true) {
    const captions = ['original', ...PARTS.map((p) => p.replace('_', ' ')), ...random.map((_, d) => `random ${d}`)];
    files.sheet = path.join(opts.out, 'masked-faces.png');
    await writeFileAtomic(files.sheet, await contactSheet(images, { columns: perImage, captions: images.map((_, k) => captions[k % perImage]!) }));
  }
  timer.lap('plots');

  const result: CorrespondenceResult = { ...computed.result, seconds: timer.seconds(), files };
  await writeProbeSummary(files.summary, 'correspondence', computed.parameters, result);

  const tableRows = rows.filter((r) => !r.mask.includes('#'));
  const name = (r: CorrespondenceRow) => (r.mask === 'random' ? `random, ${placement} position (${draws} draws pooled)` : PART_TITLES[r.mask as Part]);
  const hdr = ['occlusion', ...layerOrder];
  const md = [
    `# Correspondence (Table I analogue): Delta per layer, ${m} faces, mask ${side} px (${scale} x IOD), fill ${fillMode}, random masks ${placement === 'shared' ? 'at the same position in every image of a draw' : 'at an independent position per image'}`,
    '',
    `## Delta, sign(0) rule '${rule}' (mean ± std over ordered pairs)`,
    '',
    markdownTable(hdr, tableRows.map((r) => [name(r), ...r.layers.map((c) => pm(c.delta_mean, c.delta_std))])),
    '',
    "## Delta, sign(0) rule 'exclude' (positions with eps = 0 in either image skipped)",
    '',
    markdownTable(hdr, tableRows.map((r) => [name(r), ...r.layers.map((c) => pm(c.exclude_mean, c.exclude_std))])),
    '',
    '## Fraction of eps entries exactly 0',
    '',
    markdownTable(hdr, tableRows.map((r) => [name(r), ...r.layers.map((c) => c.zeroFraction.toFixed(3))])),
    '',
    `## Random draws separately (rule '${rule}')`,
    '',
    markdownTable(hdr, rows.filter((r) => r.mask.includes('#')).map((r) => [r.mask, ...r.layers.map((c) => pm(c.delta_mean, c.delta_std))])),
  ];
  await writeFileAtomic(files.markdown, md.join('\n') + '\n');
  await writeFileAtomic(
    files.csv,
    csvText(
      ['mask', 'layer', 'dims', 'rule', 'delta_mean', 'delta_std', 'exclude_mean', 'exclude_std', 'zero_fraction', 'draw_means_std', 'images'],
      rows.flatMap((r) => r.layers.map((c) => [r.mask, c.layer, c.dims, rule, c.delta_mean, c.delta_std, c.exclude_mean, c.exclude_std, c.zeroFraction, c.draw_means_std, m])),
    ),
  );
  return result;
}
