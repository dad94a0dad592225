/**
 * `facelens sweep-merge`: joins the shards of one sweep (`--shard i/n`, all n of them,
 * complete) into one sweep, byte-identical to what a single process would have written when
 * the shards were cut at batch boundaries, and equal row for row in any case.
 */
import { mkdir } from 'node:fs/promises';
import { checkShardSet } from '../../cluster/shard-set.js';
import type { SkippedItem } from '../../data/dataset.js';
import { NpyAppender, readNpy } from '../../io/npy.js';
import { writeJsonAtomic } from '../../io/json.js';
import { sweepFiles, type SweepItem } from '../../results/sweep.js';
import { openSweep, type SweepData } from './read.js';

export async function mergeSweeps(dirs: string[], out: string): Promise<{ rows: number; skipped: number }> {
  const opened: SweepData[] = [];
  for (const d of dirs) opened.push(await openSweep(d));
  const shards = checkShardSet(
    opened.map((s) => ({ ...s, index: s.manifest.shard.index, count: s.manifest.shard.count, run: { ...s.manifest, shard: undefined } })),
    'sweep',
  );
  const files = sweepFiles(out);
  await mkdir(out, { recursive: true });
  const base = shards[0].manifest;
  const total = base.dataset.items;
  for (const l of base.layers) {
    const kinds: ['values' | 'argmax', 'float32' | 'int32'][] = [['values', 'float32']];
    if (l.spatial) kinds.push(['argmax', 'int32']);
    for (const [kind, dtype] of kinds) {
      const w = await NpyAppender.create(files[kind](l.name), dtype, [l.channels]);
      // Closed on failure too (a shard's missing or broken file): the merged folder has no
      // manifest until the end, so a partial file there is never read as a finished sweep.
      try {
        for (const s of shards) {
          const a = await readNpy(sweepFiles(s.dir)[kind](l.name));
          if (a.shape[0] > 0) await w.append(a.data);
        }
      } catch (e) {
        await w.close().catch(() => undefined);
        throw e;
      }
      await w.close();
    }
  }
  const items: SweepItem[] = [];
  const skipped: SkippedItem[] = [];
  for (const s of shards) {
    for (const it of s.items) items.push({ ...it, row: items.length });
    skipped.push(...s.skipped);
  }
  await writeJsonAtomic(files.items, items);
  await writeJsonAtomic(files.skipped, skipped);
  await writeJsonAtomic(files.manifest, { ...base, shard: { index: 0, count: 1, start: 0, end: total } });
  return { rows: items.length, skipped: skipped.length };
}
