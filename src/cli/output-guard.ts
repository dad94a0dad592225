/**
 * What every writing command gets before its action runs (a commander preAction hook, see
 * main.ts) — the one rule for outputs (io/safe-output.ts): `--out` is checked and created (not an
 * input, writable, not a pseudo file system), locked (io/lock.ts) and cleared of the temporaries
 * a killed run left (io/stale-tmp.ts). After the command, `releaseOutputs` releases the lock and,
 * when the command failed, removes an `--out` this run created and left empty.
 */
import { readdir, rmdir, stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { UserError } from '../core/errors.js';
import { isDir } from '../data/datasets/util.js';
import { checkDemoOut } from '../demo/output.js';
import { acquireOutLock, type OutLock } from '../io/lock.js';
import { prepareOut } from '../io/safe-output.js';
import { removeStaleTemps } from '../io/stale-tmp.js';

/** Commands that read only (no --out) or whose --out is their input (report). */
const NO_OUTPUT = new Set(['models', 'report', 'serve']);

interface Held {
  lock: OutLock;
  dir: string;
  created: boolean;
}
const held: Held[] = [];

/** The inputs a command's --out must stay out of: its positional arguments and input options. */
function inputsOf(cmd: Command): string[] {
  const o = cmd.opts() as Record<string, unknown>;
  const fromOpts = ['sweep', 'pairs', 'images', 'lfw', 'cfp', 'dataset', 'weights', 'modelConfig'].map((k) => o[k]);
  if (typeof o.init === 'string' && !['noise', 'grey', 'mean-topn', 'cluster'].includes(o.init)) fromOpts.push(o.init);
  const pos = cmd.processedArgs.flat();
  return [...pos, ...fromOpts].filter((x): x is string => typeof x === 'string' && x !== '');
}

/** The preAction hook: check, create, lock and clean the command's --out. */
export async function guardOutput(cmd: Command): Promise<void> {
  const name = cmd.name();
  if (NO_OUTPUT.has(name)) return;
  const o = cmd.opts() as Record<string, unknown>;
  let out = o.out as string | undefined;
  if (out === undefined && name === 'atlas') out = `facelens-out/atlas/${String(o.layer)}`;
  if (out === undefined) return;
  if (name === 'demo') {
    for (const flag of ['lfw', 'cfp', 'dataset'] as const) {
      const dir = o[flag];
      if (typeof dir === 'string' && !(await isDir(dir))) throw new UserError(`--${flag} ${dir}: no such folder`);
    }
    await checkDemoOut(out);
  }
  const created = !(await stat(out).then(() => true, () => false));
  const dir = await prepareOut(out, { inputs: inputsOf(cmd) });
  // Shards (--shard i/n | auto) of one run write side by side into one --out, each in its own
  // folder, possibly at the same time: no folder-wide lock or clean-up then.
  if (o.shard !== undefined) return;
  const lock = await acquireOutLock(dir, name);
  held.push({ lock, dir, created });
  await removeStaleTemps(dir, { all: true, depth: 4 });
}

/** After the command (ok or not): release the locks; on failure drop an --out left empty. */
export async function releaseOutputs(failed: boolean): Promise<void> {
  while (held.length > 0) {
    const h = held.pop()!;
    await h.lock.release();
    if (failed && h.created) {
      const left = await readdir(h.dir).catch(() => ['?']);
      if (left.length === 0) await rmdir(h.dir).catch(() => undefined);
    }
  }
}
