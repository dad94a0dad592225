/**
 * The yaw probe's shared neighbour lists (one distance matrix and one sorted list per layer, for
 * every fold and k) against the straightforward computation: for each query of each fold, sort
 * that fold's training rows by (distance, index) and take the first k. Small random data, with
 * exact distance ties (integer features, euclidean) and tiny prefixes that force the fallback.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { binTargets, regressionScore } from '../../../src/analyses/metrics/knn-regression.ts';
import { distanceMatrix, distanceMatrixFast, stratifiedFolds, type KnnMetric } from '../../../src/analyses/metrics/knn.ts';
import type { FeatureMatrix } from '../../../src/analyses/metrics/matrix.ts';
import { NeighbourLists } from '../../../src/analyses/metrics/neighbours.ts';
import { yawProbeMetrics } from '../../../src/analyses/yaw/yaw-probe.ts';
import type { HeadPose } from '../../../src/analyses/yaw/head-pose.ts';
import { rng } from '../metrics/helpers.ts';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Row i's training neighbours, by sorting (the reference). */
function sortedTrain(D: Float64Array, n: number, i: number, train: number[]): number[] {
  return [...train].sort((a, b) => D[i * n + a]! - D[i * n + b]! || a - b);
}

/** k-NN regression CV + nested CV, written out directly (mirrors knn-regression.ts' stated rules). */
function naiveRegression(D: Float64Array, n: number, y: number[], ks: number[], foldsOpt: number, seed: string) {
  const folds = Math.min(foldsOpt, n);
  const innerFolds = Math.min(foldsOpt, n - Math.ceil(n / folds));
  const predict = (train: number[], i: number, k: number) => {
    const nb = sortedTrain(D, n, i, train).slice(0, Math.min(k, train.length));
    return nb.reduce((s, j) => s + y[j]!, 0) / nb.length;
  };
  const cv = (subset: number[], f: number, sd: string) => {
    const sub = subset.map((i) => y[i]!);
    const foldOf = stratifiedFolds(binTargets(sub, Math.min(5, Math.floor(subset.length / f) || 1)), f, sd);
    const perK = ks.map((k) => {
      const pred = subset.map((i, t) => predict(subset.filter((_, u) => foldOf[u] !== foldOf[t]), i, k));
      return regressionScore(sub, pred);
    });
    let best = 0;
    for (let s = 1; s < ks.length; s++) if (perK[s]!.mse < perK[best]!.mse) best = s;
    return { perK, best };
  };
  const all = range(n);
  const plain = cv(all, folds, seed);
  const outerOf = stratifiedFolds(binTargets(y, Math.min(5, Math.floor(n / folds) || 1)), folds, seed);
  const pred = new Array<number>(n);
  for (let f = 0; f < folds; f++) {
    const train = all.filter((i) => outerOf[i] !== f);
    const k = ks[cv(train, innerFolds, `${seed}/inner${f}`).best]!;
    for (const i of all.filter((j) => outerOf[j] === f)) pred[i] = predict(train, i, k);
  }
  return { nested: regressionScore(y, pred), bestK: ks[plain.best]!, best: plain.perK[plain.best]! };
}

/** k-NN classification CV + nested CV over `rows`, written out directly (knn.ts rules). */
function naiveClassification(D: Float64Array, n: number, rows: number[], labels: number[], ks: number[], folds: number, innerFolds: number, seed: string) {
  const lab = new Map(rows.map((r, t) => [r, labels[t]!]));
  const classify = (train: number[], i: number, k: number) => {
    const nb = sortedTrain(D, n, i, train).slice(0, k);
    const votes = new Map<number, number>();
    for (const j of nb) votes.set(lab.get(j)!, (votes.get(lab.get(j)!) ?? 0) + 1);
    const max = Math.max(...votes.values());
    return lab.get(nb.find((j) => votes.get(lab.get(j)!) === max)!)!;
  };
  const cv = (subset: number[], f: number, sd: string) => {
    const foldOf = stratifiedFolds(subset.map((r) => lab.get(r)!), f, sd);
    const acc = ks.map((k) => subset.filter((i, t) => classify(subset.filter((_, u) => foldOf[u] !== foldOf[t]), i, k) === lab.get(i)).length / subset.length);
    let best = 0;
    for (let s = 1; s < ks.length; s++) if (acc[s]! > acc[best]!) best = s;
    return { acc: acc[best]!, bestK: ks[best]! };
  };
  const plain = cv(rows, folds, seed);
  const outerOf = stratifiedFolds(labels, folds, seed);
  let correct = 0;
  for (let f = 0; f < folds; f++) {
    const train = rows.filter((_, t) => outerOf[t] !== f);
    const k = cv(train, innerFolds, `${seed}/inner${f}`).bestK;
    correct += rows.filter((i, t) => outerOf[t] === f && classify(train, i, k) === lab.get(i)).length;
  }
  return { bestk_cv_accuracy: plain.acc, bestK: plain.bestK, nested_accuracy: correct / rows.length };
}

function data(n: number, cols: number, seed: string, integer: boolean): { f: FeatureMatrix; poses: HeadPose[] } {
  const r = rng(seed);
  const poses = range(n).map(() => ({ yaw: -70 + 140 * r(), pitch: -20 + 40 * r(), roll: 0, residual: 0 }));
  const fdata = new Float32Array(n * cols);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < cols; c++) {
      // features loosely follow yaw, so the neighbours mean something; integers make ties
      const v = (c === 0 ? poses[i]!.yaw / 20 : 0) + 3 * (r() - 0.5);
      fdata[i * cols + c] = integer ? Math.round(v) : v;
    }
  }
  return { f: { data: fdata, rows: n, cols }, poses };
}

test('NeighbourLists.nearestIn = the first k members of the sorted row, for every prefix (fallback included)', () => {
  const { f } = data(40, 3, 'nl', true);
  const n = f.rows;
  const D = distanceMatrix(f, 'euclidean');
  const r = rng('members');
  for (const prefix of [0, 1, 3, 10, 39, 100]) {
    const lists = new NeighbourLists(D, n, prefix);
    for (let q = 0; q < 30; q++) {
      const i = Math.floor(r() * n);
      const member = new Uint8Array(n);
      const train = range(n).filter((j) => j !== i && r() < 0.3 + 0.6 * (q % 2));
      for (const j of train) member[j] = 1;
      const k = 1 + Math.floor(r() * 12);
      const out = new Int32Array(k);
      const c = lists.nearestIn(i, member, k, out);
      assert.deepEqual(Array.from(out.subarray(0, c)), sortedTrain(D, n, i, train).slice(0, k), `prefix ${prefix}, row ${i}, k ${k}`);
    }
    if (prefix < 10) assert.ok(lists.fallbacks > 0, `prefix ${prefix} needed the full order`);
  }
  assert.throws(() => new NeighbourLists(new Float64Array(3), 2), /distances/);
});

test('yawProbeMetrics (shared lists) equals the straightforward per-fold computation', () => {
  const ks = [1, 3, 5, 7];
  const cases: { n: number; metric: KnnMetric; integer: boolean; folds: number }[] = [
    { n: 57, metric: 'euclidean', integer: true, folds: 5 },
    { n: 64, metric: 'cosine', integer: false, folds: 10 },
  ];
  for (const { n, metric, integer, folds } of cases) {
    const { f, poses } = data(n, 4, `y${n}`, integer);
    const seed = `s${n}`;
    const got = yawProbeMetrics(new Map([['L', f]]), ['L'], poses, { ks, folds, seed, metric }).layers[0]!;
    const D = distanceMatrix(f, metric);
    for (const [what, y] of [['yaw', poses.map((p) => p.yaw)], ['pitch', poses.map((p) => p.pitch)]] as const) {
      const want = naiveRegression(D, n, y, ks, folds, seed);
      const g = got[what];
      assert.equal(g.bestK, want.bestK, `${metric} ${what} best k`);
      assert.deepEqual(g.best, want.best, `${metric} ${what} best-k score`);
      assert.deepEqual(g.nested, want.nested, `${metric} ${what} nested score`);
    }
    const rows = range(n).filter((i) => Math.abs(poses[i]!.yaw) < 15 || Math.abs(poses[i]!.yaw) > 30);
    const labels = rows.map((i) => (Math.abs(poses[i]!.yaw) < 15 ? 0 : 1));
    const minClass = Math.min(labels.filter((l) => l === 0).length, labels.filter((l) => l === 1).length);
    const fo = Math.min(folds, minClass);
    const want = naiveClassification(D, n, rows, labels, ks, fo, Math.min(folds, Math.max(2, minClass - Math.ceil(minClass / fo))), seed);
    assert.ok(typeof got.frontalTurned === 'object', String(got.frontalTurned));
    const ft = got.frontalTurned as Exclude<typeof got.frontalTurned, string>;
    assert.equal(ft.n, rows.length);
    assert.deepEqual({ bestk_cv_accuracy: ft.bestk_cv_accuracy, bestK: ft.bestK, nested_accuracy: ft.nested_accuracy }, want, `${metric} frontal/turned`);
  }
});

test('yawProbeMetrics on GEMM distances (distanceMatrixFast) gives the same table as on the JS matrix', async () => {
  const { f, poses } = data(80, 16, 'gemm', false);
  const opts = { ks: [1, 3, 5, 9], folds: 10, seed: 'g', metric: 'cosine' as const };
  const slow = yawProbeMetrics(new Map([['L', f]]), ['L'], poses, opts);
  const fast = yawProbeMetrics(new Map([['L', f]]), ['L'], poses, opts, new Map([['L', await distanceMatrixFast(f, 'cosine')]]));
  assert.deepEqual(fast, slow);
});
