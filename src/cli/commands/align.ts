import type { Command } from 'commander';
import { exportAligned } from '../../data/export-aligned.js';
import { info, result } from '../log.js';
import { addDataOptions, addModelOption, addOutOption, modelFromOptions } from '../options.js';
import { progress } from '../progress.js';
import { openDatasetArgs } from '../dataset-arg.js';
import { shardRange } from '../../cluster/shard.js';
import { addShardOptions, shardFromOptions } from '../shard-args.js';

export function registerAlign(program: Command): void {
  const cmd = program
    .command('align')
    .description("detect, align and save each image's face as the model's input crop (PNG) + landmarks")
    .argument('<inputs...>', 'a dataset folder, a CSV list, or image files');
  addOutOption(cmd, 'facelens-out/aligned');
  addShardOptions(cmd);
  addModelOption(cmd);
  // align runs no network: no --batch
  addDataOptions(cmd, { batch: false }).action(async (inputs: string[], opts) => {
    const { shard, out } = shardFromOptions(opts);
    const model = await modelFromOptions(opts);
    const dataset = await openDatasetArgs(inputs);
    const n = dataset.items.length;
    const range = shard ? shardRange(n, shard.index, shard.count) : { start: 0, end: n };
    const bar = progress('align', range.end - range.start);
    const r = await exportAligned({
      dataset,
      template: model.alignment,
      out,
      shard,
      detect: opts.detect,
      cache: opts.cache,
      cacheDir: opts.cacheDir,
      onProgress: (n) => bar.tick(n),
    });
    bar.stop();
    info(`${r.aligned} faces aligned to ${model.alignment.name} (${model.alignment.size} px), ${r.skipped.length} skipped`);
    for (const s of r.skipped.slice(0, 5)) info(`  skipped ${s.id}: ${s.reason}`);
    result(r.summaryPath);
  });
}
