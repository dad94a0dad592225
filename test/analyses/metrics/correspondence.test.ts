import { test } from 'node:test';
import assert from 'node:assert/strict';
import { correspondenceDelta, type SignZeroRule } from '../../../src/analyses/metrics/correspondence.js';
import { matrixFromRows, type FeatureMatrix } from '../../../src/analyses/metrics/matrix.js';
import { close, gauss, rng } from './helpers.js';

/** original = base + eps, occluded = base, with values exact in float32. */
function fromEps(eps: number[][]): { orig: FeatureMatrix; occl: FeatureMatrix } {
  const base = eps.map((row, i) => row.map((_, k) => 1 + 0.25 * ((i + k) % 4)));
  return {
    orig: matrixFromRows(eps.map((row, i) => row.map((e, k) => base[i]![k]! + e))),
    occl: matrixFromRows(base),
  };
}

// eps signs: e0 = [+,+,0,-], e1 = [+,-,0,-], e2 = [+,+,+,0]
const EPS = [
  [0.5, 2, 0, -1],
  [0.25, -0.5, 0, -2],
  [1, 0.75, 0.5, 0],
];

test("Delta by hand, sign(0) = own value (default): pairs 1/4, 2/4, 3/4", () => {
  const { orig, occl } = fromEps(EPS);
  const r = correspondenceDelta(orig, occl);
  assert.equal(r.signZeroRule, 'zero');
  assert.equal(r.pairs, 6);
  assert.equal(r.featureLength, 4);
  assert.deepEqual(Array.from(r.pairDistances), [0, 0.25, 0.5, 0.25, 0, 0.75, 0.5, 0.75, 0]);
  close(r.delta_mean, 0.5, 1e-15);
  close(r.delta_std, Math.sqrt(0.125 / 3), 1e-15);
  close(r.zeroFraction, 3 / 12, 1e-15);
});

test('the sign(0) rule changes the answer on the same data', () => {
  const { orig, occl } = fromEps(EPS);
  // sign(0) = +1: e0 = [+,+,+,-], e1 = [+,-,+,-], e2 = [+,+,+,+] -> 1/4, 1/4, 2/4
  close(correspondenceDelta(orig, occl, { signZeroRule: 'positive' }).delta_mean, 1 / 3, 1e-15);
  // exclude zeros: (0,1) on {0,1,3}: 1/3; (0,2) on {0,1}: 0; (1,2) on {0,1}: 1/2
  close(correspondenceDelta(orig, occl, { signZeroRule: 'exclude' }).delta_mean, 5 / 18, 1e-15);
});

test('sign(0) rule on a "disjoint support" case: different masks, zero elsewhere', () => {
  // Like random-patch occlusions at low layers: each image's eps is non-zero only on its own patch.
  const d = 100;
  const eps = [0, 1, 2, 3].map((i) => Array.from({ length: d }, (_, k) => (k >= i * 10 && k < i * 10 + 10 ? 1 : 0)));
  const { orig, occl } = fromEps(eps);
  // own-value zero: each pair mismatches on the two patches (20 of 100 positions)
  close(correspondenceDelta(orig, occl).delta_mean, 0.2, 1e-15);
  // sign(0) = +1: all signs are +1, no mismatch at all
  close(correspondenceDelta(orig, occl, { signZeroRule: 'positive' }).delta_mean, 0, 0);
  // exclude: no position is non-zero in both images -> each pair defined as 0
  close(correspondenceDelta(orig, occl, { signZeroRule: 'exclude' }).delta_mean, 0, 0);
});

test('zeroTolerance classes tiny |eps| as zero', () => {
  const { orig, occl } = fromEps([[1e-3, 1], [-1e-3, 1]]);
  close(correspondenceDelta(orig, occl).delta_mean, 0.5, 1e-15);
  close(correspondenceDelta(orig, occl, { zeroTolerance: 1e-2 }).delta_mean, 0, 0);
});

test('matches an independent Math.sign double loop over ordered pairs (random, with zeros)', () => {
  const r = rng('corr');
  const m = 15, d = 333;
  const orig: number[][] = [], occl: number[][] = [];
  for (let i = 0; i < m; i++) {
    const o = Array.from({ length: d }, () => Math.max(0, gauss(r)));
    orig.push(o);
    occl.push(o.map((v) => (r() < 0.3 ? v : Math.max(0, v + gauss(r)))));
  }
  const O = matrixFromRows(orig), X = matrixFromRows(occl);
  for (const rule of ['zero', 'positive', 'exclude'] as SignZeroRule[]) {
    const sg = (i: number) =>
      orig[i]!.map((_, k) => {
        const s = Math.sign(O.data[i * d + k]! - X.data[i * d + k]!);
        return rule === 'positive' && s === 0 ? 1 : s;
      });
    const vals: number[] = [];
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) {
        if (i === j) continue;
        const a = sg(i), b = sg(j);
        let mis = 0, valid = 0;
        for (let k = 0; k < d; k++) {
          if (rule === 'exclude' && (a[k] === 0 || b[k] === 0)) continue;
          valid++;
          if (a[k] !== b[k]) mis++;
        }
        vals.push(valid ? mis / valid : 0);
      }
    }
    const mean = vals.reduce((s, v) => s + v, 0) / vals.length;
    const std = Math.sqrt(vals.reduce((s, v) => s + (v - mean) ** 2, 0) / vals.length);
    const res = correspondenceDelta(O, X, { signZeroRule: rule });
    assert.equal(res.pairs, m * (m - 1));
    close(res.delta_mean, mean, 1e-12, rule);
    close(res.delta_std, std, 1e-12, rule);
  }
});

test('validation', () => {
  const a = matrixFromRows([[1, 2]]);
  assert.throws(() => correspondenceDelta(a, a), /at least 2/);
  assert.throws(() => correspondenceDelta(matrixFromRows([[1], [2]]), matrixFromRows([[1, 2], [3, 4]])), /shape/);
});
