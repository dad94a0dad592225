import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  accuracyAtThreshold, bestThreshold, kFoldVerification, rocAuc, rocCurve, tarAtFar,
} from '../../../src/analyses/metrics/verification.js';
import { close, gauss, rng } from './helpers.js';

test('perfectly separable scores -> accuracy 1 on every fold', () => {
  const r = rng('sep');
  const scores: number[] = [], labels: number[] = [], folds: number[] = [];
  for (let f = 0; f < 10; f++) {
    for (let p = 0; p < 60; p++) {
      const same = p % 2;
      scores.push(same ? 0.6 + 0.4 * r() : 0.5 * r());
      labels.push(same);
      folds.push(f + 1);
    }
  }
  const res = kFoldVerification(scores, labels, folds);
  assert.deepEqual(res.foldIds, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.deepEqual(res.foldAccuracies, Array(10).fill(1));
  assert.equal(res.accuracy_mean, 1);
  assert.equal(res.accuracy_std, 0);
  for (const t of res.thresholds) assert.ok(t > 0.5 && t < 0.6);
});

test('3-fold construction with hand-computed accuracies, thresholds and tie rule', () => {
  // fold A: P {.9,.8} N {.1,.2}; fold B: P {.6,.7} N {.5,.4}; fold C: P {.3,.95} N {.05,.58}
  const scores = [0.9, 0.8, 0.1, 0.2, 0.6, 0.7, 0.5, 0.4, 0.3, 0.95, 0.05, 0.58];
  const labels = [true, true, false, false, true, true, false, false, true, true, false, false];
  const folds = [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2];
  const res = kFoldVerification(scores, labels, folds);
  // A: trained on B+C, unique best t = (.58+.6)/2 (7/8) -> A all correct.
  // B: trained on A+C, t = .25 and t = .69 both give 7/8; the lowest (.25) wins -> B accepts
  //    both negatives .5 and .4 -> 2/4.
  // C: trained on A+B (separable), t = .55 -> .3 rejected (wrong), .58 accepted (wrong) -> 2/4.
  close(res.thresholds[0]!, 0.59, 1e-12);
  close(res.thresholds[1]!, 0.25, 1e-12);
  close(res.thresholds[2]!, 0.55, 1e-12);
  assert.deepEqual(res.trainAccuracies, [7 / 8, 7 / 8, 1]);
  assert.deepEqual(res.foldAccuracies, [1, 0.5, 0.5]);
  close(res.accuracy_mean, 2 / 3, 1e-15);
  close(res.accuracy_std, Math.sqrt(1 / 12), 1e-15, 'sample std');
  close(res.accuracy_std_population, Math.sqrt(1 / 18), 1e-15, 'population std');
});

test('bestThreshold equals brute force over every candidate (random, with ties)', () => {
  const r = rng('bt');
  for (let trial = 0; trial < 20; trial++) {
    const n = 5 + Math.floor(r() * 60);
    const scores = Array.from({ length: n }, () => Math.round(gauss(r) * 4) / 4);
    const labels = scores.map((s) => (s + gauss(r) > 0 ? 1 : 0));
    const uniq = [...new Set(scores)].sort((a, b) => a - b);
    const cands = [-Infinity, ...uniq.slice(0, -1).map((v, k) => (v + uniq[k + 1]!) / 2), Infinity];
    let bestAcc = -1, bestT = NaN;
    for (const t of cands) {
      const a = accuracyAtThreshold(scores, labels, t);
      if (a > bestAcc) { bestAcc = a; bestT = t; }
    }
    const got = bestThreshold(scores, labels);
    close(got.accuracy, bestAcc, 1e-12, `trial ${trial}`);
    assert.equal(got.threshold, bestT, `trial ${trial}`);
  }
});

test('rocAuc equals brute-force pair counting (ties count 1/2)', () => {
  const r = rng('auc');
  for (let trial = 0; trial < 10; trial++) {
    const n = 50 + Math.floor(r() * 200);
    const labels = Array.from({ length: n }, () => r() < 0.4);
    const scores = labels.map((l) => Math.round((gauss(r) + (l ? 0.8 : 0)) * 5) / 5); // many ties
    let num = 0, den = 0;
    for (let i = 0; i < n; i++) {
      if (!labels[i]) continue;
      for (let j = 0; j < n; j++) {
        if (labels[j]) continue;
        den++;
        num += scores[i]! > scores[j]! ? 1 : scores[i] === scores[j] ? 0.5 : 0;
      }
    }
    close(rocAuc(scores, labels), num / den, 1e-12, `trial ${trial}`);
    // trapezoid under the ROC points is the same number
    const roc = rocCurve(scores, labels);
    let area = 0;
    for (let p = 1; p < roc.far.length; p++) area += ((roc.far[p]! - roc.far[p - 1]!) * (roc.tar[p]! + roc.tar[p - 1]!)) / 2;
    close(area, num / den, 1e-12, `trapezoid ${trial}`);
  }
  assert.ok(Number.isNaN(rocAuc([1, 2], [true, true])));
});

test('TAR@FAR on a hand-made ROC', () => {
  // positives .9 .8 .6 .4, negatives .85 .5 .3 .2 .1 (FAR steps of 0.2)
  const scores = [0.9, 0.8, 0.6, 0.4, 0.85, 0.5, 0.3, 0.2, 0.1];
  const labels = [1, 1, 1, 1, 0, 0, 0, 0, 0];
  const roc = rocCurve(scores, labels);
  assert.deepEqual(Array.from(roc.thresholds), [Infinity, 0.9, 0.85, 0.8, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1]);
  assert.deepEqual(Array.from(roc.tar), [0, 0.25, 0.25, 0.5, 0.75, 0.75, 1, 1, 1, 1]);
  assert.deepEqual(Array.from(roc.far), [0, 0, 0.2, 0.2, 0.2, 0.4, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(tarAtFar(scores, labels, 0), { tar: 0.25, far: 0, threshold: 0.9 });
  assert.deepEqual(tarAtFar(scores, labels, 0.1), { tar: 0.25, far: 0, threshold: 0.9 });
  assert.deepEqual(tarAtFar(scores, labels, 0.2), { tar: 0.75, far: 0.2, threshold: 0.6 });
  assert.deepEqual(tarAtFar(scores, labels, 0.39), { tar: 0.75, far: 0.2, threshold: 0.6 });
  assert.deepEqual(tarAtFar(scores, labels, 0.4), { tar: 1, far: 0.4, threshold: 0.4 });
  assert.deepEqual(tarAtFar(scores, labels, 1), { tar: 1, far: 1, threshold: 0.1 });
  assert.ok(Number.isNaN(tarAtFar([1, 2], [1, 1], 0.1).tar));
});

test('input validation', () => {
  assert.throws(() => kFoldVerification([1, 2], [1, 0], [0, 0]), /2 folds/);
  assert.throws(() => kFoldVerification([1, NaN], [1, 0], [0, 1]), /NaN/);
  assert.throws(() => rocAuc([1, 2], [1]), /length/);
});
