/**
 * The `explain` run over a list of pairs: aligns every image once (with landmarks, for the part
 * summary; faces without a detection are centre-cropped and get no part summary), explains each
 * pair, writes it (write.ts) and resumes: a pair whose pair.json was written with the same
 * parameters is read back instead of recomputed. A pair with an unreadable image is skipped and
 * listed. Writes summary.json, faithfulness.csv and index.html at the end.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { DatasetItem, SkippedItem } from '../../data/dataset.js';
import { writeJsonAtomic } from '../../io/json.js';
import type { FaceModel } from '../../models/face-model.js';
import { collectFaces, csvText, stageTimer, type ProbeFace } from '../probes/shared.js';
import { jsonSafe } from '../../results/summary.js';
import { explainPair, MAP_NAMES, REGION_MASS, resolveExplainOptions, type ExplainOptions } from './explain.js';
import type { ExplainPairSpec } from './pairs.js';
import { PairScorer } from './scorer.js';
import type { LayerThreshold } from './thresholds.js';
import { aggregateFaithfulness, indexHtml, pairNumbers, writeFile, writePair, type FaithfulnessAggregate } from './write.js';

export interface ExplainRunOptions extends ExplainOptions {
  model: FaceModel;
  layer?: string;
  pairs: ExplainPairSpec[];
  out: string;
  detect?: boolean;
  cache?: boolean;
  cacheDir?: string;
  batch?: number;
  thresholds?: Map<string, LayerThreshold>;
  verifySummary?: string;
  onProgress?: (stage: 'align' | 'pairs', done: number, total: number) => void;
}

export interface ExplainRunResult {
  pairs: ReturnType<typeof pairNumbers>[];
  skipped: { pair: string; reason: string }[];
  undetected: SkippedItem[];
  aggregate: FaithfulnessAggregate[];
  resumed: number;
  seconds: Record<string, number>;
  files: { summary: string; index: string; faithfulness: string };
}

export async function runExplain(opts: ExplainRunOptions): Promise<ExplainRunResult> {
  const timer = stageTimer();
  const o = resolveExplainOptions(opts);
  const layer = opts.layer ?? 'embedding';
  const parameters = {
    model: opts.model.name,
    layer,
    similarity: 'cosine of the flattened probe-layer features',
    patch: o.patch,
    stride: o.stride,
    fill: o.fill === 'grey' ? 'grey (128, 128, 128)' : `the face blurred (Gaussian sigma ${o.blurSigma} px, sharp)`,
    blurSigma: o.blurSigma,
    occlusion: 'patch positions 0, stride, ... plus size - patch; a pixel = mean similarity drop over the patches covering it',
    gradient: 'sum over RGB of |ds/dp|, p = pixel values 0..255, through the ORT backward graph with upstream (b^ - s a^)/|a|',
    gradInput: 'sum over RGB of ds/dp (p - mean): baseline = the model preprocessing mean colour',
    integrated: `integrated gradients (Sundararajan et al. 2017) from ${o.igBaseline === 'grey' ? 'a grey (128) image' : `the face blurred (Gaussian sigma ${o.blurSigma} px)`}, ${o.igSteps} midpoint steps, summed over RGB (signed)`,
    igBaseline: o.igBaseline,
    layerCam: `similarity Grad-CAM: sum over channels of ds/dA x A at probe layer ${opts.camLayer ?? 'auto (the deepest spatial probe with >= 8x8 cells)'}, bilinearly resized to the input; positive part in overlays and positiveShare`,
    camLayer: opts.camLayer ?? null,
    halves: `per face and map, the upper half (rows 0..H/2) vs the lower half: ${REGION_MASS}`,
    parts: `squares of side round(${o.partScale} x inter-ocular distance) on the landmark centres (as correspondence), filled from the fill image; faces without detected landmarks have none`,
    faithfulness: `deletion / insertion (pixels in map order, highest first, ties by index; replaced by / restored from the fill image), ${o.steps + 1} points, trapezoid AUC over the fraction; random reference = ${o.randomOrders} seeded order(s) seedrandom("${o.seed}/random<k>"), mean curve`,
    steps: o.steps,
    randomOrders: o.randomOrders,
    igSteps: o.igSteps,
    seed: o.seed,
    alignment: opts.detect === false ? 'none (centre crop)' : opts.model.alignment,
    verifySummary: opts.verifySummary ?? null,
    thresholds: opts.thresholds ? Object.fromEntries(opts.thresholds) : null,
  };
  const key = JSON.stringify(parameters);

  // Align every distinct image once.
  const paths = [...new Set(opts.pairs.flatMap((p) => [p.a, p.b]))];
  const items: DatasetItem[] = paths.map((p) => ({ id: p, path: p }));
  const got = await collectFaces(items, opts.model.alignment, {
    detect: opts.detect,
    cache: opts.cache,
    cacheDir: opts.cacheDir,
    fallback: 'centre',
    onProgress: (d, t) => opts.onProgress?.('align', d, t),
  });
  const faceOf = new Map<string, ProbeFace>(got.faces.map((f) => [f.item.id, f]));
  const unreadable = new Map(got.unreadable.map((s) => [s.id, s.reason]));
  timer.lap('align');

  const scorer = await PairScorer.create(opts.model, layer, { batch: opts.batch });
  const results: ExplainRunResult['pairs'] = [];
  const skipped: ExplainRunResult['skipped'] = [];
  const rows: Parameters<typeof indexHtml>[1] = [];
  let resumed = 0;
  try {
    for (const [k, spec] of opts.pairs.entries()) {
      const name = `${spec.a} | ${spec.b}`;
      const fa = faceOf.get(spec.a), fb = faceOf.get(spec.b);
      if (!fa || !fb) {
        const bad = !fa ? spec.a : spec.b;
        skipped.push({ pair: `${spec.source}: ${name}`, reason: `${bad}: ${unreadable.get(bad) ?? 'not usable'}` });
        opts.onProgress?.('pairs', k + 1, opts.pairs.length);
        continue;
      }
      const dir = path.join(opts.out, 'pairs', String(k).padStart(4, '0'));
      const extra = { index: k, source: spec.source, ...(spec.same === undefined ? {} : { same: spec.same }), crops: [fa.crop, fb.crop], parametersKey: key };
      let numbers: ReturnType<typeof pairNumbers> | undefined;
      try {
        const prev = JSON.parse(await readFile(path.join(dir, 'pair.json'), 'utf8')) as { parametersKey?: string; a?: string; b?: string };
        if (prev.parametersKey === key && prev.a === spec.a && prev.b === spec.b) {
          numbers = prev as unknown as ReturnType<typeof pairNumbers>;
          resumed++;
        }
      } catch {
        // not written yet
      }
      if (!numbers) {
        const p = await explainPair(
          scorer,
          { id: spec.a, face: fa.face, ...(fa.landmarks ? { landmarks: fa.landmarks } : {}) },
          { id: spec.b, face: fb.face, ...(fb.landmarks ? { landmarks: fb.landmarks } : {}) },
          { ...o, thresholds: opts.thresholds },
        );
        await writePair(dir, p, [fa.face, fb.face], extra);
        numbers = jsonSafe(pairNumbers(p, extra)) as ReturnType<typeof pairNumbers>;
      }
      results.push(numbers);
      const emb = numbers.profile.find((e) => e.layer === layer);
      const aucs = MAP_NAMES.map((m) => `${m} ${numbers!.faces.map((f) => f.faithfulness[m]!.deletion.auc.toFixed(3)).join('/')}`).join(', ');
      rows.push({
        dir: path.relative(opts.out, dir),
        a: spec.a,
        b: spec.b,
        ...(spec.same === undefined ? {} : { same: spec.same }),
        similarity: numbers.similarity,
        ...(emb?.threshold !== undefined && emb.threshold !== null ? { decision: `${emb.same ? 'same' : 'different'} at threshold ${emb.threshold.toFixed(4)}` } : {}),
        aucs: `deletion AUC A/B: ${aucs}; random ${numbers.faces.map((f) => f.random.deletion.auc.toFixed(3)).join('/')}`,
      });
      opts.onProgress?.('pairs', k + 1, opts.pairs.length);
    }
  } finally {
    await scorer.release();
  }
  timer.lap('explain');
  const aggregate = aggregateFaithfulness(results);
  const files = { summary: path.join(opts.out, 'summary.json'), index: path.join(opts.out, 'index.html'), faithfulness: path.join(opts.out, 'faithfulness.csv') };
  await writeFile(
    files.faithfulness,
    csvText(
      ['map', 'faces', 'deletion_auc', 'random_deletion_auc', 'deletion_below_random', 'insertion_auc', 'random_insertion_auc', 'insertion_above_random'],
      aggregate.map((g) => [g.map, g.faces, g.deletionAuc, g.randomDeletionAuc, g.deletionBelowRandom, g.insertionAuc, g.randomInsertionAuc, g.insertionAboveRandom]),
    ),
  );
  await writeFile(files.index, indexHtml(`facelens explain: ${opts.model.name}, layer ${layer}`, rows, aggregate));
  const result: ExplainRunResult = { pairs: results, skipped, undetected: got.undetected, aggregate, resumed, seconds: timer.seconds(), files };
  const replaced: string[] = [];
  await writeJsonAtomic(files.summary, { ...(jsonSafe({ command: 'explain', date: new Date().toISOString(), parameters, ...result }, replaced) as object), nonFiniteReplacedByNull: replaced });
  return result;
}
