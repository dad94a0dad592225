import { resolve } from 'node:path';
import type { Command } from 'commander';
import { EXPLAIN_DEFAULTS } from '../../analyses/explain/explain.js';
import { FILL_MODES, type FillMode } from '../../analyses/explain/maps.js';
import { readPairsFile, type ExplainPairSpec } from '../../analyses/explain/pairs.js';
import { runExplain } from '../../analyses/explain/run.js';
import { readVerifyThresholds } from '../../analyses/explain/thresholds.js';
import { findProbe } from '../../models/face-model.js';
import { UserError } from '../../core/errors.js';
import { decodeImage } from '../../data/image-io.js';
import { info, result } from '../log.js';
import { addDataOptions, addModelOption, dataOptions, intArg, modelFromOptions } from '../options.js';
import { progressBars } from '../progress.js';

export function registerExplain(program: Command): void {
  const cmd = program
    .command('explain')
    .description("why a model scores two faces as it does: occlusion, gradient, gradient x input and integrated-gradients maps of the pair's cosine similarity over each face, eye/nose/mouth part drops, deletion/insertion faithfulness vs a random order, and the pair's similarity at every layer")
    .argument('[images...]', 'two face images A B (or use --pairs)')
    .option('--pairs <file>', 'pairs to explain: LFW pairs.txt lines (Name i j / Name1 i Name2 j) or CSV a,b[,label]')
    .option('--images <dir>', 'image folder of an LFW pairs file (default <file dir>/images or the file dir)')
    .option('--max-pairs <n>', 'explain only the first n pairs (after --only)', intArg('--max-pairs'))
    .option('--only <which>', 'pairs file: keep only same or different pairs')
    .option('-l, --layer <name>', 'probe layer whose cosine similarity is explained', 'embedding')
    .option('--patch <px>', 'occlusion patch side', intArg('--patch'), EXPLAIN_DEFAULTS.patch)
    .option('--stride <px>', 'occlusion stride', intArg('--stride'), EXPLAIN_DEFAULTS.stride)
    .option('--fill <mode>', `occlusion / deletion fill: ${FILL_MODES.join(' | ')}`, EXPLAIN_DEFAULTS.fill)
    .option('--blur-sigma <px>', 'Gaussian sigma of --fill blur', String(EXPLAIN_DEFAULTS.blurSigma))
    .option('--steps <n>', 'deletion / insertion steps', intArg('--steps'), EXPLAIN_DEFAULTS.steps)
    .option('--random-orders <n>', 'random pixel orders averaged for the reference curve', intArg('--random-orders'), EXPLAIN_DEFAULTS.randomOrders)
    .option('--ig-steps <n>', 'integrated-gradients steps', intArg('--ig-steps'), EXPLAIN_DEFAULTS.igSteps)
    .option('--ig-baseline <mode>', `integrated-gradients baseline: ${FILL_MODES.join(' | ')} (blur: the face blurred with --blur-sigma)`, EXPLAIN_DEFAULTS.igBaseline)
    .option('--cam-layer <name>', 'probe layer of the similarity Grad-CAM map (default: the deepest spatial probe with at least 8x8 cells)')
    .option('--seed <seed>', 'seed of the random orders', EXPLAIN_DEFAULTS.seed)
    .option('--verify-summary <file>', 'summary.json of a `facelens verify` run of the same model: marks each layer\'s similarity against its threshold')
    .option('-o, --out <dir>', 'output folder', 'facelens-out/explain');
  addModelOption(cmd);
  addDataOptions(cmd).action(async (images: string[], opts) => {
    if (!FILL_MODES.includes(opts.fill)) throw new UserError(`--fill must be ${FILL_MODES.join(' or ')} (got "${opts.fill}")`);
    if (opts.only !== undefined && opts.only !== 'same' && opts.only !== 'different') throw new UserError(`--only must be same or different (got "${opts.only}")`);
    if (!FILL_MODES.includes(opts.igBaseline)) throw new UserError(`--ig-baseline must be ${FILL_MODES.join(' or ')} (got "${opts.igBaseline}")`);
    const blurSigma = Number(opts.blurSigma);
    if (!(blurSigma > 0.3 && blurSigma <= 100)) throw new UserError(`--blur-sigma must be a number in (0.3, 100] (got "${opts.blurSigma}")`);
    if (opts.only !== undefined && opts.only !== 'same' && opts.only !== 'different') throw new UserError(`--only must be same or different (got "${opts.only}")`);
    let pairs: ExplainPairSpec[];
    if (opts.pairs) {
      if (images.length > 0) throw new UserError('give either two images or --pairs FILE, not both');
      pairs = await readPairsFile(opts.pairs, opts.images);
      if (opts.only) pairs = pairs.filter((p) => p.same === (opts.only === 'same'));
      if (opts.maxPairs !== undefined) pairs = pairs.slice(0, opts.maxPairs);
      if (pairs.length === 0) throw new UserError(`${opts.pairs}: no pairs left after --only ${opts.only}`);
    } else {
      if (images.length !== 2) throw new UserError(`explain takes two images A B (got ${images.length}), or --pairs FILE`);
      pairs = [{ a: resolve(images[0]!), b: resolve(images[1]!), source: 'command line' }];
      // Two named images: an unreadable one is an error naming it, not a skipped pair.
      for (const f of images) await decodeImage(f);
    }
    const model = await modelFromOptions(opts);
    findProbe(model, opts.layer);
    if (opts.camLayer !== undefined) findProbe(model, opts.camLayer);
    if (opts.patch > Math.min(model.inputSize.width, model.inputSize.height)) throw new UserError(`--patch ${opts.patch} is larger than the ${model.inputSize.width} px input`);
    const thresholds = opts.verifySummary ? await readVerifyThresholds(opts.verifySummary, model.name) : undefined;
    const bars = progressBars();
    const r = await runExplain({
      model,
      layer: opts.layer,
      pairs,
      out: opts.out,
      patch: opts.patch,
      stride: opts.stride,
      fill: opts.fill as FillMode,
      blurSigma,
      steps: opts.steps,
      randomOrders: opts.randomOrders,
      igSteps: opts.igSteps,
      igBaseline: opts.igBaseline as FillMode,
      camLayer: opts.camLayer,
      seed: opts.seed,
      thresholds,
      verifySummary: opts.verifySummary,
      ...dataOptions(opts),
      onProgress: (stage, done, total) => bars.onProgress({ stage, done, total }),
    });
    bars.stop();
    if (r.pairs.length === 0) {
      const first = r.skipped[0];
      throw new UserError(`no pair could be explained (${r.skipped.length} skipped${first ? `; first: ${first.pair}: ${first.reason}` : ''}); the skipped pairs are listed in ${r.files.summary}`);
    }
    info(`${r.pairs.length} pair(s) explained (${r.resumed} resumed), ${r.skipped.length} skipped; ${r.undetected.length} image(s) without a detected face (centre-cropped, no part summary)`);
    for (const s of r.skipped.slice(0, 5)) info(`  skipped ${s.pair}: ${s.reason}`);
    const camError = r.pairs.flatMap((p) => p.faces).find((f) => f.cam?.error)?.cam;
    if (camError) info(`no layer Grad-CAM (${camError.layer ?? 'no layer'}): ${camError.error}; its map is all zeros and left out of the faithfulness table`);
    info(`time: ${Object.entries(r.seconds).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(', ')}`);
    result(`${'map'.padEnd(12)}${'deletion AUC'.padStart(14)}${'random'.padStart(10)}${'below'.padStart(8)}${'insertion'.padStart(11)}${'random'.padStart(10)}${'above'.padStart(8)}`);
    for (const g of r.aggregate) {
      result(`${g.map.padEnd(12)}${g.deletionAuc.toFixed(4).padStart(14)}${g.randomDeletionAuc.toFixed(4).padStart(10)}${`${g.deletionBelowRandom}/${g.faces}`.padStart(8)}${g.insertionAuc.toFixed(4).padStart(11)}${g.randomInsertionAuc.toFixed(4).padStart(10)}${`${g.insertionAboveRandom}/${g.faces}`.padStart(8)}`);
    }
    result(r.files.summary);
  });
}
