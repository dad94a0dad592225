import type { Command } from 'commander';
import { correspondence, type MaskFill, type RandomPlacement } from '../../analyses/probes/correspondence.js';
import { selectItems } from '../../analyses/probes/shared.js';
import { openDatasetArgs } from '../dataset-arg.js';
import { UserError } from '../../core/errors.js';
import { info, result } from '../log.js';
import { addModelOption, modelFromOptions, intArg } from '../options.js';
import { progressBars } from '../progress.js';

export function registerCorrespondence(program: Command): void {
  const cmd = program
    .command('correspondence')
    .description('part correspondence per layer (paper Table I, Fig. 5): Delta of eye/nose/mouth occlusions vs random occlusions of frontal faces')
    .argument('<inputs...>', 'frontal face images: a dataset folder, a CSV list, or image files')
    .option('-l, --layers <names>', 'comma-separated probe layers, or "all"', 'all')
    .option('--identities <list>', 'keep these identities, e.g. 001-015 or 001,004,010-012')
    .option('--label <label>', 'keep images with this label (e.g. frontal for a CFP folder)')
    .option('--per-identity <n>', 'keep the first n images of each identity', intArg('--per-identity'))
    .option('--limit <n>', 'keep the first n images', intArg('--limit'))
    .option('--mask-scale <k>', 'mask side = k x inter-ocular distance', '0.5')
    .option('--fill <mode>', 'mask fill: grey (128,128,128) or mean (the image mean colour)', 'grey')
    .option('--draws <n>', 'random-mask draws (same location for every image within a draw)', intArg('--draws'), 5)
    .option('--seed <seed>', 'seed of the random masks', 'facelens')
    .option('--random-placement <mode>', 'random masks: shared (same position in every image of a draw, as the paper) or per-image (independent positions)', 'shared')
    .option('--sign-zero <rule>', "sign(0) rule of the main table: zero (own value) or positive (+1); 'exclude' is always reported too", 'zero')
    .option('--no-sheet', 'skip the masked-faces contact sheet')
    .option('--no-cache', 'do not read or write the aligned-face cache')
    .option('--cache-dir <dir>', 'aligned-face cache (default $FACELENS_CACHE or ~/.cache/facelens/aligned)')
    .option('-b, --batch <n>', 'images per forward batch', intArg('--batch'), 8)
    .option('-o, --out <dir>', 'output folder', 'facelens-out/correspondence');
  addModelOption(cmd).action(async (inputs: string[], opts) => {
    const k = Number(opts.maskScale);
    if (!(k > 0 && k < 5)) throw new UserError(`--mask-scale must be a number in (0, 5) (got "${opts.maskScale}")`);
    if (opts.fill !== 'grey' && opts.fill !== 'mean') throw new UserError(`--fill must be grey or mean (got "${opts.fill}")`);
    if (opts.randomPlacement !== 'shared' && opts.randomPlacement !== 'per-image') {
      throw new UserError(`--random-placement must be shared or per-image (got "${opts.randomPlacement}")`);
    }
    if (opts.signZero !== 'zero' && opts.signZero !== 'positive') throw new UserError(`--sign-zero must be zero or positive (got "${opts.signZero}")`);
    const model = await modelFromOptions(opts);
    const dataset = await openDatasetArgs(inputs);
    dataset.items = selectItems(dataset.items, { identities: opts.identities, label: opts.label, perIdentity: opts.perIdentity, limit: opts.limit });
    const bars = progressBars();
    const r = await correspondence({
      model,
      dataset,
      out: opts.out,
      layers: opts.layers,
      maskScale: k,
      fill: opts.fill as MaskFill,
      draws: opts.draws,
      seed: opts.seed,
      randomPlacement: opts.randomPlacement as RandomPlacement,
      signZeroRule: opts.signZero,
      batch: opts.batch,
      cache: opts.cache,
      cacheDir: opts.cacheDir,
      sheet: opts.sheet,
      onProgress: bars.onProgress,
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
