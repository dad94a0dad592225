import type { Command } from 'commander';
import { AM_DEFAULTS, DEMO_DEFAULTS, runDemo } from '../../demo/pipeline.js';
import { demoSummaryText } from '../../demo/summary.js';
import { buildReportDetailed } from '../../report/html/build.js';
import { info, result } from '../log.js';
import { POSE_DEFAULTS } from '../../analyses/probes/pose.js';
import { addModelOption, addOutOption, addSeedOption, intArg, modelFromOptions } from '../options.js';

export { demoPhotos } from '../../demo/photos.js';

export function registerDemo(program: Command): void {
  const cmd = program
    .command('demo')
    .description('the whole pipeline on the bundled demo photos (+ LFW / CFP / a dataset when given) and the HTML report (what `npm start` runs)')
    .option('--lfw <dir>', 'LFW folder (images/ + pairs.txt): adds per-layer verification; swept instead of the demo faces unless --dataset')
    .option('--cfp <dir>', 'CFP folder: adds the frontal/profile pose probe')
    .option('--dataset <dir>', 'a larger dataset to sweep and atlas instead of the demo faces');
  addOutOption(cmd, 'facelens-report', 'results directory (its demo parts are replaced)');
  addSeedOption(cmd, 'seed of every random choice (t-SNE, facet k-means, masks, AM jitter, folds)')
    .option('--atlas-neurons <k>', 'neurons per layer in the atlas (highest variance)', intArg('--atlas-neurons'), DEMO_DEFAULTS.atlasNeurons)
    .option('--am-steps <n>', 'activation maximisation: steps per octave', intArg('--am-steps'), AM_DEFAULTS.steps)
    .option('--am-neurons <n>', 'activation maximisation: neurons per layer', intArg('--am-neurons'), DEMO_DEFAULTS.amNeurons)
    .option('--am-facets <n>', 'activation maximisation: facets per neuron', intArg('--am-facets'), DEMO_DEFAULTS.amFacets)
    .option('--cfp-identities <list>', 'CFP identities for the pose probe', POSE_DEFAULTS.identities);
  addModelOption(cmd).action(async (opts) => {
    const summary = await runDemo({
      out: opts.out,
      model: await modelFromOptions(opts),
      seed: opts.seed,
      lfw: opts.lfw,
      cfp: opts.cfp,
      dataset: opts.dataset,
      atlasNeurons: opts.atlasNeurons,
      amNeurons: opts.amNeurons,
      amFacets: opts.amFacets,
      am: { steps: opts.amSteps },
      cfpIdentities: opts.cfpIdentities,
      log: info,
    });
    const t = performance.now();
    info('[report] writing index.html ...');
    const report = await buildReportDetailed(summary.dir);
    const reportSeconds = (performance.now() - t) / 1000;
    info(`    ok (${reportSeconds.toFixed(1)} s)`);
    for (const line of demoSummaryText(summary.record, report.sections, reportSeconds)) result(line);
    result(`report: ${report.file}`);
  });
}
