import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  crossValidateK, distanceMatrix, knnPredict, nestedKnnAccuracy, stratifiedFolds,
} from '../../../src/analyses/metrics/knn.js';
import { cosineDistance } from '../../../src/analyses/metrics/cosine.js';
import { matrixFromRows, type FeatureMatrix } from '../../../src/analyses/metrics/matrix.js';
import { close, randomMatrix, rng } from './helpers.js';

/** Two Gaussian clusters (unit noise) centred at +-sep along every axis' first coordinate. */
function clusters(nPerClass: number, dims: number, sep: number, seed: string): { x: FeatureMatrix; y: number[] } {
  const r = rng(seed);
  const x = randomMatrix(2 * nPerClass, dims, r);
  const y: number[] = [];
  for (let i = 0; i < 2 * nPerClass; i++) {
    const c = i % 2;
    y.push(c);
    x.data[i * dims] += c ? sep : -sep;
    x.data[i * dims + 1] += 3; // keep cosine meaningful (clusters not antipodal through the origin)
  }
  return { x, y };
}

test('well-separated clusters -> 100% CV and nested accuracy, both metrics', () => {
  const { x, y } = clusters(50, 16, 8, 'sep');
  for (const metric of ['cosine', 'euclidean'] as const) {
    const cv = crossValidateK(x, y, [1, 3, 5, 7, 9], 10, 1, metric);
    assert.deepEqual(cv.accuracies, [1, 1, 1, 1, 1], metric);
    assert.equal(cv.bestK, 1, 'ties go to the smallest k');
    const nested = nestedKnnAccuracy(x, y, [1, 3, 5], { seed: 1, metric });
    assert.equal(nested.accuracy, 1, metric);
    assert.deepEqual(nested.chosenK, Array(10).fill(1));
  }
});

test('random labels -> ~50% (seeded), nested estimate unbiased, best-k estimate biased up', () => {
  const r = rng('random-labels');
  const n = 400;
  const x = randomMatrix(n, 20, r);
  const y = Array.from({ length: n }, () => (r() < 0.5 ? 0 : 1));
  const ks = [1, 3, 5, 7, 9, 11, 15, 21];
  const cv = crossValidateK(x, y, ks, 10, 'a');
  const mean = cv.accuracies.reduce((s, a) => s + a, 0) / ks.length;
  // sd of one accuracy ~ sqrt(.25/400) = .025; 0.1 is 4 sigma.
  close(mean, 0.5, 0.1, 'mean over ks');
  assert.ok(cv.bestAccuracy >= Math.max(...cv.accuracies));
  const nested = nestedKnnAccuracy(x, y, ks, { seed: 'a' });
  close(nested.accuracy, 0.5, 0.1, 'nested');
  console.log(`random labels: mean CV acc ${mean.toFixed(3)}, best-k CV acc ${cv.bestAccuracy.toFixed(3)} (k=${cv.bestK}), nested ${nested.accuracy.toFixed(3)}`);
});

test('deterministic for a seed; a different seed changes the folds', () => {
  const { x, y } = clusters(40, 8, 0.7, 'overlap');
  const a = crossValidateK(x, y, [1, 5, 9], 10, 'seed-1');
  const b = crossValidateK(x, y, [1, 5, 9], 10, 'seed-1');
  assert.deepEqual(a, b);
  assert.deepEqual(stratifiedFolds(y, 10, 'seed-1'), stratifiedFolds(y, 10, 'seed-1'));
  assert.notDeepEqual(stratifiedFolds(y, 10, 'seed-1'), stratifiedFolds(y, 10, 'seed-2'));
  assert.deepEqual(nestedKnnAccuracy(x, y, [1, 5], { seed: 3 }), nestedKnnAccuracy(x, y, [1, 5], { seed: 3 }));
});

test('stratified folds: sizes and per-class counts differ by at most one', () => {
  const y = [...Array(23).fill(0), ...Array(7).fill(5), ...Array(11).fill(2)];
  const f = stratifiedFolds(y, 4, 'x');
  const size = [0, 0, 0, 0];
  const perClass = new Map<number, number[]>();
  y.forEach((c, i) => {
    size[f[i]!]!++;
    if (!perClass.has(c)) perClass.set(c, [0, 0, 0, 0]);
    perClass.get(c)![f[i]!]!++;
  });
  assert.ok(Math.max(...size) - Math.min(...size) <= 1, `sizes ${size}`);
  for (const counts of perClass.values()) assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `${counts}`);
});

test('crossValidateK matches an independent sort-based implementation', () => {
  const { x, y } = clusters(30, 5, 1.0, 'indep');
  // quantise to create exact distance ties
  for (let k = 0; k < x.data.length; k++) x.data[k] = Math.round(x.data[k]! * 2) / 2;
  const ks = [1, 2, 3, 4, 6, 10, 59, 100];
  for (const metric of ['cosine', 'euclidean'] as const) {
    const cv = crossValidateK(x, y, ks, 5, 'ind', metric);
    const folds = stratifiedFolds(y, 5, 'ind');
    const n = x.rows;
    const row = (i: number) => Array.from(x.data.subarray(i * x.cols, (i + 1) * x.cols));
    const dist = (i: number, j: number) =>
      metric === 'cosine' ? cosineDistance(row(i), row(j)) : Math.hypot(...row(i).map((v, c) => v - row(j)[c]!));
    const expected = ks.map((k) => {
      let correct = 0;
      for (let i = 0; i < n; i++) {
        const train = [...Array(n).keys()].filter((j) => folds[j] !== folds[i]);
        train.sort((a, b) => dist(i, a) - dist(i, b) || a - b);
        const nb = train.slice(0, k);
        const votes = new Map<number, number>();
        for (const j of nb) votes.set(y[j]!, (votes.get(y[j]!) ?? 0) + 1);
        const max = Math.max(...votes.values());
        const pred = y[nb.find((j) => votes.get(y[j]!) === max)!];
        if (pred === y[i]) correct++;
      }
      return correct / n;
    });
    for (let s = 0; s < ks.length; s++) close(cv.accuracies[s]!, expected[s]!, 1e-12, `${metric} k=${ks[s]}`);
  }
});

test('knnPredict: majority vote and the nearest-member tie-break (hand case)', () => {
  // 1-D points: label 7 at 1 and 4, label 3 at -1 and -5
  const train = matrixFromRows([[1], [-1], [4], [-5]]);
  const labels = [7, 3, 7, 3];
  const test = matrixFromRows([[0.1], [-0.1], [2.0], [-10]]);
  // k=2: tie 1-1 -> the class of the single nearest neighbour
  assert.deepEqual(Array.from(knnPredict(train, labels, test, 2, 'euclidean')), [7, 3, 7, 3]);
  // k=3 at 0.1: neighbours 1(7), -1(3), 4(7) -> 7; at -0.1: -1(3), 1(7), 4(7) -> 7
  assert.deepEqual(Array.from(knnPredict(train, labels, test, 3, 'euclidean')), [7, 7, 7, 3]);
  // k larger than the training set is clamped: 4 neighbours, 2-2 tie -> nearest member's class
  assert.deepEqual(Array.from(knnPredict(train, labels, test, 10, 'euclidean')), [7, 3, 7, 3]);
  // distance ties -> lower training index: query 0 is equidistant from 1 (idx 0) and -1 (idx 1)
  assert.deepEqual(Array.from(knnPredict(train, labels, matrixFromRows([[0]]), 1, 'euclidean')), [7]);
});

test('distanceMatrix is symmetric with a zero diagonal', () => {
  const x = randomMatrix(12, 9, rng('dm'));
  for (const metric of ['cosine', 'euclidean'] as const) {
    const d = distanceMatrix(x, metric);
    for (let i = 0; i < 12; i++) {
      assert.equal(d[i * 12 + i], 0);
      for (let j = 0; j < 12; j++) assert.equal(d[i * 12 + j], d[j * 12 + i]);
    }
  }
});
