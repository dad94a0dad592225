/**
 * Joins the shards of one `facelens align` run (`--shard`): each shard's PNG crops are
 * hard-linked (copied across file systems) into the output under the same relative names, and
 * the summaries' faces and skipped items are concatenated in dataset order.
 */
import { copyFile, link, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import { checkShardSet } from '../cluster/shard-set.js';
import { readJson } from '../io/json.js';
import { writeSummary } from '../results/summary.js';
import type { SkippedItem } from './dataset.js';

interface AlignSummary {
  command: 'align';
  dataset: { kind: string; root: string; items: number; fingerprint?: string };
  shard?: { index: number; count: number; start: number; end: number };
  template: unknown;
  aligned: number;
  skipped: SkippedItem[];
  faces: { id: string; file: string }[];
}

export async function readAlignShard(dir: string) {
  const summary = await readJson<AlignSummary>(path.join(dir, 'summary.json'));
  if (summary.command !== 'align') throw new UserError(`${dir}/summary.json is not from facelens align`);
  const shard = summary.shard ?? { index: 0, count: 1, start: 0, end: summary.dataset.items };
  return { dir, summary, shard, index: shard.index, count: shard.count, run: { command: summary.command, dataset: summary.dataset, template: summary.template } };
}

async function linkOrCopy(from: string, to: string): Promise<void> {
  await mkdir(path.dirname(to), { recursive: true });
  await rm(to, { force: true });
  try {
    await link(from, to);
  } catch {
    await copyFile(from, to);
  }
}

export async function mergeAligned(dirs: string[], out: string): Promise<{ rows: number; skipped: number }> {
  const shards = checkShardSet(await Promise.all(dirs.map(readAlignShard)), 'align run');
  const faces: AlignSummary['faces'] = [];
  const skipped: SkippedItem[] = [];
  for (const s of shards) {
    const { start, end } = s.shard;
    if (s.summary.faces.length + s.summary.skipped.length !== end - start) throw new UserError(`${s.dir}: incomplete shard; rerun it`);
    for (const f of s.summary.faces) {
      const from = path.resolve(s.dir, f.file);
      const to = path.resolve(out, f.file);
      if (from !== to) await linkOrCopy(from, to);
      faces.push(f);
    }
    skipped.push(...s.summary.skipped);
  }
  const { shard: _shard, ...first } = shards[0].summary;
  await writeSummary(path.join(out, 'summary.json'), {
    ...first,
    date: new Date().toISOString(),
    aligned: faces.length,
    skipped,
    faces,
    merged: { shards: shards.length, from: shards.map((s) => s.dir) },
  });
  return { rows: faces.length, skipped: skipped.length };
}
