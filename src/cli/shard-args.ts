/** The `--shard` / `--shards` options of the commands that shard (sweep, embed, align). */
import type { Command } from 'commander';
import { parseShard, shardOut, type Shard } from '../cluster/shard.js';
import { intArg } from './options.js';
import { info } from './log.js';

export interface ShardOptions {
  shard?: string;
  shards?: number;
  out: string;
}

export function addShardOptions(cmd: Command): Command {
  return cmd
    .option(
      '--shard <i/n|auto>',
      'process only the i-th of n contiguous parts of the dataset; auto: the index and count of a Kubernetes Indexed Job, Slurm array or AWS Batch array job, each shard in OUT/shard-i-of-n (join them with `facelens merge`)',
    )
    .option('--shards <n>', 'with --shard auto: the number of shards where the scheduler does not say (Kubernetes: the Job\'s completions; or $FACELENS_SHARDS)', intArg('--shards'));
}

/** The shard of this process and the folder it writes to. */
export function shardFromOptions(opts: ShardOptions): { shard?: Shard; out: string } {
  const shard = parseShard(opts.shard, opts.shards);
  const out = shardOut(opts.out, shard);
  if (shard && shard.source !== 'cli') info(`shard ${shard.index} of ${shard.count} (${shard.source}) -> ${out}`);
  return { shard, out };
}
