import type { Command } from 'commander';
import { mergeSweeps } from '../../analyses/sweep/merge.js';
import { sweep } from '../../analyses/sweep/sweep.js';
import { UserError } from '../../core/errors.js';
import { info, result } from '../log.js';
import { addDataOptions, addLayersOption, addModelOption, addOutOption, modelFromOptions, runOptions } from '../options.js';
import { progressBars } from '../progress.js';
import { openDatasetArgs } from '../dataset-arg.js';

function parseShard(s: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(s);
  if (!m) throw new UserError(`--shard must look like i/n (e.g. 0/4), got "${s}"`);
  return { index: Number(m[1]), count: Number(m[2]) };
}

export function registerSweep(program: Command): void {
  const cmd = program
    .command('sweep')
    .description("every neuron's projection value (spatial max) and argmax on every image, per probe layer; resumable")
    .argument('<inputs...>', 'a dataset folder, a CSV list, or image files')
    .option('--shard <i/n>', 'process only the i-th of n contiguous parts (merge them with `facelens sweep-merge`)');
  addLayersOption(cmd);
  addOutOption(cmd, 'facelens-out/sweep', 'output folder (rerun the same command to resume an interrupted sweep)');
  addModelOption(cmd);
  addDataOptions(cmd).action(async (inputs: string[], opts) => {
    const model = await modelFromOptions(opts);
    const dataset = await openDatasetArgs(inputs);
    const shard = opts.shard ? parseShard(opts.shard) : undefined;
    const bars = progressBars();
    let started = false;
    const r = await sweep({
      ...runOptions(opts, model, dataset, (e) => {
        // The first call reports the items an interrupted run already finished.
        if (!started && e.done > 0) info(`resuming after ${e.done} items`);
        started = true;
        bars.onProgress(e);
      }),
      shard,
    });
    bars.stop();
    if (r.alreadyComplete) info(`${opts.out} already holds this complete sweep (${r.rows} rows); nothing to do`);
    else info(`swept ${r.rows} images x ${r.manifest.layers.length} layers in ${r.seconds.toFixed(1)} s, ${r.skipped} skipped`);
    result(r.dir);
  });

  program
    .command('sweep-merge')
    .description('join the shards of a sweep (--shard i/n) into one sweep')
    .argument('<shards...>', 'the shard folders')
    .requiredOption('-o, --out <dir>', 'output folder')
    .action(async (dirs: string[], opts: { out: string }) => {
      const r = await mergeSweeps(dirs, opts.out);
      info(`merged ${dirs.length} shards: ${r.rows} rows, ${r.skipped} skipped`);
      result(opts.out);
    });
}
