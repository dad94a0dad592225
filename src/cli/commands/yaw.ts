import type { Command } from 'commander';
import { DEFAULT_KS } from '../../analyses/probes/pose.js';
import { selectItems } from '../../analyses/probes/shared.js';
import { yawProbe } from '../../analyses/yaw/yaw-probe.js';
import { openDataset } from '../../data/datasets/index.js';
import { UserError } from '../../core/errors.js';
import { info, result } from '../log.js';
import { addDataOptions, addModelOption, dataOptions, intArg, modelFromOptions } from '../options.js';
import { progressBars } from '../progress.js';

export function registerYaw(program: Command): void {
  const cmd = program
    .command('yaw')
    .description('head pose per layer on any dataset: yaw/pitch from the 68 landmarks, then k-NN regression (R^2, MAE) and frontal-vs-turned k-NN accuracy per layer (CV as `pose`)')
    .argument('<dataset>', 'any dataset (LFW, CFP, folder of identities, CSV, images); CFP labels also validate the yaw estimate')
    .option('-l, --layers <names>', 'comma-separated probe layers, or "all"', 'all')
    .option('--identities <list>', 'keep these identities, e.g. 001-010')
    .option('--limit <n>', 'use at most n images (dataset order)', intArg('--limit'))
    .option('--ks <list>', 'candidate k values', DEFAULT_KS.join(','))
    .option('--folds <n>', 'cross-validation folds', intArg('--folds'), 10)
    .option('--seed <seed>', 'fold seed', 'facelens')
    .option('--metric <name>', 'k-NN distance: cosine or euclidean', 'cosine')
    .option('--frontal <deg>', 'frontal: |yaw| below this', '15')
    .option('--turned <deg>', 'turned: |yaw| above this', '30')
    .option('--no-plots', 'skip the PNG/SVG plot')
    .option('-o, --out <dir>', 'output folder', 'facelens-out/yaw');
  addModelOption(cmd);
  addDataOptions(cmd).action(async (datasetArg: string, opts) => {
    const ks = String(opts.ks).split(',').map((s) => Number(s.trim()));
    if (ks.some((k) => !Number.isInteger(k) || k < 1)) throw new UserError(`--ks must be positive integers (got "${opts.ks}")`);
    if (opts.folds < 2) throw new UserError('--folds must be at least 2');
    if (opts.metric !== 'cosine' && opts.metric !== 'euclidean') throw new UserError(`--metric must be cosine or euclidean (got "${opts.metric}")`);
    const frontalMax = Number(opts.frontal), turnedMin = Number(opts.turned);
    if (!(frontalMax > 0) || !(turnedMin >= frontalMax)) throw new UserError(`need 0 < --frontal <= --turned (got ${opts.frontal}, ${opts.turned})`);
    const model = await modelFromOptions(opts);
    const ds = await openDataset(datasetArg);
    const dataset = opts.identities ? { ...ds, items: selectItems(ds.items, { identities: opts.identities }) } : ds;
    const bars = progressBars();
    const r = await yawProbe({ model, dataset, out: opts.out, layers: opts.layers, limit: opts.limit, ks, folds: opts.folds, seed: opts.seed, metric: opts.metric, frontalMax, turnedMin, plots: opts.plots, ...dataOptions(opts), onProgress: bars.onProgress });
    bars.stop();
    info(`${r.faces} faces with landmarks, ${r.undetected.length} without, ${r.unreadable.length} unreadable; median |yaw| ${r.yawStats.median_abs.toFixed(1)} deg; ${r.yawStats.frontal} frontal, ${r.yawStats.turned} turned, ${r.yawStats.between} between`);
    if (r.validation) {
      for (const c of r.validation.classes) info(`${c.label}: ${c.n} faces (${c.undetected} no face), median |yaw| ${c.median_abs_yaw.toFixed(1)} deg, ${(100 * c.share_above_30).toFixed(0)}% above 30 deg`);
      if (r.validation.auc_profile_vs_frontal !== undefined) info(`AUC of |yaw| for profile vs frontal: ${r.validation.auc_profile_vs_frontal.toFixed(4)}`);
    }
    result(`${'layer'.padEnd(12)} yaw R2   MAE    pitch R2  frontal/turned (majority)`);
    for (const l of r.layers) {
      const ft = typeof l.frontalTurned === 'object' ? `${(100 * l.frontalTurned.nested_accuracy).toFixed(1)}% (${(100 * l.frontalTurned.majority_baseline).toFixed(1)}%)` : '-';
      result(`${l.layer.padEnd(12)} ${l.yaw.nested.r2.toFixed(3).padStart(6)} ${l.yaw.nested.mae.toFixed(1).padStart(6)} ${l.pitch.nested.r2.toFixed(3).padStart(8)}  ${ft}`);
    }
    result(r.files.summary);
  });
}
