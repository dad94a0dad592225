import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  calibratePerplexity,
  defaultPerplexity,
  jointProbabilities,
  squaredDistances,
  tsne,
  tsneGradient,
  tsneKl,
} from '../../../src/analyses/layout/tsne.js';
import { blobs, dot, rngs, unit } from './helpers.js';

/** 25 + 25 points in 50-D, N(0, I) around centres 8 apart along a random direction. */
function twoClusters(seed: string) {
  const { gauss } = rngs(seed + '-dir');
  const dir = unit(50, gauss);
  const A = Array.from(dir, (v) => -4 * v);
  const B = Array.from(dir, (v) => 4 * v);
  return blobs([A, B], 25, 1, seed);
}

/** Entropy-based perplexity of one conditional row, computed here from scratch. */
function rowPerplexity(P: Float64Array, n: number, i: number): number {
  let H = 0;
  for (let j = 0; j < n; j++) {
    const p = P[i * n + j]!;
    if (p > 0) H -= p * Math.log(p);
  }
  return Math.exp(H);
}

test('two well-separated clusters land on opposite sides of a line', () => {
  const { X, labels } = twoClusters('sep');
  const t0 = performance.now();
  const r = tsne(X, { seed: 1 });
  const ms = performance.now() - t0;
  console.log(`# t-SNE 50 points x 50-D, 1000 iterations: ${ms.toFixed(0)} ms, KL ${r.kl.toFixed(4)}`);
  assert.equal(r.coords.length, 50);
  assert.equal(r.perplexity, 16); // default for n = 50: min(30, floor(49 / 3))
  // Certificate of linear separability: the perpendicular bisector of the two cluster means.
  const mean = (k: number) => {
    const m = [0, 0];
    r.coords.forEach((y, i) => {
      if (labels[i] === k) {
        m[0]! += y[0]! / 25;
        m[1]! += y[1]! / 25;
      }
    });
    return m;
  };
  const mA = mean(0);
  const mB = mean(1);
  const w = [mB[0]! - mA[0]!, mB[1]! - mA[1]!];
  const mid = [(mA[0]! + mB[0]!) / 2, (mA[1]! + mB[1]!) / 2];
  const side = r.coords.map((y) => Math.sign(w[0]! * (y[0]! - mid[0]!) + w[1]! * (y[1]! - mid[1]!)));
  side.forEach((s, i) => assert.equal(s, labels[i] === 0 ? -1 : 1, `point ${i} on the wrong side`));
  // And the gap is large: between-cluster distance > 2x the largest within-cluster radius.
  const radius = Math.max(
    ...r.coords.map((y, i) => {
      const m = labels[i] === 0 ? mA : mB;
      return Math.hypot(y[0]! - m[0]!, y[1]! - m[1]!);
    }),
  );
  assert.ok(Math.hypot(w[0]!, w[1]!) > 2 * radius, `gap ${Math.hypot(w[0]!, w[1]!)} vs radius ${radius}`);
  // The optimiser lowered KL from the random start.
  const start = tsne(X, { seed: 1, iterations: 0 });
  assert.ok(r.kl > 0 && r.kl < start.kl / 2, `KL ${r.kl} vs start ${start.kl}`);
});

test('same seed gives identical output; another seed gives another layout', () => {
  const { X } = twoClusters('seed');
  const a = tsne(X, { seed: 7, iterations: 300 });
  const b = tsne(X, { seed: 7, iterations: 300 });
  assert.deepEqual(a.coords, b.coords);
  assert.equal(a.kl, b.kl);
  const c = tsne(X, { seed: 8, iterations: 300 });
  assert.notDeepEqual(a.coords, c.coords);
});

test('perplexity calibration hits the target to 1e-3 for every point', () => {
  const { X } = twoClusters('perp');
  const n = X.length;
  for (const scale of [1, 1e-3, 1e4]) {
    const D = squaredDistances(X.map((x) => x.map((v) => v * scale)));
    for (const target of [2, 5, 16, 30, 45]) {
      const cal = calibratePerplexity(D, n, target);
      for (let i = 0; i < n; i++) {
        let sum = 0;
        for (let j = 0; j < n; j++) sum += cal.P[i * n + j]!;
        assert.ok(Math.abs(sum - 1) < 1e-12, `row ${i} sums to ${sum}`);
        assert.equal(cal.P[i * n + i], 0);
        const perp = rowPerplexity(cal.P, n, i);
        assert.ok(Math.abs(perp - target) < 1e-3, `scale ${scale}, target ${target}, point ${i}: ${perp}`);
        assert.ok(Math.abs(cal.perplexity[i]! - perp) < 1e-9);
      }
    }
  }
  const r = tsne(X, { perplexity: 30, iterations: 0 });
  for (const p of r.achievedPerplexity) assert.ok(Math.abs(p - 30) < 1e-3);
});

test('joint P is symmetric and sums to 1', () => {
  const { X } = twoClusters('joint');
  const n = X.length;
  const { P } = jointProbabilities(X, 10);
  let s = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    s += P[i * n + j]!;
    assert.equal(P[i * n + j], P[j * n + i]);
  }
  assert.ok(Math.abs(s - 1) < 1e-12);
});

test('analytic gradient matches finite differences of the KL divergence', () => {
  const { X } = twoClusters('grad');
  const sub = X.filter((_, i) => i % 5 === 0); // 10 points
  const n = sub.length;
  const { P } = jointProbabilities(sub, 3);
  const { gauss } = rngs('grad-y');
  const Y = Float64Array.from({ length: n * 2 }, gauss);
  const grad = new Float64Array(n * 2);
  tsneGradient(P, 1, Y, n, 2, grad);
  for (let k = 0; k < Y.length; k++) {
    const h = 1e-6;
    const yp = Y.slice();
    const ym = Y.slice();
    yp[k]! += h;
    ym[k]! -= h;
    const num = (tsneKl(P, yp, n, 2) - tsneKl(P, ym, n, 2)) / (2 * h);
    assert.ok(Math.abs(num - grad[k]!) < 1e-6 * Math.max(1, Math.abs(num)), `coord ${k}: ${grad[k]} vs ${num}`);
  }
});

test('defaults follow NOTES.md; small n and bad perplexity handled', () => {
  assert.equal(defaultPerplexity(50), 16);
  assert.equal(defaultPerplexity(200), 30);
  assert.equal(defaultPerplexity(2), 1);
  const { X } = twoClusters('small');
  const r = tsne(X.slice(0, 10), { iterations: 10 });
  assert.deepEqual(
    { ...r.options },
    {
      dims: 2,
      iterations: 10,
      learningRate: 500,
      momentum: 0.5,
      finalMomentum: 0.8,
      momentumSwitchIter: 250,
      exaggeration: 4,
      exaggerationIters: 100,
      minGain: 0.01,
      seed: 0,
      initStd: 1e-4,
      tol: 1e-5,
    },
  );
  assert.equal(r.perplexity, 3);
  assert.equal(tsne(X, { learningRate: 'auto', iterations: 1 }).options.learningRate, 50);
  assert.deepEqual(tsne([X[0]!]).coords, [new Float64Array(2)]);
  assert.equal(tsne(X.slice(0, 2), { iterations: 50 }).coords.length, 2);
  assert.equal(tsne(X.slice(0, 8), { dims: 3, iterations: 20 }).coords[0]!.length, 3);
  assert.throws(() => tsne(X.slice(0, 10), { perplexity: 10 }), /outside \[1, n - 1\]/);
  assert.ok(Math.abs(dot(tsne(X, { iterations: 50 }).coords.map((y) => y[0]!), new Array(50).fill(1))) < 1e-9, 'not centred');
});

const HAS_NUMPY = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;

/** van der Maaten's x2p.m + tsne_p.m, transcribed line for line into numpy (no shift, 50 tries). */
const REFERENCE_PY = `
import json, sys, numpy as np
s = json.load(sys.stdin)
X = np.array(s['X']); Y = np.array(s['Y']); n = X.shape[0]
sum_X = (X**2).sum(1)
D = np.maximum(sum_X[:, None] + sum_X[None, :] - 2 * X @ X.T, 0)
def Hbeta(Di, beta):
    P = np.exp(-Di * beta); sumP = P.sum()
    return np.log(sumP) + beta * (Di * P).sum() / sumP, P / sumP
P = np.zeros((n, n)); beta = np.ones(n); logU = np.log(s['perplexity'])
for i in range(n):
    betamin, betamax = -np.inf, np.inf
    idx = np.r_[0:i, i+1:n]; Di = D[i, idx]
    H, thisP = Hbeta(Di, beta[i]); Hdiff = H - logU; tries = 0
    while abs(Hdiff) > 1e-5 and tries < 50:
        if Hdiff > 0:
            betamin = beta[i]; beta[i] = beta[i] * 2 if np.isinf(betamax) else (beta[i] + betamax) / 2
        else:
            betamax = beta[i]; beta[i] = beta[i] / 2 if np.isinf(betamin) else (beta[i] + betamin) / 2
        H, thisP = Hbeta(Di, beta[i]); Hdiff = H - logU; tries += 1
    P[i, idx] = thisP
P = P + P.T; P = P / P.sum(); P = np.maximum(P, np.finfo(float).tiny); P = P * 4
momentum, epsilon = 0.5, s['eta']
incs = np.zeros_like(Y); gains = np.ones_like(Y)
for it in range(1, s['iterations'] + 1):
    sum_Y = (Y**2).sum(1)
    num = 1 / (1 + (sum_Y[:, None] + (sum_Y[None, :] - 2 * Y @ Y.T))); np.fill_diagonal(num, 0)
    Q = np.maximum(num / num.sum(), np.finfo(float).tiny)
    L = (P - Q) * num
    grads = 4 * (np.diag(L.sum(0)) - L) @ Y
    gains = (gains + .2) * (np.sign(grads) != np.sign(incs)) + (gains * .8) * (np.sign(grads) == np.sign(incs))
    gains[gains < 0.01] = 0.01
    incs = momentum * incs - epsilon * (gains * grads)
    Y = Y + incs; Y = Y - Y.mean(0)
    if it == s['mom_switch']: momentum = 0.8
    if it == s['stop_lying']: P = P / 4
print(json.dumps(Y.tolist()))
`;

test('matches a numpy transcription of the reference MATLAB code step for step', { skip: HAS_NUMPY ? false : 'python3 with numpy not available: reference cross-check skipped' }, () => {
  const { X } = twoClusters('ref');
  const Y0 = tsne(X, { iterations: 0, seed: 5 }).coords; // the seeded initial solution
  // Default schedule (rate 500) for 10 iterations; and a gentle rate with early switches so that
  // both the exaggeration stop and the momentum switch happen while the runs still agree
  // (t-SNE is chaotic: rounding differences grow exponentially).
  const cases = [
    { eta: 500, mom_switch: 250, stop_lying: 100, iterations: 10, tol: 1e-6 },
    { eta: 20, mom_switch: 40, stop_lying: 20, iterations: 60, tol: 1e-8 },
  ];
  for (const c of cases) {
    const ours = tsne(X, {
      init: Y0,
      perplexity: 16,
      iterations: c.iterations,
      learningRate: c.eta,
      momentumSwitchIter: c.mom_switch,
      exaggerationIters: c.stop_lying,
    }).coords;
    const r = spawnSync('python3', ['-c', REFERENCE_PY], {
      input: JSON.stringify({ ...c, perplexity: 16, X: X.map((x) => [...x]), Y: Y0.map((y) => [...y]) }),
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    const ref = JSON.parse(r.stdout) as number[][];
    let diff = 0;
    let scale = 0;
    ours.forEach((y, i) =>
      y.forEach((v, k) => {
        diff = Math.max(diff, Math.abs(v - ref[i]![k]!));
        scale = Math.max(scale, Math.abs(ref[i]![k]!));
      }),
    );
    console.log(`# reference cross-check eta ${c.eta}, ${c.iterations} iterations: max |diff| ${diff.toExponential(2)}, scale ${scale.toFixed(3)}`);
    assert.ok(diff < c.tol * scale, `eta ${c.eta}: max |diff| ${diff} vs scale ${scale}`);
  }
});
