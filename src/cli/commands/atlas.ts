import type { Command } from 'commander';
import { atlas } from '../../analyses/atlas/atlas.js';
import type { TileFit } from '../../analyses/atlas/patch.js';
import { PROJECTION_MODES, type ProjectionMode } from '../../analyses/atlas/projection.js';
import { UserError } from '../../core/errors.js';
import { info, result } from '../log.js';
import { intArg } from '../options.js';
import { progressBars } from '../progress.js';

function nonNegativeInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new UserError(`${name} must be a non-negative integer, got "${v}"`);
    return n;
  };
}

export function registerAtlas(program: Command): void {
  program
    .command('atlas')
    .description("neuron atlas (paper Fig. 3): each neuron's top-n images from a sweep, deconvnet projections on receptive-field patches, laid out by t-SNE")
    .requiredOption('--sweep <dir>', 'a finished `facelens sweep` folder')
    .requiredOption('-l, --layer <name>', 'probe layer (one of the sweep\'s layers)')
    .option('--neurons <spec>', 'neurons: 0-15 | 1,5,9 | all | top-variance:K (highest variance over the sweep)', 'top-variance:8')
    .option('--mode <mode>', `projection: ${PROJECTION_MODES.join(' | ')}`, 'deconv')
    .option('-n, --n <n>', 'top-n samples per neuron', intArg('--n'), 50)
    .option('-o, --out <dir>', 'output folder (default facelens-out/atlas/<layer>)')
    .option('--seed <n>', 't-SNE seed', nonNegativeInt('--seed'), 0)
    .option('--tile <px>', 'size of each half of a tile', intArg('--tile'), 64)
    .option('--fit <fit>', 'how a clipped patch fills its square: contain (letterbox) | fill (stretch)', 'contain')
    .option('--margin <cells>', 'extra cells around the t-SNE input window', nonNegativeInt('--margin'), 0)
    .option('-b, --batch <n>', 'faces per projection batch', intArg('--batch'), 8)
    .option('--no-cache', 'do not read or write the aligned-face cache')
    .option('--cache-dir <dir>', 'aligned-face cache (default $FACELENS_CACHE or ~/.cache/facelens/aligned)')
    .action(async (opts) => {
      if (!PROJECTION_MODES.includes(opts.mode)) throw new UserError(`--mode must be one of ${PROJECTION_MODES.join(', ')}, got "${opts.mode}"`);
      if (opts.fit !== 'contain' && opts.fit !== 'fill') throw new UserError(`--fit must be contain or fill, got "${opts.fit}"`);
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
