import type { Command } from 'commander';
import { AM_DEFAULTS, DEMO_DEFAULTS, runDemo } from '../../demo/pipeline.js';
import { demoSummaryText } from '../../demo/summary.js';
import { buildReportDetailed } from '../../report/html/build.js';
import { commitDemoOut } from '../../demo/output.js';
import { info, result } from '../log.js';
import { POSE_DEFAULTS } from '../../analyses/probes/pose.js';
import { addBaseUrlOption, addModelOption, addOutOption, addSeedOption, intArg, modelFromOptions, nonNegativeInt } from '../options.js';
import { DEFAULT_LFW_LIMIT, lfwPhotos, openDemoLfw, resolveDemoData } from '../../demo/data-source.js';
import { defaultBaseUrl } from '../../data/fetch/catalog.js';
import { fetchWithProgress } from './data.js';

/** LFW photos whose faces replace the bundled photos' (invariance uses 5, correspondence 15). */
const LFW_PHOTOS = 16;

export { demoPhotos } from '../../demo/photos.js';

export function registerDemo(program: Command): void {
  const cmd = program
    .command('demo')
    .description('the whole pipeline and the HTML report (what `npm start` runs): on LFW (from --lfw or the data folder, downloaded there when absent unless --offline), else on the bundled demo photos; pose on CFP with --cfp, else the yaw probe')
    .option('--lfw <dir>', 'LFW folder (images/ + pairs.txt): adds per-layer verification; swept instead of the demo faces unless --dataset')
    .option('--cfp <dir>', 'CFP folder: adds CFP-FF / CFP-FP verification next to LFW (with its Protocol/) and the frontal/profile pose probe')
    .option('--dataset <dir>', 'a larger dataset to sweep and atlas instead of the demo faces');
  addOutOption(cmd, 'facelens-report', 'results directory (its demo parts are replaced)');
  addSeedOption(cmd, 'seed of every random choice (t-SNE, facet k-means, masks, AM jitter, folds)')
    .option('--atlas-neurons <k>', 'neurons per layer in the atlas (highest variance)', intArg('--atlas-neurons'), DEMO_DEFAULTS.atlasNeurons)
    .option('--am-steps <n>', 'activation maximisation: the most steps per octave (each octave stops when the activation plateaus)', intArg('--am-steps'), AM_DEFAULTS.steps)
    .option('--am-neurons <n>', 'activation maximisation: neurons per layer', intArg('--am-neurons'), DEMO_DEFAULTS.amNeurons)
    .option('--am-facets <n>', 'activation maximisation: facets per neuron', intArg('--am-facets'), DEMO_DEFAULTS.amFacets)
    .option('--cfp-identities <list>', 'CFP identities for the pose probe', POSE_DEFAULTS.identities)
    .option('--lfw-limit <n>', `use at most n LFW images (whole pairs over every fold; 0 = all pairs' images)`, nonNegativeInt('--lfw-limit'), DEFAULT_LFW_LIMIT)
    .option('--offline', 'never download LFW; without it in the data folder, run on the bundled photos')
    .option('--data-dir <dir>', 'data folder holding lfw/ (and cfp/) (default $FACELENS_DATA or ~/.cache/facelens/datasets)');
  addBaseUrlOption(cmd, 'LFW mirror for the download (or $FACELENS_DATA_BASE_URL)');
  addModelOption(cmd).action(async (opts) => {
    const data = await resolveDemoData({
      lfw: opts.lfw,
      cfp: opts.cfp,
      offline: Boolean(opts.offline),
      dataDir: opts.dataDir,
      baseUrl: opts.baseUrl ?? defaultBaseUrl(),
      log: info,
      fetch: (name, o) => fetchWithProgress(name, o),
    });
    if (data.banner) info(`\n*** ${data.banner} ***\n`);
    else if (data.lfw) info(`LFW: ${data.lfw} (${data.lfwSource}${opts.lfwLimit ? `, at most ${opts.lfwLimit} images` : ''})`);
    const photos = data.lfw ? lfwPhotos(await openDemoLfw(data.lfw, opts.lfwLimit), LFW_PHOTOS) : undefined;
    const summary = await runDemo({
      out: opts.out,
      model: await modelFromOptions(opts),
      seed: opts.seed,
      lfw: data.lfw,
      cfp: data.cfp,
      ...(data.lfw ? { lfwLimit: opts.lfwLimit, photos } : {}),
      ...(data.banner ? { banner: data.banner } : {}),
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
    // the new report exists: only now does the previous run go (see demo/output.ts)
    await commitDemoOut(summary.dir);
    result(`report: ${report.file}`);
  });
}
