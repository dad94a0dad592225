import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kmeans } from '../../../src/analyses/layout/kmeans.js';
import { blobs, dist, rngs } from './helpers.js';

/** Same partition up to relabelling. */
function samePartition(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  const ab = new Map<number, number>();
  const ba = new Map<number, number>();
  for (let i = 0; i < a.length; i++) {
    if ((ab.get(a[i]!) ?? b[i]!) !== b[i]! || (ba.get(b[i]!) ?? a[i]!) !== a[i]!) return false;
    ab.set(a[i]!, b[i]!);
    ba.set(b[i]!, a[i]!);
  }
  return true;
}

test('recovers separated 2-D clusters', () => {
  const centres = [
    [0, 0],
    [10, 0],
    [5, 9],
    [-8, 7],
  ];
  const { X, labels } = blobs(centres, 30, 1, 'km2d');
  const r = kmeans(X, 4, { seed: 3 });
  assert.ok(samePartition(r.labels, labels), 'partition differs from the planted one');
  assert.ok(r.converged);
  assert.deepEqual(r.sizes, [30, 30, 30, 30]);
  assert.equal(r.labels[0], 0, 'labels not numbered by first appearance');
  for (let k = 0; k < 4; k++) {
    const c = r.centroids[r.labels[k * 30]!]!;
    assert.ok(dist(c, centres[k]!) < 0.5, `centroid ${k} at ${[...c]}`);
  }
  let inertia = 0;
  X.forEach((x, i) => (inertia += dist(x, r.centroids[r.labels[i]!]!) ** 2));
  assert.ok(Math.abs(inertia - r.inertia) < 1e-9);
});

test('works in n-D and on a dense matrix', () => {
  const { gauss } = rngs('kmnd');
  const centres = Array.from({ length: 3 }, () => Array.from({ length: 10 }, () => 6 * gauss()));
  const { X, labels } = blobs(centres, 20, 0.5, 'kmnd-pts');
  const r = kmeans(X, 3);
  assert.ok(samePartition(r.labels, labels));
  const data = new Float64Array(60 * 10);
  X.forEach((x, i) => data.set(x, i * 10));
  assert.deepEqual(kmeans({ data, rows: 60, cols: 10 }, 3).labels, r.labels);
});

test('deterministic: same seed same result; easy data gives the same partition for any seed', () => {
  const { X } = blobs(
    [
      [0, 0],
      [6, 6],
      [0, 6],
    ],
    15,
    1.5,
    'det',
  );
  const a = kmeans(X, 3, { seed: 'x' });
  const b = kmeans(X, 3, { seed: 'x' });
  assert.deepEqual(a, b);
  for (const seed of [1, 2, 3, 'y']) assert.deepEqual(kmeans(X, 3, { seed }).labels, a.labels);
  // A single restart from a given seed is deterministic too.
  assert.deepEqual(kmeans(X, 3, { seed: 9, nInit: 1 }), kmeans(X, 3, { seed: 9, nInit: 1 }));
});

test('finds the optimal 2-means partition of a small 1-D set (brute force)', () => {
  const xs = [0.1, 0.5, 0.9, 2.0, 2.2, 3.9, 4.0, 4.4, 7.5];
  const X = xs.map((v) => [v]);
  let best = Infinity;
  for (let mask = 1; mask < (1 << xs.length) - 1; mask++) {
    let cost = 0;
    for (const side of [0, 1]) {
      const g = xs.filter((_, i) => ((mask >> i) & 1) === side);
      const m = g.reduce((s, v) => s + v, 0) / g.length;
      cost += g.reduce((s, v) => s + (v - m) ** 2, 0);
    }
    best = Math.min(best, cost);
  }
  assert.ok(Math.abs(kmeans(X, 2).inertia - best) < 1e-12, `${kmeans(X, 2).inertia} vs ${best}`);
});

test('edge cases: k = 1, k = n, duplicates, bad k', () => {
  const { X } = blobs([[0, 0]], 6, 1, 'edge');
  const one = kmeans(X, 1);
  const mean = [0, 1].map((j) => X.reduce((s, x) => s + x[j]!, 0) / 6);
  assert.ok(dist(one.centroids[0]!, mean) < 1e-12);
  const all = kmeans(X, 6);
  assert.equal(all.inertia, 0);
  assert.deepEqual([...all.labels], [0, 1, 2, 3, 4, 5]);
  const dup = kmeans([[1, 1], [1, 1], [1, 1], [2, 2]], 3);
  assert.equal(dup.labels.length, 4);
  assert.equal(dup.inertia, 0);
  assert.throws(() => kmeans(X, 0), /k must be an integer in \[1, 6\]/);
  assert.throws(() => kmeans(X, 7), /k must be/);
});
