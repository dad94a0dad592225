import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pca } from '../../../src/analyses/layout/pca.js';
import { dist, dot, rngs, unit } from './helpers.js';

/** Planted structure: x = 3a u + b v + 0.05 noise in 10-D, u and v orthonormal. */
function planted(n: number, seed: string) {
  const { gauss } = rngs(seed);
  const d = 10;
  const u = unit(d, gauss);
  let v = unit(d, gauss);
  const uv = dot(u, v);
  v = v.map((x, i) => x - uv * u[i]!);
  const nv = Math.sqrt(dot(v, v));
  v = v.map((x) => x / nv);
  const offset = Float64Array.from({ length: d }, () => 5 * gauss());
  const X = Array.from({ length: n }, () => {
    const a = 3 * gauss();
    const b = gauss();
    return Float64Array.from({ length: d }, (_, j) => offset[j]! + a * u[j]! + b * v[j]! + 0.05 * gauss());
  });
  return { X, u, v, d };
}

/** Independent reference: covariance + power iteration with deflation. */
function powerPca(X: Float64Array[], k: number): { vecs: Float64Array[]; vals: number[] } {
  const n = X.length;
  const d = X[0]!.length;
  const mean = new Float64Array(d);
  for (const x of X) for (let j = 0; j < d; j++) mean[j] = mean[j]! + x[j]! / n;
  const C = Array.from({ length: d }, () => new Float64Array(d));
  for (const x of X) for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) C[a]![b] = C[a]![b]! + ((x[a]! - mean[a]!) * (x[b]! - mean[b]!)) / (n - 1);
  const vecs: Float64Array[] = [];
  const vals: number[] = [];
  for (let c = 0; c < k; c++) {
    let v = Float64Array.from({ length: d }, (_, j) => 1 + j * 0.01);
    let lambda = 0;
    for (let it = 0; it < 5000; it++) {
      const w = Float64Array.from({ length: d }, (_, a) => dot(C[a]!, v));
      lambda = Math.sqrt(dot(w, w));
      v = w.map((x) => x / lambda);
    }
    vecs.push(v);
    vals.push(lambda);
    for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) C[a]![b] = C[a]![b]! - lambda * v[a]! * v[b]!;
  }
  return { vecs, vals };
}

test('recovers a planted 2-D structure: variance order, orthonormal axes, the planted directions', () => {
  const { X, u, v } = planted(300, 'planted');
  const r = pca(X, 5);
  assert.equal(r.dims, 5);
  assert.equal(r.coords.length, 300);
  assert.equal(r.coords[0]!.length, 5);
  for (let c = 1; c < 5; c++) assert.ok(r.variances[c - 1]! >= r.variances[c]!, 'variances not descending');
  assert.ok(Math.abs(r.variances[0]! / 9 - 1) < 0.2, `var0 ${r.variances[0]}`);
  assert.ok(Math.abs(r.variances[1]! - 1) < 0.2, `var1 ${r.variances[1]}`);
  assert.ok(r.variances[2]! < 0.01, `var2 ${r.variances[2]}`);
  assert.ok(r.varianceRatio[0]! + r.varianceRatio[1]! > 0.99);
  for (let a = 0; a < 5; a++) {
    for (let b = 0; b < 5; b++) {
      assert.ok(Math.abs(dot(r.components[a]!, r.components[b]!) - (a === b ? 1 : 0)) < 1e-10, `axes ${a},${b}`);
    }
  }
  assert.ok(Math.abs(dot(r.components[0]!, u)) > 0.999);
  assert.ok(Math.abs(dot(r.components[1]!, v)) > 0.999);
  // Projected coordinates are uncorrelated, with the stated variances.
  for (let a = 0; a < 3; a++) {
    for (let b = 0; b < 3; b++) {
      let s = 0;
      for (const row of r.coords) s += row[a]! * row[b]!;
      s /= 299;
      assert.ok(Math.abs(s - (a === b ? r.variances[a]! : 0)) < 1e-8 * r.variances[0]!, `cov ${a},${b} = ${s}`);
    }
  }
});

test('matches covariance power iteration up to sign', () => {
  const { X } = planted(120, 'power');
  const ref = powerPca(X, 3);
  const r = pca(X, 3);
  for (let c = 0; c < 3; c++) {
    assert.ok(Math.abs(Math.abs(dot(ref.vecs[c]!, r.components[c]!)) - 1) < 1e-8, `component ${c}`);
    assert.ok(Math.abs(r.variances[c]! / ref.vals[c]! - 1) < 1e-8, `variance ${c}: ${r.variances[c]} vs ${ref.vals[c]}`);
    const sign = Math.sign(dot(ref.vecs[c]!, r.components[c]!));
    X.forEach((x, i) => {
      const proj = dot(
        x.map((v, j) => v - r.mean[j]!),
        ref.vecs[c]!,
      );
      assert.ok(Math.abs(sign * proj - r.coords[i]![c]!) < 1e-8, `coord ${i},${c}`);
    });
  }
});

test('sign convention: largest-magnitude loading positive, independent of row order', () => {
  const { X } = planted(80, 'sign');
  const r = pca(X, 4);
  for (const axis of r.components) {
    let best = 0;
    for (let j = 1; j < axis.length; j++) if (Math.abs(axis[j]!) > Math.abs(axis[best]!)) best = j;
    assert.ok(axis[best]! > 0);
  }
  const perm = X.map((_, i) => (i * 37) % 80);
  const rp = pca(
    perm.map((i) => X[i]!),
    4,
  );
  perm.forEach((i, k) => {
    for (let c = 0; c < 4; c++) assert.ok(Math.abs(rp.coords[k]![c]! - r.coords[i]![c]!) < 1e-9, `row ${i} comp ${c}`);
  });
  // Negating the data negates the coordinates (the axes keep their sign).
  const rn = pca(
    X.map((x) => x.map((v) => -v)),
    4,
  );
  X.forEach((_, i) => {
    for (let c = 0; c < 4; c++) assert.ok(Math.abs(rn.coords[i]![c]! + r.coords[i]![c]!) < 1e-9);
  });
});

test('dims = min(dims, n - 1, cols); n - 1 dims preserve all pairwise distances (wide input)', () => {
  const { gauss } = rngs('wide');
  const n = 12;
  const d = 600;
  const X = Array.from({ length: n }, () => Float64Array.from({ length: d }, gauss));
  const r = pca(X, 50);
  assert.equal(r.dims, n - 1);
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) assert.ok(Math.abs(dist(r.coords[i]!, r.coords[j]!) - dist(X[i]!, X[j]!)) < 1e-8);
  assert.equal(pca(X.map((x) => x.subarray(0, 3)), 50).dims, 3);
  assert.equal(pca([X[0]!], 50).dims, 0);
  assert.deepEqual(pca([X[0]!], 50).coords, [new Float64Array(0)]);
});

test('accepts a dense row-major matrix (e.g. Float32Array) with the same result', () => {
  const { X } = planted(40, 'dense');
  const data = new Float32Array(40 * 10);
  X.forEach((x, i) => x.forEach((v, j) => (data[i * 10 + j] = v)));
  const a = pca({ data, rows: 40, cols: 10 }, 2);
  const b = pca(
    X.map((x) => Float64Array.from(x, (v) => Math.fround(v))),
    2,
  );
  assert.deepEqual(a.coords, b.coords);
  assert.throws(() => pca({ data, rows: 41, cols: 10 }, 2), /expected 41x10/);
  assert.throws(() => pca([new Float64Array([1, NaN]), new Float64Array([0, 0])], 1), /non-finite/);
  assert.throws(() => pca([new Float64Array(2), new Float64Array(3)], 1), /row 1 has 3 values/);
});

test('Gram route (wide input) and SVD route give the same result, sign included', () => {
  const { gauss } = rngs('routes');
  for (const [n, d] of [
    [30, 200],
    [40, 12],
  ] as const) {
    // Planted decaying spectrum so that the leading components are well separated.
    const X = Array.from({ length: n }, () => Float64Array.from({ length: d }, (_, j) => gauss() * (j < 6 ? 8 - j : 0.3) + j));
    const auto = pca(X, 8);
    assert.equal(auto.method, d > n ? 'gram' : 'svd');
    const g = pca(X, 8, { method: 'gram' });
    const s = pca(X, 8, { method: 'svd' });
    for (let c = 0; c < 8; c++) {
      assert.ok(Math.abs(g.variances[c]! / s.variances[c]! - 1) < 1e-9, `n=${n} variance ${c}`);
      assert.ok(Math.abs(g.varianceRatio[c]! - s.varianceRatio[c]!) < 1e-9);
      for (let j = 0; j < d; j++) assert.ok(Math.abs(g.components[c]![j]! - s.components[c]![j]!) < 1e-7, `n=${n} axis ${c}[${j}]`);
      for (let i = 0; i < n; i++) assert.ok(Math.abs(g.coords[i]![c]! - s.coords[i]![c]!) < 1e-6, `n=${n} coord ${i},${c}`);
    }
  }
});

test('wide input matches covariance power iteration up to sign', () => {
  const { gauss } = rngs('wide-power');
  const n = 25;
  const d = 80;
  const X = Array.from({ length: n }, () => Float64Array.from({ length: d }, (_, j) => gauss() * (j < 4 ? 6 - j : 0.5)));
  const ref = powerPca(X, 3);
  const r = pca(X, 3);
  assert.equal(r.method, 'gram');
  for (let c = 0; c < 3; c++) {
    assert.ok(Math.abs(Math.abs(dot(ref.vecs[c]!, r.components[c]!)) - 1) < 1e-8, `component ${c}`);
    assert.ok(Math.abs(r.variances[c]! / ref.vals[c]! - 1) < 1e-8, `variance ${c}`);
  }
});

test('rank-deficient wide input: extra components carry ~0 variance, distances preserved', () => {
  const { gauss } = rngs('rank');
  const u = unit(50, gauss);
  const v = unit(50, gauss);
  const X = Array.from({ length: 10 }, (_, i) => {
    const a = gauss();
    const b = gauss();
    return i === 9 ? null : Float64Array.from({ length: 50 }, (_, j) => a * u[j]! + b * v[j]! + 1);
  });
  X[9] = X[3]!.slice(); // a duplicate row
  const rows = X as Float64Array[];
  for (const method of ['gram', 'svd'] as const) {
    const r = pca(rows, 9, { method });
    assert.equal(r.dims, 9);
    for (let c = 2; c < 9; c++) {
      assert.ok(r.variances[c]! < 1e-12, `${method}: variance ${c} = ${r.variances[c]}`);
      for (const y of r.coords) assert.ok(Math.abs(y[c]!) < 1e-6, `${method}: coord on null axis ${c} = ${y[c]}`);
    }
    for (let i = 0; i < 10; i++) for (let j = 0; j < i; j++) assert.ok(Math.abs(dist(r.coords[i]!, r.coords[j]!) - dist(rows[i]!, rows[j]!)) < 1e-9);
    for (let a = 0; a < 9; a++) {
      for (let b = 0; b < 9; b++) {
        assert.ok(Math.abs(dot(r.components[a]!, r.components[b]!) - (a === b ? 1 : 0)) < 1e-9, `${method}: axes ${a},${b}`);
      }
    }
  }
});
