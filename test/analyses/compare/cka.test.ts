import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CkaAccumulator, linearCkaGram, linearCkaGramDebiased } from '../../../src/analyses/compare/cka.js';
import { poolReducer, reducerFor, sketchReducer } from '../../../src/analyses/compare/reduce.js';
import { subsamplePairs } from '../../../src/analyses/compare/compare.js';
import { OrtGemm } from '../../../src/analyses/compare/gemm.js';
import type { FeatureMatrix } from '../../../src/analyses/metrics/matrix.js';
import { mulberry32 } from '../../../src/core/random.js';
import type { Dataset } from '../../../src/data/dataset.js';

/** Standard normal draws (Box-Muller) from a seeded stream. */
function gauss(rng: () => number): number {
  const u = Math.max(1e-12, rng());
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

function randomMatrix(rows: number, cols: number, seed: number, opts: { mean?: number; relu?: boolean } = {}): FeatureMatrix {
  const rng = mulberry32(seed);
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < data.length; i++) {
    const v = gauss(rng) + (opts.mean ?? 0);
    data[i] = opts.relu ? Math.max(0, v) : v;
  }
  return { data, rows, cols };
}

/** X (n x d) times M (d x k), float32 out. */
function matmul(x: FeatureMatrix, m: Float64Array, k: number): FeatureMatrix {
  const out = new Float32Array(x.rows * k);
  for (let r = 0; r < x.rows; r++) {
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let i = 0; i < x.cols; i++) s += x.data[r * x.cols + i]! * m[i * k + j]!;
      out[r * k + j] = s;
    }
  }
  return { data: out, rows: x.rows, cols: k };
}

/** A random d x d orthogonal matrix (Gram-Schmidt on Gaussian columns). */
function orthogonal(d: number, seed: number): Float64Array {
  const rng = mulberry32(seed);
  const cols: Float64Array[] = [];
  for (let c = 0; c < d; c++) {
    const v = Float64Array.from({ length: d }, () => gauss(rng));
    for (const u of cols) {
      let dot = 0;
      for (let i = 0; i < d; i++) dot += v[i]! * u[i]!;
      for (let i = 0; i < d; i++) v[i] -= dot * u[i]!;
    }
    const n = Math.hypot(...v);
    for (let i = 0; i < d; i++) v[i] /= n;
    cols.push(v);
  }
  const q = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) q[i * d + j] = cols[j]![i]!;
  return q;
}

/** CKA of X and Y through the accumulator, in batches of `batch` rows. */
function streamed(x: FeatureMatrix, y: FeatureMatrix, batch: number): number {
  const acc = new CkaAccumulator([x.cols, y.cols], [{ p: 0, q: 1 }]);
  for (let s = 0; s < x.rows; s += batch) {
    const e = Math.min(x.rows, s + batch);
    acc.add([x.data.slice(s * x.cols, e * x.cols), y.data.slice(s * y.cols, e * y.cols)], e - s);
  }
  assert.equal(acc.n, x.rows);
  return acc.cka(0, 1);
}

test('CKA(X, X) = 1, streamed and direct', () => {
  const x = randomMatrix(40, 12, 1, { mean: 2, relu: true });
  assert.ok(Math.abs(linearCkaGram(x, x) - 1) < 1e-12);
  assert.ok(Math.abs(streamed(x, x, 7) - 1) < 1e-12);
});

test('CKA is invariant to an orthogonal rotation and to isotropic scaling of X', () => {
  const x = randomMatrix(50, 8, 2);
  const z = randomMatrix(50, 6, 3);
  // Z depends on X, so CKA(X, Z) is not trivially 0 or 1.
  for (let r = 0; r < 50; r++) for (let j = 0; j < 6; j++) z.data[r * 6 + j] += 2 * x.data[r * 8 + j]!;
  const base = linearCkaGram(x, z);
  assert.ok(base > 0.2 && base < 0.95, `base CKA ${base}`);
  const rotated = matmul(x, orthogonal(8, 4), 8);
  assert.ok(Math.abs(linearCkaGram(rotated, z) - base) < 1e-6, 'rotation, direct');
  assert.ok(Math.abs(streamed(rotated, z, 9) - base) < 1e-6, 'rotation, streamed');
  assert.ok(Math.abs(linearCkaGram(rotated, x) - 1) < 1e-6, 'CKA(XQ, X) = 1');
  const scaled = { ...x, data: x.data.map((v) => v * 3.7) };
  assert.ok(Math.abs(linearCkaGram(scaled, z) - base) < 1e-6, 'scaling, direct');
  assert.ok(Math.abs(streamed(scaled, z, 11) - base) < 1e-6, 'scaling, streamed');
  // Not invariant to a non-isotropic scaling (a property check that can fail).
  const stretched = { ...x, data: x.data.map((v, i) => (i % 8 === 0 ? v * 20 : v)) };
  assert.ok(Math.abs(linearCkaGram(stretched, z) - base) > 1e-3, 'anisotropic scaling changes CKA');
});

test('CKA of independent random features is near 0', () => {
  const x = randomMatrix(800, 10, 5);
  const y = randomMatrix(800, 10, 6);
  const v = streamed(x, y, 64);
  // E[CKA] for independent Gaussians is about d / n = 0.0125.
  assert.ok(v < 0.05, `CKA ${v}`);
  assert.ok(v >= 0);
});

test('streamed CKA equals the direct n x n centred-Gram computation to 1e-6', () => {
  // Uncentred, sparse (ReLU) features with large means: the case where centring matters.
  const x = randomMatrix(73, 37, 7, { mean: 5, relu: true });
  const y = randomMatrix(73, 23, 8, { mean: -1, relu: true });
  for (let r = 0; r < 73; r++) for (let j = 0; j < 23; j++) y.data[r * 23 + j] += 0.5 * x.data[r * 37 + j]!;
  const direct = linearCkaGram(x, y);
  for (const batch of [1, 5, 73]) {
    const s = streamed(x, y, batch);
    assert.ok(Math.abs(s - direct) < 1e-6, `batch ${batch}: streamed ${s} vs direct ${direct}`);
  }
  // Several slots at once (self mode: every pair of three layers).
  const w = randomMatrix(73, 5, 9, { mean: 1 });
  const mats = [x, y, w];
  const acc = new CkaAccumulator(mats.map((m) => m.cols), [{ p: 0, q: 1 }, { p: 0, q: 2 }, { p: 1, q: 2 }]);
  for (let s = 0; s < 73; s += 10) {
    const e = Math.min(73, s + 10);
    acc.add(mats.map((m) => m.data.slice(s * m.cols, e * m.cols)), e - s);
  }
  for (const [p, q] of [[0, 1], [0, 2], [1, 2], [2, 1]] as const) {
    assert.ok(Math.abs(acc.cka(p, q) - linearCkaGram(mats[p]!, mats[q]!)) < 1e-6, `slots ${p}, ${q}`);
  }
  assert.throws(() => new CkaAccumulator([3, 4], []).cka(0, 1), /not accumulated/);
});

test('a constant layer has no CKA (NaN), not a fake number', () => {
  const x = randomMatrix(10, 3, 10);
  const c = { data: new Float32Array(20).fill(2), rows: 10, cols: 2 };
  assert.ok(Number.isNaN(linearCkaGram(x, c)));
  assert.ok(Number.isNaN(streamed(x, c, 4)));
});

test('reducers: pooling averages bins; the sketch is seeded and keeps CKA close to the exact value', () => {
  // 1 channel, 4 x 4 -> 2 x 2 mean pooling.
  const pool = poolReducer([1, 4, 4], 2);
  const img = Float32Array.from({ length: 16 }, (_, i) => i);
  assert.deepEqual([...pool.apply(img, 1)], [2.5, 4.5, 10.5, 12.5]);
  // 3 x 3 -> 2 x 2 adaptive bins overlap in the middle row/column: [0, 2), [1, 3).
  const p3 = poolReducer([1, 3, 3], 2);
  assert.deepEqual([...p3.apply(Float32Array.from({ length: 9 }, (_, i) => i), 1)], [2, 3, 5, 6]);
  // Deterministic for a seed, different across seeds.
  const a = sketchReducer(500, 64, 's1').apply(randomMatrix(1, 500, 11).data, 1);
  assert.deepEqual(sketchReducer(500, 64, 's1').apply(randomMatrix(1, 500, 11).data, 1), a);
  assert.notDeepEqual(sketchReducer(500, 64, 's2').apply(randomMatrix(1, 500, 11).data, 1), a);
  // A low-rank layer (as conv maps are, effectively): sketched CKA stays close to the exact one.
  const n = 120, d = 3000, r = 6;
  const latent = randomMatrix(n, r, 12);
  const mix = randomMatrix(r, d, 13);
  const x = matmul(latent, Float64Array.from(mix.data), d);
  const y = matmul(latent, Float64Array.from(randomMatrix(r, 40, 14).data), 40);
  const noise = randomMatrix(n, 40, 15);
  for (let i = 0; i < y.data.length; i++) y.data[i] += 3 * noise.data[i]!;
  const exact = linearCkaGram(x, y);
  const layer = { name: 'l', tensor: 'l', kind: 'conv' as const, shape: [d] };
  const red = reducerFor(layer, { method: 'sketch', maxDims: 256, seed: 'facelens', model: 'm' });
  assert.equal(red.outDims, 256);
  const approx = linearCkaGram({ data: red.apply(x.data, n), rows: n, cols: 256 }, y);
  assert.ok(Math.abs(approx - exact) < 0.05, `sketch ${approx} vs exact ${exact}`);
  assert.equal(reducerFor({ ...layer, shape: [100] }, { method: 'sketch', maxDims: 256, seed: 'x', model: 'm' }).outDims, 100, 'small layers untouched');
  const pooled = reducerFor({ ...layer, shape: [64, 16, 16] }, { method: 'pool', maxDims: 1024, seed: 'x', model: 'm' });
  assert.equal(pooled.outDims, 64 * 4 * 4);
});

test('subsamplePairs keeps pairs evenly over folds and classes, and only their images', () => {
  const pairs = Array.from({ length: 40 }, (_, i) => ({ a: `p${i}a`, b: `p${i}b`, same: i % 20 < 10, fold: i < 20 ? 0 : 1 }));
  const ds: Dataset = { kind: 'lfw', root: '/x', items: pairs.flatMap((p) => [p.a, p.b]).sort().map((id) => ({ id, path: `/x/${id}` })), pairs };
  const sub = subsamplePairs(ds, 8);
  assert.equal(sub.pairs!.length, 8);
  for (const f of [0, 1]) for (const s of [true, false]) assert.equal(sub.pairs!.filter((p) => p.fold === f && p.same === s).length, 2);
  assert.equal(sub.items.length, 16);
  assert.equal(subsamplePairs(ds, 100), ds);
});

test('the ONNX Runtime float64 Gemm path accumulates the same cross products as the JS loop', async () => {
  const x = randomMatrix(50, 31, 21, { mean: 3, relu: true });
  const y = randomMatrix(50, 17, 22, { mean: -2 });
  const js = new CkaAccumulator([31, 17], [{ p: 0, q: 1 }]);
  const viaOrt = new CkaAccumulator([31, 17], [{ p: 0, q: 1 }]);
  const gemm = await OrtGemm.create(1);
  try {
    // X^T Y against a direct sum.
    const c = await gemm.xty(Float64Array.from(x.data.subarray(0, 3 * 31)), 31, Float64Array.from(y.data.subarray(0, 3 * 17)), 17, 3);
    let direct = 0;
    for (let r = 0; r < 3; r++) direct += x.data[r * 31 + 4]! * y.data[r * 17 + 9]!;
    assert.ok(Math.abs(c[4 * 17 + 9]! - direct) < 1e-9);
    for (let s = 0; s < 50; s += 16) {
      const e = Math.min(50, s + 16);
      const slots = [x.data.slice(s * 31, e * 31), y.data.slice(s * 17, e * 17)];
      js.add(slots, e - s);
      await viaOrt.addWith((a, da, b, db, rows) => gemm.xty(a, da, b, db, rows), slots, e - s);
    }
  } finally {
    await gemm.release();
  }
  for (const [p, q] of [[0, 1], [0, 0], [1, 1]] as const) {
    assert.ok(Math.abs(viaOrt.hsic(p, q) - js.hsic(p, q)) <= 1e-9 * js.hsic(p, q), `hsic ${p}, ${q}`);
  }
  assert.ok(Math.abs(viaOrt.cka(0, 1) - linearCkaGram(x, y)) < 1e-6);
});

test('debiased CKA (unbiased HSIC): streamed equals direct; near 0 for independent features where biased CKA is not', () => {
  const x = randomMatrix(40, 30, 31, { mean: 2, relu: true });
  const y = randomMatrix(40, 20, 32, { mean: 1 });
  for (let r = 0; r < 40; r++) for (let j = 0; j < 20; j++) y.data[r * 20 + j] += x.data[r * 30 + j]!;
  const acc = new CkaAccumulator([30, 20], [{ p: 0, q: 1 }]);
  for (let s = 0; s < 40; s += 7) {
    const e = Math.min(40, s + 7);
    acc.add([x.data.slice(s * 30, e * 30), y.data.slice(s * 20, e * 20)], e - s);
  }
  const direct = linearCkaGramDebiased(x, y);
  assert.ok(Math.abs(acc.ckaDebiased(0, 1) - direct) < 1e-6, `streamed ${acc.ckaDebiased(0, 1)} vs direct ${direct}`);
  assert.ok(Math.abs(acc.ckaDebiased(0, 0) - 1) < 1e-9);
  // Few samples, many dimensions: biased CKA of independent features is far from 0, debiased is not.
  const a = randomMatrix(30, 200, 33), b = randomMatrix(30, 200, 34);
  const biased = linearCkaGram(a, b), debiased = linearCkaGramDebiased(a, b);
  assert.ok(biased > 0.5, `biased ${biased}`);
  assert.ok(Math.abs(debiased) < 0.1, `debiased ${debiased}`);
});
