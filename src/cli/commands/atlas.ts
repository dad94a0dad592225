import type { Command } from 'commander';
import { atlas } from '../../analyses/atlas/atlas.js';
import type { TileFit } from '../../analyses/atlas/patch.js';
import { PROJECTION_MODES, type ProjectionMode } from '../../analyses/atlas/projection.js';
import { info, result } from '../log.js';
import { addChoiceOption, addDataOptions, addLayerOption, addOutOption, addSeedOption, intArg, nonNegativeInt } from '../options.js';
import { progressBars } from '../progress.js';

export function registerAtlas(program: Command): void {
  const cmd = program
    .command('atlas')
    .description("neuron atlas (paper Fig. 3): each neuron's top-n images from a sweep, deconvnet projections on receptive-field patches, laid out by t-SNE")
    .requiredOption('--sweep <dir>', 'a finished `facelens sweep` folder');
  addLayerOption(cmd, "probe layer (one of the sweep's layers)")
    .option('--neurons <spec>', 'neurons: 0-15 | 1,5,9 | all | top-variance:K (highest variance over the sweep)', 'top-variance:8');
  addChoiceOption(cmd, '--mode <mode>', 'projection', PROJECTION_MODES, 'deconv')
    .option('-n, --n <n>', 'top-n samples per neuron', intArg('--n'), 50);
  addOutOption(cmd, undefined, 'output folder (default facelens-out/atlas/<layer>)', true);
  addSeedOption(cmd, 't-SNE seed')
    .option('--tile <px>', 'size of each half of a tile', intArg('--tile'), 64);
  addChoiceOption(cmd, '--fit <fit>', 'how a clipped patch fills its square: contain (letterbox) | fill (stretch)', ['contain', 'fill'], 'contain')
    .option('--margin <cells>', 'extra cells around the t-SNE input window', nonNegativeInt('--margin'), 0);
  addDataOptions(cmd, { detect: false, batchDescription: 'faces per projection batch' })
    .action(async (opts) => {
      const out: string = opts.out ?? `facelens-out/atlas/${opts.layer}`;
      const bars = progressBars();
      const r = await atlas({
        sweepDir: opts.sweep,
        layer: opts.layer,
        neurons: opts.neurons,
        mode: opts.mode as ProjectionMode,
        n: opts.n,
        out,
        seed: opts.seed,
        tileSize: opts.tile,
        tileFit: opts.fit as TileFit,
        margin: opts.margin,
        batch: opts.batch,
        cache: opts.cache,
        cacheDir: opts.cacheDir,
        onProgress: bars.onProgress,
      });
      bars.stop();
      info(`atlas of ${r.neurons.length} neuron(s) of ${opts.layer}: ${r.neurons.join(', ')}`);
      for (const w of r.warnings) info(`warning: ${w}`);
      result(out);
    });
}
