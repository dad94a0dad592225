import type { Command } from 'commander';
import { correspondence, CORRESPONDENCE_DEFAULTS as D, type MaskFill, type RandomPlacement } from '../../analyses/probes/correspondence.js';
import { selectItems } from '../../analyses/probes/shared.js';
import { openDatasetArgs } from '../dataset-arg.js';
import { info, result } from '../log.js';
import { addChoiceOption, addDataOptions, addLayersOption, addModelOption, addOutOption, addSeedOption, intArg, modelFromOptions, numberArg, runOptions } from '../options.js';
import { progressBars } from '../progress.js';

export function registerCorrespondence(program: Command): void {
  const cmd = program
    .command('correspondence')
    .description('part correspondence per layer (paper Table I, Fig. 5): Delta of eye/nose/mouth occlusions vs random occlusions of frontal faces')
    .argument('<inputs...>', 'frontal face images: a dataset folder, a CSV list, or image files')
    .option('--identities <list>', 'keep these identities, e.g. 001-015 or 001,004,010-012')
    .option('--label <label>', 'keep images with this label (e.g. frontal for a CFP folder)')
    .option('--per-identity <n>', 'keep the first n images of each identity', intArg('--per-identity'))
    .option('--limit <n>', 'keep the first n images', intArg('--limit'))
    .option('--mask-scale <k>', 'mask side = k x inter-ocular distance', numberArg('--mask-scale', (n) => n > 0 && n < 5, 'a number in (0, 5)'), D.maskScale)
    .option('--draws <n>', 'random-mask draws (same location for every image within a draw)', intArg('--draws'), D.draws)
    .option('--no-sheet', 'skip the masked-faces contact sheet');
  addChoiceOption(cmd, '--fill <mode>', 'mask fill: grey (128,128,128) or mean (the image mean colour)', ['grey', 'mean'], D.fill);
  addSeedOption(cmd, 'seed of the random masks (n keys them as facelens-n, as `facelens demo --seed n` does)', D.seed);
  addChoiceOption(cmd, '--random-placement <mode>', 'random masks: shared (same position in every image of a draw, as the paper) or per-image (independent positions)', ['shared', 'per-image'], D.randomPlacement);
  addChoiceOption(cmd, '--sign-zero <rule>', "sign(0) rule of the main table: zero (own value) or positive (+1); 'exclude' is always reported too", ['zero', 'positive'], D.signZeroRule);
  addLayersOption(cmd);
  addOutOption(cmd, 'facelens-out/correspondence');
  // landmarks are needed: faces are always detected, so no --no-detect
  addDataOptions(cmd, { detect: false });
  addModelOption(cmd).action(async (inputs: string[], opts) => {
    const k: number = opts.maskScale;
    const model = await modelFromOptions(opts);
    const dataset = await openDatasetArgs(inputs);
    dataset.items = selectItems(dataset.items, { identities: opts.identities, label: opts.label, perIdentity: opts.perIdentity, limit: opts.limit });
    const bars = progressBars();
    const r = await correspondence({
      ...runOptions(opts, model, dataset, bars.onProgress),
      maskScale: k,
      fill: opts.fill as MaskFill,
      draws: opts.draws,
      seed: opts.seed,
      randomPlacement: opts.randomPlacement as RandomPlacement,
      signZeroRule: opts.signZero,
      sheet: opts.sheet,
    });
    bars.stop();
    info(`${r.images.length} faces; mask ${r.masks.side} px; ${r.undetected.length} without a detected face (left out), ${r.unreadable.length} unreadable`);
    info(`time: ${Object.entries(r.seconds).map(([key, v]) => `${key} ${v.toFixed(1)} s`).join(', ')}`);
    const layers = r.rows[0]!.layers.map((c) => c.layer);
    result(`${'mask'.padEnd(11)} ${layers.map((l) => l.padStart(14)).join('')}`);
    for (const row of r.rows.filter((x) => !x.mask.includes('#'))) {
      result(`${row.mask.padEnd(11)} ${row.layers.map((c) => `${c.delta_mean.toFixed(3)}±${c.delta_std.toFixed(3)}`.padStart(14)).join('')}`);
    }
    result(r.files.summary);
  });
}
