/**
 * `facelens demo`: the whole pipeline the data allows, into one results directory laid out as
 *   faces/  sweep/  atlas/<layer>/  similarity/<layer>/  invariance/  correspondence/
 *   maximize/<layer>/  verify/  verify-cfp/  pose/  run.json  (index.html + report/ come from the report)
 * Each step is a call of the analysis' own entry function with the parameters recorded in
 * run.json; a failing step is recorded with its error and the pipeline goes on.
 *
 * Data: the faces of the demo photos bundled with face-api (aligned crops, see faces.ts) feed the
 * sweep, atlas, similarity, invariance, correspondence and AM. `dataset` (or else `lfw`) replaces
 * them as the swept set (sweep / atlas / similarity / AM init), `lfw` adds verification and `cfp`
 * CFP-FF / CFP-FP verification and the frontal/profile pose probe. Deterministic given `seed` (t-SNE, random masks, AM jitter, pose folds).
 */
import path from 'node:path';
import { atlas } from '../analyses/atlas/atlas.js';
import { facetInitImage, neuronFacets } from '../analyses/maximize/facets.js';
import { maximize, type MaximizeParams } from '../analyses/maximize/maximize.js';
import { writeMaximizeOutputs } from '../analyses/maximize/output.js';
import { correspondence, CORRESPONDENCE_DEFAULTS } from '../analyses/probes/correspondence.js';
import { invariance } from '../analyses/probes/invariance.js';
import { pose, POSE_DEFAULTS } from '../analyses/probes/pose.js';
import { seedKey } from '../core/random.js';
import { similarity } from '../analyses/similarity.js';
import { sweep } from '../analyses/sweep/sweep.js';
import { verify, type VerifyResult } from '../analyses/verify.js';
import type { Dataset, DatasetItem } from '../data/dataset.js';
import { openDataset, readImages } from '../data/datasets/index.js';
import { createGradientEngine } from '../engine/ort/grad-engine.js';
import { findProbe, type FaceModel } from '../models/face-model.js';
import { DEFAULT_MODEL, loadModel } from '../models/registry.js';
import { openDemoLfw } from './data-source.js';
import { alignDemoFaces, type DemoFace } from './faces.js';
import { runYawStep } from './yaw-step.js';
import { runCfpVerifyStep } from './cfp-step.js';
import { checkDemoOut, setAsidePrevious } from './output.js';
import { demoPhotos } from './photos.js';
import { RunLog, type RunRecord, type StepRecord } from './run-log.js';
import { DEFAULT_BATCH } from '../engine/ort/batch-runner.js';

export interface DemoOptions {
  /** Results directory (default `facelens-report`). */
  out?: string;
  model?: string | FaceModel;
  seed?: number;
  /** LFW folder: adds verification (and is swept when `dataset` is not given). */
  lfw?: string;
  /** CFP folder: adds CFP-FF / CFP-FP verification and the frontal/profile pose probe (without it, the yaw probe runs on the swept faces). */
  cfp?: string;
  /** Use at most this many LFW images (whole pairs over every fold; 0 or undefined = all). */
  lfwLimit?: number;
  /** A data warning shown in the console and the report (e.g. LFW could not be downloaded). */
  banner?: string;
  /** A larger dataset to sweep and atlas instead of the demo faces. */
  dataset?: string;
  /** Probe layers of the sweep / atlas / similarity (default: all). */
  layers?: string[];
  /** Neurons per layer in the atlas (highest variance over the sweep; default 8). */
  atlasNeurons?: number;
  /** Top-n cap of the atlas and similarity (default 50; never more than half the swept images). */
  topN?: number;
  /** AM: the highest `amLayers` probe layers of the sweep (default 3), or explicit names. */
  amLayers?: number | string[];
  /** AM: neurons per layer (default 2, the atlas' highest-variance ones). */
  amNeurons?: number;
  /** AM: facets (t-SNE clusters of the atlas) per neuron (default 2). */
  amFacets?: number;
  /** AM schedule overrides (default: 2 octaves, each until the plateau, at most 300 steps; see AM_DEFAULTS). */
  am?: Partial<MaximizeParams>;
  /** Faces for the invariance probe (highest detector scores; default 5, as the paper). */
  invarianceImages?: number;
  /** Invariance ranges override (default: the probe's defaults). */
  invarianceRanges?: { translate_y?: number[]; rotate?: number[]; scale?: number[] };
  /** Faces for the correspondence probe (default 15, as the paper). */
  correspondenceImages?: number;
  /** CFP identities for the pose probe (default `001-010`, as the paper). */
  cfpIdentities?: string;
  /** Use another list of photos than the bundled demo photos (the CLI passes LFW photos when it runs on LFW; tests). */
  photos?: DatasetItem[];
  /** What `photos` are, for step titles (default: `LFW photos` with `lfw`, else `given photos`; the bundled ones without `photos`). */
  photosLabel?: string;
  /** Aligned-face cache for the lfw / cfp / dataset images. */
  cache?: boolean;
  cacheDir?: string;
  batch?: number;
  /** Progress lines. */
  log?: (line: string) => void;
}

export interface DemoSummary {
  dir: string;
  runFile: string;
  record: RunRecord;
  faces: number;
  failed: StepRecord[];
}

/**
 * The AM schedule of the demo: the module's defaults (each octave runs until the activation
 * plateaus) with a lower cap of steps per octave, to fit the time budget.
 */
export const AM_DEFAULTS = { steps: 300, octaves: 2, snapshots: 6 } satisfies Partial<MaximizeParams>;

/** The demo's own choices (the analyses' defaults come from their modules), read by the CLI and run.json. */
export const DEMO_DEFAULTS = { seed: 0, atlasNeurons: 8, topN: 50, amLayers: 3, amNeurons: 2, amFacets: 2, invarianceImages: 5 } as const;

/**
 * Folders (and files) of a results directory the demo owns and clears before a run (the last four
 * are what the demo of facelens 0.1 wrote at the top level).
 */
export const RESULT_PARTS = ['faces', 'sweep', 'atlas', 'similarity', 'invariance', 'correspondence', 'maximize', 'verify', 'verify-cfp', 'pose', 'report', 'run.json', 'index.html', 'aligned-faces.png', 'embeddings.npy', 'items.json', 'summary.json'];

/** The time the defaults must fit in on 2 cores (issue #6). */
export const BUDGET_SECONDS = 15 * 60;

/** Top-n of atlas and similarity: at most half the swept images, so top sets differ between neurons. */
export function topNFor(rows: number, cap: number): number {
  return Math.max(2, Math.min(cap, Math.floor(rows / 2)));
}

/** What the steps share: the run's inputs, and what earlier steps found. */
interface DemoContext {
  opts: DemoOptions;
  dir: string;
  seed: number;
  model: FaceModel;
  log: RunLog;
  photos: DatasetItem[];
  atlasNeurons: number;
  topCap: number;
  amNeurons: number;
  amFacets: number;
  amSchedule: Partial<MaximizeParams>;
  batch: number;
  dataCache: { cache: boolean; cacheDir?: string };
  sweepDir: string;
  /** Found by the align step. */
  faces: DemoFace[];
  /** Found by the sweep step. */
  sweepRows: number;
  sweepLayers: { name: string; spatial: boolean; kind: string }[];
  /** The atlas' neurons of each layer (for AM). */
  atlasNeuronsOf: Map<string, number[]>;
  /** The swept dataset (the yaw probe's faces when no CFP is given). */
  swept?: Dataset;
  /** Found by the verify step (LFW), compared with CFP-FF / CFP-FP. */
  lfwVerify?: VerifyResult;
}

/** The faces, best detector score first. */
const byScore = (ctx: DemoContext): DemoFace[] => [...ctx.faces].sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
const facePaths = (ctx: DemoContext, list: DemoFace[]): string[] => list.map((f) => path.join(ctx.dir, f.file));
const noSweep = (ctx: DemoContext): string => `no sweep (its step ${ctx.log.step('sweep')?.status ?? 'did not run'})`;

/** What the align step's photos are: the bundled demo photos, LFW photos, or others given. */
export function photosLabel(opts: Pick<DemoOptions, 'photos' | 'photosLabel' | 'lfw'>): string {
  return opts.photosLabel ?? (!opts.photos ? 'bundled demo photos' : opts.lfw ? 'LFW photos' : 'given photos');
}

/** Faces of the demo photos (or the LFW photos standing in for them). */
async function alignStep(ctx: DemoContext): Promise<void> {
  const { log, photos, model, dir } = ctx;
  const what = photosLabel(ctx.opts);
  await log.run(
    { name: 'align', title: `detect and align every face of the ${photos.length} ${what}`, parameters: { photos: photos.length, source: what, template: model.alignment.name, minConfidence: 0.5 }, output: 'faces' },
    async () => {
      const r = await alignDemoFaces(photos, model, dir);
      ctx.faces = r.faces;
      if (r.faces.length === 0) throw new Error(`no face found in the ${photos.length} ${what}`);
      return { numbers: { faces: r.faces.length, photos: photos.length, skipped: r.skipped.length } };
    },
  );
}

/** The sweep: the demo faces, or the larger dataset. */
async function sweepStep(ctx: DemoContext): Promise<void> {
  const { log, opts, model, sweepDir, batch, dataCache } = ctx;
  const sweepSource = opts.dataset ? 'dataset' : opts.lfw ? 'LFW images' : `faces of the ${photosLabel(opts)}`;
  let swept: Dataset | undefined;
  const sweepSpec = {
    name: 'sweep',
    title: `projection value + argmax of every neuron of ${opts.layers ? opts.layers.join(', ') : 'every probe layer'} on the ${sweepSource}`,
    parameters: { source: sweepSource, layers: opts.layers ?? 'all', batch },
    output: 'sweep',
  };
  if (!opts.dataset && !opts.lfw && ctx.faces.length === 0) await log.skip(sweepSpec, 'no faces from the align step');
  else {
    await log.run(sweepSpec, async () => {
      const fromFaces = !opts.dataset && !opts.lfw;
      swept = fromFaces ? await readImages(facePaths(ctx, ctx.faces)) : opts.dataset ? await openDataset(opts.dataset, { allImages: false }) : await openDemoLfw(opts.lfw!, opts.lfwLimit);
      ctx.swept = swept;
      const r = await sweep({
        model,
        dataset: swept,
        out: sweepDir,
        layers: opts.layers ?? 'all',
        batch,
        detect: !fromFaces,
        ...(fromFaces ? { cache: false } : dataCache),
      });
      ctx.sweepRows = r.rows;
      ctx.sweepLayers = r.manifest.layers.map((l) => ({ name: l.name, spatial: l.spatial, kind: l.kind }));
      return { numbers: { images: r.rows, skipped: r.skipped, layers: r.manifest.layers.length }, parameters: { dataset: { kind: swept.kind, root: swept.root, items: swept.items.length }, detect: !fromFaces } };
    });
  }
}

/** Atlas of every swept layer. */
async function atlasStep(ctx: DemoContext): Promise<void> {
  const { log, opts, model, sweepDir, atlasNeurons, seed, dir, dataCache } = ctx;
  const topN = topNFor(ctx.sweepRows, ctx.topCap);
  if (ctx.sweepLayers.length === 0) {
    await log.skip({ name: 'atlas', title: 'neuron atlas of every swept layer', parameters: {}, output: 'atlas' }, noSweep(ctx));
    await log.skip({ name: 'similarity', title: 'neuron similarity matrices', parameters: {}, output: 'similarity' }, noSweep(ctx));
  }
  for (const l of ctx.sweepLayers) {
    await log.run(
      {
        name: `atlas/${l.name}`,
        title: `atlas of ${l.name}: top-${topN} samples of ${atlasNeurons} neurons, deconvnet projections, t-SNE mosaics`,
        parameters: { layer: l.name, neurons: `top-variance:${atlasNeurons}`, n: topN, mode: 'deconv', seed },
        output: `atlas/${l.name}`,
      },
      async () => {
        const r = await atlas({
          sweepDir,
          layer: l.name,
          neurons: `top-variance:${atlasNeurons}`,
          n: topN,
          mode: 'deconv',
          out: path.join(dir, 'atlas', l.name),
          seed,
          model,
          ...(opts.dataset || opts.lfw ? dataCache : { cache: false }),
        });
        ctx.atlasNeuronsOf.set(l.name, r.neurons);
        return { numbers: { neurons: r.neurons.join(' '), warnings: r.warnings.length } };
      },
    );
  }
}

/** Similarity of every spatial layer and the embedding (cheap: from the sweep table). */
async function similarityStep(ctx: DemoContext): Promise<void> {
  const { log, sweepDir, dir } = ctx;
  const topN = topNFor(ctx.sweepRows, ctx.topCap);
  for (const l of ctx.sweepLayers.filter((x) => x.spatial || x.kind === 'embedding')) {
    await log.run(
      { name: `similarity/${l.name}`, title: `neuron similarity matrix of ${l.name} (eq. 2)`, parameters: { layer: l.name, n: topN }, output: `similarity/${l.name}` },
      async () => {
        const r = await similarity({ sweepDir, layer: l.name, out: path.join(dir, 'similarity', l.name), n: topN });
        return { numbers: { neurons: r.neurons, 'mean S': r.meanOffDiagonal.toFixed(3), dead: r.dead.length } };
      },
    );
  }
}

/** Invariance on the best-detected faces. */
async function invarianceStep(ctx: DemoContext): Promise<void> {
  const { log, opts, model, dir, batch } = ctx;
  const invN = opts.invarianceImages ?? DEMO_DEFAULTS.invarianceImages;
  const invSpec = { name: 'invariance', title: `translation / rotation / scale invariance per layer on ${invN} faces`, parameters: { images: invN, layers: 'all', border: 'replicate' }, output: 'invariance' };
  if (ctx.faces.length === 0) await log.skip(invSpec, 'no faces from the align step');
  else {
    await log.run(invSpec, async () => {
      const r = await invariance({
        model,
        dataset: await readImages(facePaths(ctx, byScore(ctx).slice(0, invN))),
        out: path.join(dir, 'invariance'),
        layers: 'all',
        detect: false,
        cache: false,
        batch,
        ...(opts.invarianceRanges ? { ranges: opts.invarianceRanges } : {}),
      });
      const rot = r.transforms.find((t) => t.transform === 'rotate');
      const last = rot?.layers[rot.layers.length - 1];
      return { numbers: { images: r.images.length, ...(last ? { [`${last.layer} distance at ${rot!.values[rot!.values.length - 1]} deg`]: last.mean[last.mean.length - 1]!.toFixed(3) } : {}) } };
    });
  }
}

/** Correspondence: needs landmarks, so the crops are re-detected (those that fail are left out). */
async function correspondenceStep(ctx: DemoContext): Promise<void> {
  const { log, opts, model, dir, batch, seed } = ctx;
  const C = CORRESPONDENCE_DEFAULTS;
  const corrN = opts.correspondenceImages ?? C.images;
  const corrSpec = { name: 'correspondence', title: `occlusion correspondence (Delta) of eyes / nose / mouth vs random masks on ${corrN} faces`, parameters: { images: corrN, draws: C.draws, maskScale: C.maskScale, fill: C.fill, seed: seedKey(seed) }, output: 'correspondence' };
  if (ctx.faces.length < 2) await log.skip(corrSpec, 'needs at least 2 faces');
  else {
    await log.run(corrSpec, async () => {
      const r = await correspondence({
        model,
        dataset: await readImages(facePaths(ctx, byScore(ctx).slice(0, corrN))),
        out: path.join(dir, 'correspondence'),
        layers: 'all',
        seed,
        batch,
        cache: false,
      });
      const last = r.rows[0]!.layers.length - 1;
      const cell = (mask: string) => r.rows.find((x) => x.mask === mask)?.layers[last]?.delta_mean;
      return { numbers: { faces: r.images.length, layer: r.rows[0]!.layers[last]!.layer, 'Delta nose': cell('nose')?.toFixed(3) ?? '-', 'Delta random': cell('random')?.toFixed(3) ?? '-' } };
    });
  }
}

/** Activation maximisation: the atlas' top neurons of the highest layers, facet init. */
async function maximizeStep(ctx: DemoContext): Promise<void> {
  const { log, opts, model, dir, sweepDir, amNeurons, amFacets, amSchedule, dataCache, seed } = ctx;
  const amLayerNames = Array.isArray(opts.amLayers) ? opts.amLayers : ctx.sweepLayers.slice(-(opts.amLayers ?? DEMO_DEFAULTS.amLayers)).map((l) => l.name);
  if (amLayerNames.length === 0) await log.skip({ name: 'maximize', title: 'activation maximisation', parameters: {}, output: 'maximize' }, noSweep(ctx));
  else {
    for (const layer of amLayerNames) {
      const atlasDir = path.join(dir, 'atlas', layer);
      const neurons = (ctx.atlasNeuronsOf.get(layer) ?? []).slice(0, amNeurons);
      const spec = {
        name: `maximize/${layer}`,
        title: `activation maximisation of ${amNeurons} neuron(s) of ${layer}, ${amFacets} facet(s) each`,
        parameters: { layer, neurons, facets: amFacets, init: 'cluster (mean of the top-9 faces of a t-SNE cluster of the atlas)', ...amSchedule },
        output: `maximize/${layer}`,
      };
      if (neurons.length === 0) {
        await log.skip(spec, `no atlas of ${layer} (its atlas step ${log.step(`atlas/${layer}`)?.status ?? 'did not run'})`);
        continue;
      }
      await log.run(spec, async () => {
        // one ONNX Runtime backward session per layer, shared by every neuron and facet
        const engine = await createGradientEngine(model, { output: findProbe(model, layer).tensor, rule: 'gradient' });
        const gains: string[] = [];
        try {
          for (const neuron of neurons) {
            // Facets in size order; a neuron with fewer clusters than asked gets what it has.
            const nf = await neuronFacets({ sweepDir, atlasDir, layer, neuron, model, seed });
            for (let facet = 0; facet < Math.min(amFacets, nf.facets.length); facet++) {
              const f = await facetInitImage(nf, facet, opts.dataset || opts.lfw ? dataCache : { cache: false });
              const r = await maximize({
                model,
                layer,
                neuron,
                engine,
                init: f.image,
                facet,
                initLabel: `cluster: facet ${facet} of ${nf.facets.length} (k-means on the atlas t-SNE): mean of its top-${f.facet.top.length} faces ${f.facet.top.map((t) => t.id).join(', ')}`,
                ...amSchedule,
              });
              await writeMaximizeOutputs(r, path.join(dir, 'maximize', layer), model.name, { atlasDir });
              gains.push(`#${neuron}/${facet}: ${r.initialActivation.toFixed(2)} -> ${r.finalActivation.toFixed(2)}`);
            }
          }
        } finally {
          await engine.release();
        }
        return { numbers: { runs: gains.length, activation: gains.join('; ') } };
      });
    }
  }
}

/** Verification (LFW). */
async function verifyStep(ctx: DemoContext): Promise<void> {
  const { log, opts, model, dir, batch, dataCache } = ctx;
  const verSpec = { name: 'verify', title: 'per-layer verification on the LFW pairs (Table II)', parameters: { layers: 'all', flip: false }, output: 'verify' };
  if (!opts.lfw) await log.skip(verSpec, 'no LFW folder given (run with --lfw DIR)');
  else {
    const lfwDir = opts.lfw;
    await log.run(verSpec, async () => {
      const r = await verify({ model, dataset: await openDemoLfw(lfwDir, opts.lfwLimit), out: path.join(dir, 'verify'), layers: 'all', batch, ...dataCache });
      ctx.lfwVerify = r;
      const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
      const first = r.layers[0]!, last = r.layers[r.layers.length - 1]!;
      return { numbers: { pairs: r.pairs.used, [first.layer]: pct(first.accuracy_mean), [last.layer]: pct(last.accuracy_mean) } };
    });
  }
}

/** CFP-FF / CFP-FP verification next to LFW (CFP). */
async function cfpVerifyStep(ctx: DemoContext): Promise<void> {
  const { log, opts, model, dir, batch, dataCache } = ctx;
  await runCfpVerifyStep(log, { model, cfp: opts.cfp, dir, batch, cache: dataCache, ...(ctx.lfwVerify ? { lfw: ctx.lfwVerify } : {}) });
}

/** Pose (CFP). */
async function poseStep(ctx: DemoContext): Promise<void> {
  const { log, opts, model, dir, batch, dataCache, seed } = ctx;
  const P = POSE_DEFAULTS;
  const ids = opts.cfpIdentities ?? P.identities;
  const poseSpec = { name: 'pose', title: `frontal / profile k-NN per layer on CFP identities ${ids} (Fig. 6)`, parameters: { identities: ids, layers: 'all', folds: P.folds, seed: seedKey(seed), metric: P.metric }, output: 'pose' };
  if (!opts.cfp) await runYawStep(log, { model, dataset: ctx.swept, dir, seed, batch, cache: opts.dataset || opts.lfw ? dataCache : { cache: false } });
  else {
    const cfpDir = opts.cfp;
    await log.run(poseSpec, async () => {
      const r = await pose({ model, dataset: await openDataset(cfpDir), out: path.join(dir, 'pose'), layers: 'all', identities: ids, folds: P.folds, seed, metric: P.metric, batch, ...dataCache });
      const first = r.layers[0]!, last = r.layers[r.layers.length - 1]!;
      return { numbers: { images: r.images, [first.layer]: `${(100 * first.pooled.nested_accuracy).toFixed(1)}%`, [last.layer]: `${(100 * last.pooled.nested_accuracy).toFixed(1)}%` } };
    });
  }
}

/** The demo: these steps in this order, each recorded in run.json (a failing one does not stop the rest). */
export const DEMO_STEPS: readonly { name: string; run: (ctx: DemoContext) => Promise<void> }[] = [
  { name: 'align', run: alignStep },
  { name: 'sweep', run: sweepStep },
  { name: 'atlas', run: atlasStep },
  { name: 'similarity', run: similarityStep },
  { name: 'invariance', run: invarianceStep },
  { name: 'correspondence', run: correspondenceStep },
  { name: 'maximize', run: maximizeStep },
  { name: 'verify', run: verifyStep },
  { name: 'verify-cfp', run: cfpVerifyStep },
  { name: 'pose', run: poseStep },
];

export async function runDemo(opts: DemoOptions = {}): Promise<DemoSummary> {
  const dir = path.resolve(opts.out ?? 'facelens-report');
  const seed = opts.seed ?? DEMO_DEFAULTS.seed;
  const say = opts.log ?? (() => {});
  const model = typeof opts.model === 'object' ? opts.model : await loadModel(opts.model ?? DEFAULT_MODEL);
  const photos = opts.photos ?? demoPhotos();
  const atlasNeurons = opts.atlasNeurons ?? DEMO_DEFAULTS.atlasNeurons;
  const topCap = opts.topN ?? DEMO_DEFAULTS.topN;
  const amSchedule: Partial<MaximizeParams> = { ...AM_DEFAULTS, ...opts.am, seed };
  const amNeurons = opts.amNeurons ?? DEMO_DEFAULTS.amNeurons;
  const amFacets = opts.amFacets ?? DEMO_DEFAULTS.amFacets;
  const batch = opts.batch ?? DEFAULT_BATCH;
  const dataCache = { cache: opts.cache ?? true, cacheDir: opts.cacheDir };

  // Never delete what is not ours, nor the last results before the new ones are complete.
  await checkDemoOut(dir);
  const aside = await setAsidePrevious(dir, RESULT_PARTS);
  if (aside) say(aside);
  const log = new RunLog(
    dir,
    {
      command: 'demo',
      seed,
      model: model.name,
      datasets: {
        demo: { what: photosLabel(opts), photos: photos.map((p) => p.id), source: photos[0] ? path.dirname(photos[0].path) : '' },
        ...(opts.lfw ? { lfw: path.resolve(opts.lfw), ...(opts.lfwLimit ? { lfwLimit: opts.lfwLimit } : {}) } : {}),
        ...(opts.banner ? { banner: opts.banner } : {}),
        ...(opts.cfp ? { cfp: path.resolve(opts.cfp) } : {}),
        ...(opts.dataset ? { dataset: path.resolve(opts.dataset) } : {}),
      },
      options: { atlasNeurons, topN: topCap, amLayers: opts.amLayers ?? DEMO_DEFAULTS.amLayers, amNeurons, amFacets, am: amSchedule, layers: opts.layers ?? 'all', batch },
      budgetSeconds: BUDGET_SECONDS,
    },
    say,
  );
  if (opts.banner) say(`NOTE: ${opts.banner}`);
  await log.save();

  const ctx: DemoContext = {
    opts,
    dir,
    seed,
    model,
    log,
    photos,
    atlasNeurons,
    topCap,
    amNeurons,
    amFacets,
    amSchedule,
    batch,
    dataCache,
    sweepDir: path.join(dir, 'sweep'),
    faces: [],
    sweepRows: 0,
    sweepLayers: [],
    atlasNeuronsOf: new Map(),
  };
  for (const step of DEMO_STEPS) await step.run(ctx);

  const record = await log.finish();
  return { dir, runFile: log.file, record, faces: ctx.faces.length, failed: record.steps.filter((s) => s.status === 'failed') };
}
