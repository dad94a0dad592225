import type { Command } from 'commander';
import { mergeSweeps } from '../../analyses/sweep/merge.js';
import { sweep } from '../../analyses/sweep/sweep.js';
import { addShardOptions, shardFromOptions } from '../shard-args.js';
import { info, result } from '../log.js';
import { addDataOptions, addLayersOption, addModelOption, addOutOption, modelFromOptions, runOptions } from '../options.js';
import { progressBars } from '../progress.js';
import { openDatasetArgs } from '../dataset-arg.js';

export function registerSweep(program: Command): void {
  const cmd = program
    .command('sweep')
    .description("every neuron's projection value (spatial max) and argmax on every image, per probe layer; resumable")
    .argument('<inputs...>', 'a dataset folder, a CSV list, or image files');
  addLayersOption(cmd);
  addOutOption(cmd, 'facelens-out/sweep', 'output folder (rerun the same command to resume an interrupted sweep)');
  addShardOptions(cmd);
  addModelOption(cmd);
  addDataOptions(cmd).action(async (inputs: string[], opts) => {
    const { shard, out } = shardFromOptions(opts);
    const model = await modelFromOptions(opts);
    const dataset = await openDatasetArgs(inputs);
    const bars = progressBars();
    let started = false;
    const r = await sweep({
      ...runOptions(opts, model, dataset, (e) => {
        // The first call reports the items an interrupted run already finished.
        if (!started && e.done > 0) info(`resuming after ${e.done} items`);
        started = true;
        bars.onProgress(e);
      }),
      out,
      shard,
    });
    bars.stop();
    if (r.alreadyComplete) info(`${out} already holds this complete sweep (${r.rows} rows); nothing to do`);
    else info(`swept ${r.rows} images x ${r.manifest.layers.length} layers in ${r.seconds.toFixed(1)} s, ${r.skipped} skipped`);
    result(r.dir);
  });

  program
    .command('sweep-merge')
    .description('join the shards of a sweep (--shard i/n) into one sweep (`facelens merge` does this for every kind)')
    .argument('<shards...>', 'the shard folders')
    .requiredOption('-o, --out <dir>', 'output folder')
    .action(async (dirs: string[], opts: { out: string }) => {
      const r = await mergeSweeps(dirs, opts.out);
      info(`merged ${dirs.length} shards: ${r.rows} rows, ${r.skipped} skipped`);
      result(opts.out);
    });
}
