import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  hierarchicalOrder, mostIndependent, mostRedundantPairs, similarityMatrix, topN,
} from '../../../src/analyses/metrics/similarity.js';
import { close, gauss, rng } from './helpers.js';

/** Non-negative table with ties and zeros (like post-ReLU spatial maxima), images x neurons. */
function table(images: number, neurons: number, seed: string, quantum = 0): Float32Array {
  const r = rng(seed);
  const V = new Float32Array(images * neurons);
  for (let k = 0; k < V.length; k++) {
    let v = Math.max(0, gauss(r) + 0.3);
    if (quantum) v = Math.round(v / quantum) * quantum;
    V[k] = v;
  }
  return V;
}

/** Brute force eq. 2: full sort per neuron, explicit double loop over (i, j). */
function bruteForce(V: Float32Array, images: number, neurons: number, n: number): Float64Array {
  const C: number[][] = [];
  for (let i = 0; i < neurons; i++) {
    const idx = [...Array(images).keys()];
    idx.sort((a, b) => V[b * neurons + i]! - V[a * neurons + i]! || a - b);
    C.push(idx.slice(0, n));
  }
  const sum = (i: number, set: number[]) => set.reduce((s, x) => s + V[x * neurons + i]!, 0);
  const S = new Float64Array(neurons * neurons);
  for (let i = 0; i < neurons; i++) {
    for (let j = 0; j < neurons; j++) {
      if (i === j) { S[i * neurons + j] = 1; continue; }
      const di = sum(i, C[i]!), dj = sum(j, C[j]!);
      const r1 = di === 0 ? 0 : sum(i, C[j]!) / di;
      const r2 = dj === 0 ? 0 : sum(j, C[i]!) / dj;
      S[i * neurons + j] = 0.5 * (r1 + r2);
    }
  }
  return S;
}

test('hand case: 4 images x 3 neurons, n = 2, tie broken by lower image index', () => {
  // rows = images; neuron 2 has value 2 on images 0, 2, 3 -> C_2 = {0, 2}
  const V = Float32Array.from([5, 0, 2, 4, 1, 0, 1, 3, 2, 0, 2, 2]);
  const top = topN(V, 4, 3, 2);
  assert.deepEqual(Array.from(top), [0, 1, 2, 3, 0, 2]);
  const { S, topSums } = similarityMatrix(V, 4, 3, 2);
  assert.deepEqual(Array.from(topSums), [9, 5, 4]);
  close(S[0 * 3 + 1]!, 7 / 45, 1e-15);
  close(S[0 * 3 + 2]!, 7 / 12, 1e-15);
  close(S[1 * 3 + 2]!, 0.8, 1e-15);
  assert.equal(S[0], 1);
});

test('fast path equals the brute-force double loop (random, ties, a dead neuron)', () => {
  const images = 300, neurons = 40, n = 25;
  const V = table(images, neurons, 'bf', 0.25);
  for (let x = 0; x < images; x++) V[x * neurons + 7] = 0; // dead neuron 7
  const res = similarityMatrix(V, images, neurons, n);
  const ref = bruteForce(V, images, neurons, n);
  let maxErr = 0;
  for (let k = 0; k < ref.length; k++) maxErr = Math.max(maxErr, Math.abs(res.S[k]! - ref[k]!));
  assert.ok(maxErr < 1e-6, `max |fast - brute| = ${maxErr}`);
  assert.deepEqual(res.deadNeurons, [7]);
  // topN equals a full sort
  for (let i = 0; i < neurons; i++) {
    const idx = [...Array(images).keys()].sort((a, b) => V[b * neurons + i]! - V[a * neurons + i]! || a - b);
    assert.deepEqual(Array.from(res.topSets.subarray(i * n, (i + 1) * n)), idx.slice(0, n), `neuron ${i}`);
  }
});

test('S_ii = 1, S symmetric, 0 <= S <= 1 for non-negative V; 512 x 5000 timing', () => {
  const images = 5000, neurons = 512;
  const V = table(images, neurons, 'big');
  const t0 = performance.now();
  const res = similarityMatrix(V, images, neurons, 50);
  const ms = performance.now() - t0;
  console.log(`similarityMatrix 512 neurons x 5000 images, n=50: ${ms.toFixed(0)} ms`);
  const t1 = performance.now();
  const h = hierarchicalOrder(res.S);
  console.log(`hierarchicalOrder 512 x 512: ${(performance.now() - t1).toFixed(0)} ms`);
  const S = res.S;
  for (let i = 0; i < neurons; i++) {
    assert.equal(S[i * neurons + i], 1);
    for (let j = 0; j < neurons; j++) {
      const s = S[i * neurons + j]!;
      assert.equal(s, S[j * neurons + i]);
      assert.ok(s >= 0 && s <= 1 + 1e-12, `S[${i},${j}] = ${s}`);
    }
  }
  assert.deepEqual([...h.order].sort((a, b) => a - b), [...Array(neurons).keys()], 'order is a permutation');
});

test('mostRedundantPairs and mostIndependent', () => {
  const S = Float64Array.from([
    1, 0.2, 0.7, 0.0,
    0.2, 1, 0.2, 0.1,
    0.7, 0.2, 1, 0.05,
    0.0, 0.1, 0.05, 1,
  ]);
  assert.deepEqual(mostRedundantPairs(S, 3), [
    { i: 0, j: 2, s: 0.7 },
    { i: 0, j: 1, s: 0.2 },
    { i: 1, j: 2, s: 0.2 }, // tie with (0,1): ordered by i, then j
  ]);
  const ind = mostIndependent(S, 2);
  assert.equal(ind[0]!.neuron, 3);
  close(ind[0]!.meanSimilarity, 0.15 / 3, 1e-15);
  assert.equal(ind[1]!.neuron, 1);
});

test('hierarchicalOrder: hand-built blocks and average-linkage distances', () => {
  // {0,2} (S .9) and {1,3} (S .8); cross similarities .1 .3 .2 .0 -> distances .9 .7 .8 1.0, mean .85
  const S = Float64Array.from([
    1, 0.1, 0.9, 0.3,
    0.1, 1, 0.2, 0.8,
    0.9, 0.2, 1, 0.0,
    0.3, 0.8, 0.0, 1,
  ]);
  const h = hierarchicalOrder(S);
  assert.deepEqual(Array.from(h.order), [0, 2, 1, 3]);
  assert.equal(h.merges.length, 3);
  assert.deepEqual(h.merges[0]!.slice(0, 2), [0, 2]);
  assert.deepEqual(h.merges[1]!.slice(0, 2), [1, 3]);
  assert.deepEqual(h.merges[2]!.slice(0, 2), [4, 5]);
  close(h.merges[0]![2], 0.1, 1e-15);
  close(h.merges[1]![2], 0.2, 1e-15);
  close(h.merges[2]![2], 0.85, 1e-15);
  assert.equal(h.merges[2]![3], 4);
});

test('hierarchicalOrder merges = UPGMA by definition (mean leaf-pair distance), random S', () => {
  const m = 30;
  const r = rng('upgma');
  const S = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    S[i * m + i] = 1;
    for (let j = i + 1; j < m; j++) S[i * m + j] = S[j * m + i] = r();
  }
  const h = hierarchicalOrder(S);
  const leaves = new Map<number, number[]>([...Array(m).keys()].map((i) => [i, [i]]));
  const linkD = (a: number[], b: number[]) => {
    let s = 0;
    for (const x of a) for (const y of b) s += 1 - S[x * m + y]!;
    return s / (a.length * b.length);
  };
  h.merges.forEach(([a, b, d], t) => {
    // the merged pair is the closest pair of active clusters
    const ids = [...leaves.keys()];
    let best = Infinity;
    for (let p = 0; p < ids.length; p++) for (let q = p + 1; q < ids.length; q++) best = Math.min(best, linkD(leaves.get(ids[p]!)!, leaves.get(ids[q]!)!));
    close(d, linkD(leaves.get(a)!, leaves.get(b)!), 1e-12, `merge ${t} distance`);
    close(d, best, 1e-12, `merge ${t} is the minimum`);
    leaves.set(m + t, [...leaves.get(a)!, ...leaves.get(b)!]);
    leaves.delete(a);
    leaves.delete(b);
  });
  assert.deepEqual(Array.from(h.order), leaves.get(2 * m - 2));
});

test('validation', () => {
  assert.throws(() => topN(new Float32Array(6), 2, 3, 3), /n must be/);
  assert.throws(() => similarityMatrix(new Float32Array(5), 2, 3), /length/);
  assert.throws(() => mostIndependent(new Float64Array(5), 1), /square/);
});
