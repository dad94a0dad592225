/**
 * `facelens merge`: joins the shards of a sharded `sweep`, `embed` or `align` run, or of the
 * feature step of `verify`. Arguments are
 * shard folders, or folders whose `shard-*-of-*` subfolders are the shards (the `--out` of a
 * `--shard auto` run); the kind of run is read from the shards' own files.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import { mergeEmbeds } from '../analyses/embed-merge.js';
import { mergeSweeps } from '../analyses/sweep/merge.js';
import { SWEEP_FORMAT } from '../results/sweep.js';
import { FEATURE_STORE_FORMAT, mergeFeatureStores } from '../analyses/feature-store.js';
import { mergeAligned } from '../data/export-aligned-merge.js';
import { readJson } from '../io/json.js';
import { isShardDirName } from './shard.js';

export type ShardKind = 'sweep' | 'embed' | 'align' | 'features';

/** The kind of output in `dir`, or undefined when it holds none. */
export async function outputKind(dir: string): Promise<ShardKind | undefined> {
  const manifest = path.join(dir, 'manifest.json');
  if (existsSync(manifest)) {
    const format = (await readJson<{ format?: unknown }>(manifest)).format;
    if (format === FEATURE_STORE_FORMAT) return 'features';
    if (format === SWEEP_FORMAT) return 'sweep';
    throw new UserError(`${manifest}: unknown format ${String(format)}`);
  }
  const summary = path.join(dir, 'summary.json');
  if (!existsSync(summary)) return undefined;
  const command = (await readJson<{ command?: unknown }>(summary)).command;
  if (command === 'embed' || command === 'align') return command;
  throw new UserError(`${summary}: output of \`facelens ${String(command)}\`, which does not shard; merge joins sweep, embed and align shards`);
}

/** Each argument as shard folders: itself if it holds an output, else its shard-*-of-* subfolders. */
export async function expandShardDirs(args: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const a of args) {
    if (!existsSync(a)) throw new UserError(`${a}: no such folder`);
    const subs = (await readdir(a, { withFileTypes: true })).filter((e) => e.isDirectory() && isShardDirName(e.name)).map((e) => path.join(a, e.name));
    if (subs.length > 0) out.push(...subs.sort());
    else out.push(a);
  }
  return out;
}

export async function mergeShards(args: string[], out: string): Promise<{ kind: ShardKind; shards: number; rows: number; skipped: number }> {
  const dirs = await expandShardDirs(args);
  const kinds = await Promise.all(dirs.map(outputKind));
  kinds.forEach((k, i) => {
    if (!k) throw new UserError(`${dirs[i]}: not a finished facelens sweep, embed, align or verify-features output (no manifest.json / summary.json); rerun that shard`);
  });
  const kind = kinds[0]!;
  const other = kinds.findIndex((k) => k !== kind);
  if (other >= 0) throw new UserError(`facelens merge: ${dirs[0]} holds ${kind} output but ${dirs[other]} holds ${kinds[other]} output`);
  const target = path.resolve(out);
  if (dirs.some((d) => path.resolve(d) === target)) throw new UserError(`facelens merge: --out ${out} is one of the shards`);
  const merge = { sweep: mergeSweeps, embed: mergeEmbeds, align: mergeAligned, features: mergeFeatureStores }[kind];
  const r = await merge(dirs, out);
  return { kind, shards: dirs.length, ...r };
}
