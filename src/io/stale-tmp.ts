/**
 * Removes the temporary files (`*.tmp`) that killed runs leave behind. facelens names every
 * temporary `<name>.<pid>.<random>.tmp`; one whose pid is no longer alive is garbage. A
 * temporary without a pid in its name is removed only when older than `maxAgeMs`.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { pidAlive } from './lock.js';

const TMP = /\.(\d+)\.[0-9a-z]+\.tmp$/i;

export interface StaleTmpOptions {
  /** Folder levels below `dir` to visit (default 3). */
  depth?: number;
  /** Age after which a tmp without a pid is removed (default 1 hour). */
  maxAgeMs?: number;
  /** Stop after visiting this many entries (default 200 000): a bound on time in huge caches. */
  maxEntries?: number;
  /** Every facelens temporary (<name>.<pid>.<random>.tmp) is stale, whatever its pid: the caller
   * holds the folder's lock, so nobody else writes there. Other *.tmp files are left alone. */
  all?: boolean;
}

/** Returns the paths removed. Never throws (an unreadable folder is skipped). */
export async function removeStaleTemps(dir: string, opts: StaleTmpOptions = {}): Promise<string[]> {
  const removed: string[] = [];
  const maxAge = opts.maxAgeMs ?? 3600_000;
  let budget = opts.maxEntries ?? 200_000;
  const visit = async (d: string, depth: number): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (--budget < 0) return;
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (depth > 0) await visit(p, depth - 1);
        continue;
      }
      if (!e.isFile() || !e.name.endsWith('.tmp')) continue;
      const m = TMP.exec(e.name);
      let stale: boolean;
      // With `all`, only facelens' own pattern (a user's notes.tmp is never touched).
      if (opts.all) stale = m !== null;
      else if (m) stale = Number(m[1]) !== process.pid && !pidAlive(Number(m[1]));
      else stale = await stat(p).then((s) => Date.now() - s.mtimeMs > maxAge, () => false);
      if (stale && (await rm(p, { force: true }).then(() => true, () => false))) removed.push(p);
    }
  };
  await visit(dir, opts.depth ?? 3);
  return removed;
}
