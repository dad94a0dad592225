import type { Command } from 'commander';
import { mergeShards } from '../../cluster/merge.js';
import { info, result } from '../log.js';

export function registerMerge(program: Command): void {
  program
    .command('merge')
    .description('join the shards of a sharded sweep, embed, align, or verify/pose (feature step) run (--shard i/n or auto) into one output')
    .argument('<shards...>', 'the shard folders, or the --out folder of a --shard auto run (its shard-*-of-* subfolders)')
    .requiredOption('-o, --out <dir>', 'output folder')
    .action(async (dirs: string[], opts: { out: string }) => {
      const r = await mergeShards(dirs, opts.out);
      info(`merged ${r.shards} ${r.kind} shards: ${r.rows} rows, ${r.skipped} skipped`);
      result(opts.out);
    });
}
