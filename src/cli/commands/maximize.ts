import { Option, type Command } from 'commander';
import { decodeImage, resizeRgb } from '../../data/image-io.js';
import type { RgbImage } from '../../data/image.js';
import { MAXIMIZE_DEFAULTS, maximize, type SpatialRule } from '../../analyses/maximize/maximize.js';
import { writeMaximizeOutputs } from '../../analyses/maximize/output.js';
import { meanTopNImage } from '../../analyses/maximize/init.js';
import { atlasNeuronFile, FACET_DEFAULTS, facetInitImage, neuronFacets } from '../../analyses/maximize/facets.js';
import { atlas } from '../../analyses/atlas/atlas.js';
import { isFile } from '../../data/datasets/util.js';
import path from 'node:path';
import { createGradientEngine } from '../../engine/ort/grad-engine.js';
import { findProbe } from '../../models/face-model.js';
import { UserError } from '../../core/errors.js';
import { info, result } from '../log.js';
import { addModelOption, intArg, modelFromOptions, nonNegativeInt, nonNegativeNumber, numberArg, positiveNumber } from '../options.js';

const num = numberArg;
const nonNegInt = nonNegativeInt;
const posInt = intArg;
const posNum = positiveNumber;
const nonNeg = nonNegativeNumber;

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
  spatial: SpatialRule;
  seed: number;
  noiseStd: number;
  snapshots: number;
  out: string;
  sweep?: string;
  topn: number;
  facet: string;
  facets: number;
  facetSeed: number;
  atlas?: string;
  blurSigma: number;
  blurEvery: number;
  stop: 'plateau' | 'fixed';
  plateauWindow: number;
  plateauTol: number;
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
    .option(
      '--init <what>',
      'noise | grey | mean-topn (mean of the top-n faces of the neuron in --sweep) | cluster (mean of the top-9 faces of one t-SNE cluster of the atlas, see --facet) | path to an image',
      'noise',
    )
    .option('-s, --sweep <dir>', 'a finished `facelens sweep` folder (for --init mean-topn / cluster)')
    .option('--topn <n>', 'faces averaged by --init mean-topn / cluster', posInt('--topn'), 9)
    .option('--facet <j>', '--init cluster: facet (cluster) number, 0 = largest, or "all"', '0')
    .option('--facets <k>', '--init cluster: k-means clusters on the t-SNE coordinates', posInt('--facets'), FACET_DEFAULTS.k)
    .option('--facet-seed <n>', '--init cluster: k-means seed', nonNegInt('--facet-seed'), FACET_DEFAULTS.seed)
    .option(
      '--atlas <dir>',
      "the layer's atlas folder: source of the t-SNE layout for --init cluster (made for this neuron if the folder does not exist), and the neuron JSON the AM images are registered in",
    )
    .option('--blur-sigma <px>', 'Gaussian blur std applied every --blur-every steps (0 = off)', nonNeg('--blur-sigma'), d.blurSigma)
    .option('--blur-every <n>', 'steps between blurs', posInt('--blur-every'), d.blurEvery)
    .option('--steps <n>', 'steps per octave: the cap with --stop plateau, exact with --stop fixed', nonNegInt('--steps'), d.steps)
    .addOption(new Option('--stop <rule>', 'plateau: each octave stops when the activation plateaus (see --plateau-window, --plateau-tol) | fixed: --steps per octave').choices(['plateau', 'fixed']).default(d.stop))
    .option('--plateau-window <n>', 'steps over which the plateau gain is measured', posInt('--plateau-window'), d.plateauWindow)
    .option('--plateau-tol <r>', 'plateau when the best activation gained less than this fraction of its rise over the window', nonNeg('--plateau-tol'), d.plateauTol)
    .option('--octaves <n>', 'octaves (coarse to fine, bilinear up-scaling between them)', posInt('--octaves'), d.octaves)
    .option('--octave-scale <r>', 'size ratio between octaves', num('--octave-scale', (n) => n >= 1, '>= 1'), d.octaveScale)
    .option('--step-size <px>', 'mean |pixel change| per step (0..255 units)', posNum('--step-size'), d.stepSize)
    .option('--jitter <px>', 'max random roll per axis, pixels', nonNegInt('--jitter'), d.jitter)
    .option('--tv <w>', 'TV penalty weight (relative to the normalised activation gradient)', nonNeg('--tv'), d.tvWeight)
    .addOption(new Option('--spatial <rule>', 'conv layers: centre (centre cell) | max (spatial max)').choices(['centre', 'max']).default(d.spatial))
    .option('--seed <n>', 'random seed (jitter, noise init)', nonNegInt('--seed'), d.seed)
    .option('--noise-std <v>', 'std of the noise init around grey 128', nonNeg('--noise-std'), d.noiseStd)
    .option('--snapshots <n>', 'intermediate images in the strip', posInt('--snapshots'), d.snapshots)
    .option('-o, --out <dir>', 'output folder', 'facelens-out/maximize')
    .action(async (opts: Opts) => {
      if (opts.steps === 0) info('facelens: warning: --steps 0: no gradient steps; the result is the initial image');
      const model = await modelFromOptions(opts);
      const runs: { init: 'noise' | 'grey' | RgbImage; initLabel?: string; facet?: number }[] = [];
      if (opts.init === 'noise' || opts.init === 'grey') runs.push({ init: opts.init });
      else if (opts.init === 'mean-topn') {
        if (!opts.sweep) throw new UserError('--init mean-topn needs --sweep DIR');
        const m = await meanTopNImage({ sweepDir: opts.sweep, layer: opts.layer, neuron: opts.neuron, model, n: opts.topn });
        info(`init: mean of ${m.ids.length} top images (${m.ids.slice(0, 3).join(', ')}${m.ids.length > 3 ? ', ...' : ''})`);
        runs.push({ init: m.image, initLabel: `mean-topn: mean of the top-${m.ids.length} images of the neuron in sweep ${opts.sweep}: ${m.ids.join(', ')}` });
      } else if (opts.init === 'cluster') {
        if (!opts.sweep) throw new UserError('--init cluster needs --sweep DIR');
        const atlasDir = opts.atlas ?? `facelens-out/atlas/${opts.layer}`;
        if (!(await isFile(atlasNeuronFile(atlasDir, opts.neuron)))) {
          if (await isFile(path.join(atlasDir, 'summary.json'))) {
            throw new UserError(`${atlasDir} is an atlas without ${opts.layer} #${opts.neuron}; run \`facelens atlas --neurons ${opts.neuron}\` into it or pass another --atlas`);
          }
          info(`no atlas of ${opts.layer} #${opts.neuron} yet: making it in ${atlasDir}`);
          await atlas({ sweepDir: opts.sweep, layer: opts.layer, neurons: [opts.neuron], out: atlasDir, model });
        }
        opts.atlas = atlasDir;
        const base = { sweepDir: opts.sweep, atlasDir, layer: opts.layer, neuron: opts.neuron, model, k: opts.facets, top: opts.topn, seed: opts.facetSeed };
        const nf = await neuronFacets(base);
        const wanted = opts.facet === 'all' ? nf.facets.map((f) => f.index) : [Number(opts.facet)];
        if (!wanted.every((j) => Number.isInteger(j) && j >= 0)) throw new UserError(`--facet must be a facet number or "all", got "${opts.facet}"`);
        info(`facets (k-means on the atlas t-SNE, k=${nf.facets.length}): ${nf.facets.map((f) => `#${f.index}: ${f.size} samples, mean ${f.meanValue.toFixed(2)}`).join('; ')}`);
        for (const j of wanted) {
          const f = await facetInitImage(nf, j);
          runs.push({
            init: f.image,
            facet: j,
            initLabel: `cluster: facet ${j} of ${nf.facets.length} (k-means on the t-SNE of ${nf.source}, seed ${opts.facetSeed}): mean of its top-${f.facet.top.length} images ${f.facet.top.map((t) => t.id).join(', ')}`,
          });
        }
      } else {
        const img = await decodeImage(opts.init);
        runs.push({ init: await resizeRgb(img, model.inputSize.width, model.inputSize.height), initLabel: `image ${opts.init}` });
      }
      // one backward session for all runs (each facet)
      const engine = await createGradientEngine(model, { output: findProbe(model, opts.layer).tensor, rule: 'gradient' });
      try {
        for (const run of runs) {
          const r = await maximize({
            model,
            layer: opts.layer,
            neuron: opts.neuron,
            engine,
            ...run,
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
            blurSigma: opts.blurSigma,
            blurEvery: opts.blurEvery,
            stop: opts.stop,
            plateauWindow: opts.plateauWindow,
            plateauTol: opts.plateauTol,
          });
          const files = await writeMaximizeOutputs(r, opts.out, model.name, { atlasDir: opts.atlas });
          const label = r.facet === null ? '' : ` facet ${r.facet}`;
          info(`${r.layer} #${r.neuron}${label} (${r.readout}): ${r.initialActivation.toFixed(3)} -> ${r.finalActivation.toFixed(3)} in ${r.activations.length - 1} steps, ${r.plateau.step === null ? `no plateau within the cap of ${r.params.steps} per octave` : `plateau at step ${r.plateau.step}`} (${r.seconds.toFixed(1)} s)`);
          result(files.image);
        }
      } finally {
        await engine.release();
      }
    });
}
