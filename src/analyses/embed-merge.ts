/**
 * Joins the shards of one `facelens embed` run (`--shard`) into one output: features.npy and
 * items.json byte-identical to a single-process run, summary.json with the same parameters and
 * dataset, all shards' skipped items, and the shards it came from.
 */
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import { checkShardSet } from '../cluster/shard-set.js';
import type { SkippedItem } from '../data/dataset.js';
import { readJson, writeJsonAtomic } from '../io/json.js';
import { writeSummary } from '../results/summary.js';
import { NpyAppender, readNpy } from '../io/npy.js';
import type { EmbedSummary } from './embed.js';

export async function readEmbedShard(dir: string) {
  const summary = await readJson<EmbedSummary>(path.join(dir, 'summary.json'));
  if (summary.command !== 'embed') throw new UserError(`${dir}/summary.json is not from facelens embed`);
  const shard = summary.shard ?? { index: 0, count: 1, start: 0, end: summary.dataset.items };
  const { command, model, layer, dims, parameters, dataset } = summary;
  return { dir, summary, index: shard.index, count: shard.count, shard, run: { command, model, layer, dims, parameters, dataset } };
}

export async function mergeEmbeds(dirs: string[], out: string): Promise<{ rows: number; skipped: number }> {
  const shards = checkShardSet(await Promise.all(dirs.map(readEmbedShard)), 'embed run');
  const first = shards[0].summary;
  const features = path.join(out, 'features.npy');
  await mkdir(out, { recursive: true });
  const partial = `${features}.partial-${process.pid}`;
  const writer = await NpyAppender.create(partial, 'float32', [first.featureLength]);
  const items: unknown[] = [];
  const skipped: SkippedItem[] = [];
  let seconds = 0;
  try {
    for (const s of shards) {
      const f = await readNpy(path.join(s.dir, 'features.npy'));
      const ids = await readJson<unknown[]>(path.join(s.dir, 'items.json'));
      const { start, end } = s.shard;
      if (f.shape[0] !== ids.length || ids.length + s.summary.skipped.length !== end - start) {
        throw new UserError(`${s.dir}: incomplete shard (${f.shape[0]} feature rows, ${ids.length} items, ${s.summary.skipped.length} skipped of ${end - start}); rerun it`);
      }
      if (f.shape[0] > 0) await writer.append(f.data);
      items.push(...ids);
      skipped.push(...s.summary.skipped);
      seconds += s.summary.seconds;
    }
  } catch (e) {
    // A broken shard: the partial file is closed and removed, nothing half-written is left.
    await writer.close().catch(() => undefined);
    await rm(partial, { force: true });
    throw e;
  }
  await writer.close();
  await rename(partial, features);
  const files = { features, items: path.join(out, 'items.json'), summary: path.join(out, 'summary.json') };
  await writeJsonAtomic(files.items, items);
  const { shard: _shard, ...rest } = first;
  await writeSummary(files.summary, {
    ...rest,
    date: new Date().toISOString(),
    count: items.length,
    skipped,
    files,
    seconds,
    imagesPerSecond: items.length / seconds,
    merged: { shards: shards.length, from: shards.map((s) => s.dir) },
  });
  return { rows: items.length, skipped: skipped.length };
}
