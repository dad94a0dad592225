import type { Command } from 'commander';
import { pose, poseFeatures, POSE_DEFAULTS } from '../../analyses/probes/pose.js';
import { readFeatureStore } from '../../analyses/feature-store.js';
import { addShardOptions, shardFromOptions } from '../shard-args.js';
import { openDataset } from '../../data/datasets/index.js';
import { UserError } from '../../core/errors.js';
import { info, result } from '../log.js';
import { addChoiceOption, addDataOptions, addLayersOption, addModelOption, addOutOption, addSeedOption, modelFromOptions, runOptions, numberArg } from '../options.js';
import { progressBars } from '../progress.js';

export function registerPose(program: Command): void {
  const cmd = program
    .command('pose')
    .description('frontal/profile k-NN classification per layer (paper Fig. 6), k by 10-fold CV, per identity and pooled')
    .argument('<dataset>', 'a CFP folder (images/<id>/{frontal,profile}/) or a CSV list with identity and label (frontal/profile) columns')
    .option('--identities <list>', 'keep these identities, e.g. 001-010 (the paper used 10)')
    .option('--ks <list>', 'candidate k values', POSE_DEFAULTS.ks.join(','))
    .option('--folds <n>', 'cross-validation folds (at least 2)', numberArg('--folds', (n) => Number.isInteger(n) && n >= 2, 'an integer >= 2'), POSE_DEFAULTS.folds)
    .option('--no-plots', 'skip the PNG/SVG plot')
    .option('--features <dir>', 'take the features from a feature folder (the `facelens merge` of `pose --shard` runs) instead of computing them');
  addSeedOption(cmd, 'fold seed (n keys the folds as facelens-n, as `facelens demo --seed n` does)', POSE_DEFAULTS.seed);
  addChoiceOption(cmd, '--metric <name>', 'k-NN distance', ['cosine', 'euclidean'], POSE_DEFAULTS.metric);
  addLayersOption(cmd);
  addOutOption(cmd, 'facelens-out/pose');
  addShardOptions(cmd);
  addModelOption(cmd);
  addDataOptions(cmd).action(async (datasetArg: string, opts) => {
    const ks = String(opts.ks).split(',').map((s) => Number(s.trim()));
    if (ks.length === 0 || ks.some((k) => !Number.isInteger(k) || k < 1)) throw new UserError(`--ks must be positive integers (got "${opts.ks}")`);
    const model = await modelFromOptions(opts);
    const dataset = await openDataset(datasetArg);
    const bars = progressBars();
    const { shard, out } = shardFromOptions(opts);
    if (shard && opts.features) throw new UserError('--shard computes features; --features reads them: give one');
    if (shard) {
      // Sharded: only the feature step, for this shard's images; the k-NN needs all of them.
      const f = await poseFeatures({ ...runOptions(opts, model, dataset, bars.onProgress), out, identities: opts.identities, shard });
      bars.stop();
      info(`features of ${f.rows} images (${f.unreadable} unreadable), shard ${shard.index} of ${shard.count}; when all shards are done: facelens merge <shards> --out M, then facelens pose ... --features M`);
      result(f.dir);
      return;
    }
    const features = opts.features ? await readFeatureStore(opts.features) : undefined;
    const r = await pose({
      ...runOptions(opts, model, dataset, bars.onProgress),
      out,
      features,
      identities: opts.identities,
      ks,
      folds: opts.folds,
      seed: opts.seed,
      metric: opts.metric,
      plots: opts.plots,
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
