import type { Command } from 'commander';
import { DEFAULT_KS, pose } from '../../analyses/probes/pose.js';
import { openDataset } from '../../data/datasets/index.js';
import { UserError } from '../../core/errors.js';
import { info, result } from '../log.js';
import { addDataOptions, addModelOption, modelFromOptions, dataOptions, intArg } from '../options.js';
import { progressBars } from '../progress.js';

export function registerPose(program: Command): void {
  const cmd = program
    .command('pose')
    .description('frontal/profile k-NN classification per layer (paper Fig. 6), k by 10-fold CV, per identity and pooled')
    .argument('<dataset>', 'a CFP folder (images/<id>/{frontal,profile}/) or a CSV list with identity and label (frontal/profile) columns')
    .option('-l, --layers <names>', 'comma-separated probe layers, or "all"', 'all')
    .option('--identities <list>', 'keep these identities, e.g. 001-010 (the paper used 10)')
    .option('--ks <list>', 'candidate k values', DEFAULT_KS.join(','))
    .option('--folds <n>', 'cross-validation folds', intArg('--folds'), 10)
    .option('--seed <seed>', 'fold seed', 'facelens')
    .option('--metric <name>', 'k-NN distance: cosine or euclidean', 'cosine')
    .option('--no-plots', 'skip the PNG/SVG plot')
    .option('-o, --out <dir>', 'output folder', 'facelens-out/pose');
  addModelOption(cmd);
  addDataOptions(cmd).action(async (datasetArg: string, opts) => {
    const ks = String(opts.ks).split(',').map((s) => Number(s.trim()));
    if (ks.length === 0 || ks.some((k) => !Number.isInteger(k) || k < 1)) throw new UserError(`--ks must be positive integers (got "${opts.ks}")`);
    if (opts.folds < 2) throw new UserError('--folds must be at least 2');
    if (opts.metric !== 'cosine' && opts.metric !== 'euclidean') throw new UserError(`--metric must be cosine or euclidean (got "${opts.metric}")`);
    const model = await modelFromOptions(opts);
    const dataset = await openDataset(datasetArg);
    const bars = progressBars();
    const r = await pose({
      model,
      dataset,
      out: opts.out,
      layers: opts.layers,
      identities: opts.identities,
      ks,
      folds: opts.folds,
      seed: opts.seed,
      metric: opts.metric,
      ...dataOptions(opts),
      plots: opts.plots,
      onProgress: bars.onProgress,
    });
    bars.stop();
    const cu = Object.entries(r.crops.centreUndetected).map(([c, n]) => `${n} ${c}`).join(' + ');
    const nd = r.crops.centreNoDetect ? `, ${r.crops.centreNoDetect} centre-cropped (--no-detect)` : '';
    info(`${r.images} images of ${r.identities.length} identities; ${r.crops.aligned} aligned, ${cu} centre-cropped (no face detected)${nd}; ${r.unreadable.length} unreadable`);
    info(`time: ${Object.entries(r.seconds).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(', ')}`);
    result(`${'layer'.padEnd(12)} nested-CV  best-k-CV (k)  majority  identities (nested mean)`);
    for (const l of r.layers) {
      const idMean = l.identities.reduce((s, g) => s + g.nested_accuracy, 0) / Math.max(1, l.identities.length);
      result(
        `${l.layer.padEnd(12)} ${(100 * l.pooled.nested_accuracy).toFixed(1).padStart(8)}%  ${(100 * l.pooled.bestk_cv_accuracy).toFixed(1).padStart(8)}% (${l.pooled.bestK})  ${(100 * l.pooled.majority_baseline).toFixed(1)}%  ${(100 * idMean).toFixed(1)}%`,
      );
    }
    result(r.files.summary);
  });
}
