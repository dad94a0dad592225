import type { Command } from 'commander';
import { embed } from '../../analyses/embed.js';
import { info, result } from '../log.js';
import { addDataOptions, addLayerOption, addModelOption, addOutOption, modelFromOptions, dataOptions } from '../options.js';
import { progressBars } from '../progress.js';
import { openDatasetArgs } from '../dataset-arg.js';
import { addShardOptions, shardFromOptions } from '../shard-args.js';

export function registerEmbed(program: Command): void {
  const cmd = program
    .command('embed')
    .description('features of one probe layer for every face: features.npy [n x d], items.json, summary.json')
    .argument('<inputs...>', 'a dataset folder, a CSV list, or image files')
  ;
  addLayerOption(cmd, 'probe layer (see `facelens models`)', 'embedding');
  addOutOption(cmd, 'facelens-out/embed');
  addShardOptions(cmd);
  addModelOption(cmd);
  addDataOptions(cmd).action(async (inputs: string[], opts) => {
    const { shard, out } = shardFromOptions(opts);
    const model = await modelFromOptions(opts);
    const dataset = await openDatasetArgs(inputs);
    const bars = progressBars();
    const r = await embed({
      model,
      dataset,
      layer: opts.layer,
      out,
      shard,
      ...dataOptions(opts),
      onProgress: bars.onProgress,
    });
    bars.stop();
    info(`${r.count} faces embedded (${r.featureLength}-d, ${r.imagesPerSecond.toFixed(1)} img/s), ${r.skipped.length} skipped`);
    for (const s of r.skipped.slice(0, 5)) info(`  skipped ${s.id}: ${s.reason}`);
    result(r.files.features);
  });
}
