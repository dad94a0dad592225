/**
 * Checks that a set of shard outputs is one run, complete: the same kind of output, shards
 * 0..n-1 of one count exactly once, and equal run parameters (model, layers, dataset, ...).
 * The error names the two shard folders and the first field in which they differ.
 */
import { UserError } from '../core/errors.js';

export interface ShardMeta {
  dir: string;
  index: number;
  count: number;
  /** Everything that must be equal across the shards of one run. */
  run: Record<string, unknown>;
}

function show(v: unknown): string {
  const s = JSON.stringify(v) ?? 'undefined';
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** The first path at which two JSON values differ (depth first, keys in a's order then b's). */
export function firstDifference(a: unknown, b: unknown, at = ''): { path: string; a: unknown; b: unknown } | undefined {
  if (a === b) return undefined;
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object';
  if (isObj(a) && isObj(b) && Array.isArray(a) === Array.isArray(b)) {
    if (Array.isArray(a) && Array.isArray(b) && a.length !== b.length) return { path: `${at || '.'} (length)`, a: a.length, b: b.length };
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    for (const k of keys) {
      const d = firstDifference(a[k], b[k], at ? `${at}.${k}` : k);
      if (d) return d;
    }
    return undefined;
  }
  return JSON.stringify(a) === JSON.stringify(b) ? undefined : { path: at || '.', a, b };
}

/** The shards sorted by index; a UserError unless they are exactly shards 0..n-1 of one run. */
export function checkShardSet<T extends ShardMeta>(shards: T[], what: string): T[] {
  if (shards.length === 0) throw new UserError(`facelens merge: no ${what} shards given`);
  const sorted = [...shards].sort((x, y) => x.index - y.index);
  const first = sorted[0];
  for (const s of sorted) {
    const d = firstDifference(first.run, s.run);
    if (d) {
      throw new UserError(
        `facelens merge: ${s.dir} and ${first.dir} are not shards of one ${what}: ${d.path} is ${show(d.b)} in the first, ${show(d.a)} in the second; shards of one run must share model, parameters and dataset`,
      );
    }
  }
  const count = first.count;
  const seen = sorted.map((s) => `${s.index}/${s.count}`).join(', ');
  if (sorted.some((s, i) => s.count !== count || s.index !== i) || sorted.length !== count) {
    throw new UserError(`facelens merge: need each of the shards 0..${count - 1} of ${count} exactly once, got ${seen}`);
  }
  return sorted;
}
