/**
 * A smaller LFW with the same protocol: keep whole pairs, at most `limit` distinct images, spread
 * over every fold and balanced between matched and mismatched pairs. Pairs are taken round-robin
 * over the folds; within a fold matched and mismatched pairs alternate in file order; a pair whose
 * images would pass the limit is left out and the next is tried. Deterministic.
 */
import { UserError } from '../../core/errors.js';
import type { Dataset, Pair } from '../dataset.js';

export function subsetLfw(ds: Dataset, limit: number): Dataset {
  const pairs = ds.pairs ?? [];
  const all = new Set(pairs.flatMap((p) => [p.a, p.b]));
  if (!(Number.isInteger(limit) && limit > 0) || all.size <= limit) return ds;
  if (limit < 4) throw new UserError(`LFW image limit ${limit} is too small: verification needs pairs in at least 2 folds (4+ images)`);
  const folds = [...new Set(pairs.map((p) => p.fold))].sort((a, b) => a - b);
  const queues = folds.map((f) => {
    const same = pairs.filter((p) => p.fold === f && p.same);
    const diff = pairs.filter((p) => p.fold === f && !p.same);
    const q: Pair[] = [];
    for (let i = 0; i < Math.max(same.length, diff.length); i++) {
      if (same[i]) q.push(same[i]!);
      if (diff[i]) q.push(diff[i]!);
    }
    return q;
  });
  const chosen = new Set<string>();
  const kept = new Set<Pair>();
  const longest = Math.max(...queues.map((q) => q.length));
  for (let r = 0; r < longest && chosen.size < limit; r++) {
    for (const q of queues) {
      const p = q[r];
      if (!p) continue;
      const extra = [p.a, p.b].filter((id, i, a) => !chosen.has(id) && a.indexOf(id) === i).length;
      if (chosen.size + extra > limit) continue;
      chosen.add(p.a);
      chosen.add(p.b);
      kept.add(p);
    }
  }
  const outPairs = pairs.filter((p) => kept.has(p));
  const usedFolds = new Set(outPairs.map((p) => p.fold)).size;
  return {
    ...ds,
    items: ds.items.filter((it) => chosen.has(it.id)),
    pairs: outPairs,
    folds: ds.folds,
    note: `subset: ${outPairs.length} of ${pairs.length} pairs (${outPairs.filter((p) => p.same).length} matched) over ${usedFolds} folds, ${chosen.size} of ${all.size} images (limit ${limit})`,
  };
}
