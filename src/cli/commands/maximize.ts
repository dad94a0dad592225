import type { Command } from 'commander';
import { decodeImage, resizeRgb } from '../../data/image-io.js';
import type { RgbImage } from '../../data/image.js';
import { MAXIMIZE_DEFAULTS, maximize } from '../../analyses/maximize/maximize.js';
import { writeMaximizeOutputs } from '../../analyses/maximize/output.js';
import { meanTopNImage } from '../../analyses/maximize/init.js';
import { loadModel } from '../../models/registry.js';
import { UserError } from '../errors.js';
import { info, result } from '../log.js';
import { addModelOption } from '../options.js';

function num(name: string, check: (n: number) => boolean, what: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || !check(n)) throw new UserError(`${name} must be ${what}, got "${v}"`);
    return n;
  };
}
const nonNegInt = (name: string) => num(name, (n) => Number.isInteger(n) && n >= 0, 'a non-negative integer');
const posInt = (name: string) => num(name, (n) => Number.isInteger(n) && n >= 1, 'a positive integer');
const posNum = (name: string) => num(name, (n) => n > 0, 'a positive number');
const nonNeg = (name: string) => num(name, (n) => n >= 0, 'a non-negative number');

interface Opts {
  model: string;
  layer: string;
  neuron: number;
  init: string;
  steps: number;
  octaves: number;
  octaveScale: number;
  stepSize: number;
  jitter: number;
  tv: number;
  spatial: string;
  seed: number;
  noiseStd: number;
  snapshots: number;
  out: string;
  sweep?: string;
  topn: number;
}

export function registerMaximize(program: Command): void {
  const d = MAXIMIZE_DEFAULTS;
  addModelOption(
    program
      .command('maximize')
      .description('activation maximisation of one neuron (gradient ascent in pixel space, Nguyen et al. 2016 regularisation)'),
  )
    .requiredOption('-l, --layer <name>', 'probe layer')
    .requiredOption('-k, --neuron <k>', 'channel / unit index', nonNegInt('--neuron'))
    .option('--init <what>', 'noise | grey | mean-topn (mean of the top-n faces of the neuron in --sweep) | path to an image', 'noise')
    .option('-s, --sweep <dir>', 'a finished `facelens sweep` folder (for --init mean-topn)')
    .option('--topn <n>', 'faces averaged by --init mean-topn', posInt('--topn'), 9)
    .option('--steps <n>', 'steps per octave', nonNegInt('--steps'), d.steps)
    .option('--octaves <n>', 'octaves (coarse to fine, bilinear up-scaling between them)', posInt('--octaves'), d.octaves)
    .option('--octave-scale <r>', 'size ratio between octaves', num('--octave-scale', (n) => n >= 1, '>= 1'), d.octaveScale)
    .option('--step-size <px>', 'mean |pixel change| per step (0..255 units)', posNum('--step-size'), d.stepSize)
    .option('--jitter <px>', 'max random roll per axis, pixels', nonNegInt('--jitter'), d.jitter)
    .option('--tv <w>', 'TV penalty weight (relative to the normalised activation gradient)', nonNeg('--tv'), d.tvWeight)
    .option('--spatial <rule>', 'conv layers: centre (centre cell) | max (spatial max)', d.spatial)
    .option('--seed <n>', 'random seed (jitter, noise init)', nonNegInt('--seed'), d.seed)
    .option('--noise-std <v>', 'std of the noise init around grey 128', nonNeg('--noise-std'), d.noiseStd)
    .option('--snapshots <n>', 'intermediate images in the strip', posInt('--snapshots'), d.snapshots)
    .option('-o, --out <dir>', 'output folder', 'facelens-out/maximize')
    .action(async (opts: Opts) => {
      if (opts.spatial !== 'centre' && opts.spatial !== 'max') throw new UserError(`--spatial must be centre or max, got "${opts.spatial}"`);
      const model = await loadModel(opts.model);
      let init: 'noise' | 'grey' | RgbImage;
      let initLabel: string | undefined;
      if (opts.init === 'noise' || opts.init === 'grey') init = opts.init;
      else if (opts.init === 'mean-topn') {
        if (!opts.sweep) throw new UserError('--init mean-topn needs --sweep DIR');
        const m = await meanTopNImage({ sweepDir: opts.sweep, layer: opts.layer, neuron: opts.neuron, model, n: opts.topn });
        info(`init: mean of ${m.ids.length} top images (${m.ids.slice(0, 3).join(', ')}${m.ids.length > 3 ? ', ...' : ''})`);
        init = m.image;
        initLabel = `mean-topn: mean of the top-${m.ids.length} images of the neuron in sweep ${opts.sweep}: ${m.ids.join(', ')}`;
      } else if (opts.init === 'cluster') throw new UserError('--init cluster is not implemented yet; use mean-topn, noise, grey or an image path');
      else {
        const img = await decodeImage(opts.init);
        init = await resizeRgb(img, model.inputSize.width, model.inputSize.height);
        initLabel = `image ${opts.init}`;
      }
      const r = await maximize({
        model,
        layer: opts.layer,
        neuron: opts.neuron,
        init,
        initLabel,
        steps: opts.steps,
        octaves: opts.octaves,
        octaveScale: opts.octaveScale,
        stepSize: opts.stepSize,
        jitter: opts.jitter,
        tvWeight: opts.tv,
        spatial: opts.spatial,
        seed: opts.seed,
        noiseStd: opts.noiseStd,
        snapshots: opts.snapshots,
      });
      const files = await writeMaximizeOutputs(r, opts.out, model.name);
      info(`${r.layer} #${r.neuron} (${r.readout}): ${r.initialActivation.toFixed(3)} -> ${r.finalActivation.toFixed(3)} in ${r.params.steps * r.params.octaves} steps (${r.seconds.toFixed(1)} s)`);
      result(files.image);
    });
}
