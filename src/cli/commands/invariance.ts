import type { Command } from 'commander';
import { invariance, TRANSFORMS, type BorderFill, type TransformKind } from '../../analyses/probes/invariance.js';
import { parseValues, selectItems } from '../../analyses/probes/shared.js';
import { openDatasetArgs } from '../dataset-arg.js';
import { info, result } from '../log.js';
import { addChoiceOption, addDataOptions, addLayersOption, addModelOption, addOutOption, modelFromOptions, runOptions, intArg } from '../options.js';
import { progressBars } from '../progress.js';

export function registerInvariance(program: Command): void {
  const cmd = program
    .command('invariance')
    .description('feature invariance per layer (paper Fig. 4): cosine distance to the original under vertical translation, rotation and scale of the aligned face')
    .argument('<inputs...>', 'a dataset folder, a CSV list, or image files')
    .option('--translate <range>', 'vertical translation in px, start:stop:step or a,b,c ("none" to skip)', '-60:60:10')
    .option('--rotate <range>', 'in-plane rotation in degrees, counter-clockwise positive ("none" to skip)', '-60:60:10')
    .option('--scale <range>', 'scale factors ("none" to skip)', '0.5:1.5:0.1')
    .option('--limit <n>', 'use only the first n images (in id order)', intArg('--limit'))
    .option('--no-plots', 'skip the PNG/SVG plots and the example sheet');
  addChoiceOption(cmd, '--border <mode>', 'fill for pixels moved in from outside the crop: replicate (nearest edge pixel) or black', ['replicate', 'black'], 'replicate');
  addLayersOption(cmd);
  addOutOption(cmd, 'facelens-out/invariance');
  addModelOption(cmd);
  addDataOptions(cmd).action(async (inputs: string[], opts) => {
    const ranges: Partial<Record<TransformKind, number[]>> = {};
    const flag: Record<TransformKind, string> = { translate_y: 'translate', rotate: 'rotate', scale: 'scale' };
    for (const t of TRANSFORMS) {
      const spec = String(opts[flag[t]]);
      ranges[t] = spec === 'none' ? [] : parseValues(spec, `--${flag[t]}`);
    }
    const model = await modelFromOptions(opts);
    const dataset = await openDatasetArgs(inputs);
    if (opts.limit !== undefined) dataset.items = selectItems(dataset.items, { limit: opts.limit });
    const bars = progressBars();
    const r = await invariance({ ...runOptions(opts, model, dataset, bars.onProgress), ranges, border: opts.border as BorderFill, plots: opts.plots });
    bars.stop();
    info(`${r.images.length} images; ${r.undetected.length} had no detected face (centre-cropped), ${r.unreadable.length} unreadable`);
    info(`time: ${Object.entries(r.seconds).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(', ')}`);
    for (const c of r.transforms) {
      const last = c.values.length - 1;
      result(`${c.transform} (${c.values[0]}..${c.values[last]} ${c.unit}), mean distance at the extremes:`);
      for (const l of c.layers) result(`  ${l.layer.padEnd(12)} ${l.mean[0]!.toFixed(4)}  ${l.mean[last]!.toFixed(4)}`);
    }
    result(r.files.summary);
  });
}
