import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gramMatrix } from '../../../src/analyses/metrics/gram.js';
import { crossValidateK, distanceMatrix, distanceMatrixFast, nestedKnnAccuracy, subDistanceMatrix } from '../../../src/analyses/metrics/knn.js';
import { pairwiseRowSums } from '../../../src/analyses/metrics/matrix.js';
import { randomMatrix, rng } from './helpers.js';

test('gramMatrix (blocked ONNX Runtime float64 GEMM) equals the JS pairwise dot products, odd sizes and blocks', async () => {
  for (const [n, d, block] of [[1, 3, 512], [7, 5, 3], [33, 1030, 8], [20, 0, 4]] as const) {
    const x = randomMatrix(n, d, rng(`g${n}`));
    const g = await gramMatrix(x, block);
    const ref = pairwiseRowSums(x, 'dot');
    for (let i = 0; i < ref.length; i++) assert.ok(Math.abs(g[i]! - ref[i]!) <= 1e-12 * (1 + Math.abs(ref[i]!)), `n=${n} d=${d} [${i}] ${g[i]} vs ${ref[i]}`);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) assert.equal(g[i * n + j], g[j * n + i]);
  }
});

test('distanceMatrixFast: same distances, hence the same k-NN results; sub-matrices match the subset', async () => {
  const x = randomMatrix(60, 40, rng('knnfast'));
  // a zero row exercises the zero-vector rule
  x.data.fill(0, 5 * 40, 6 * 40);
  const y = Array.from({ length: 60 }, (_, i) => (i * 7) % 3 === 0 ? 1 : 0);
  const slow = distanceMatrix(x, 'cosine');
  const fast = await distanceMatrixFast(x, 'cosine');
  for (let i = 0; i < slow.length; i++) assert.ok(Math.abs(fast[i]! - slow[i]!) < 1e-12);
  assert.deepEqual(crossValidateK(x, y, [1, 3, 5], 5, 's', 'cosine', fast), crossValidateK(x, y, [1, 3, 5], 5, 's', 'cosine'));
  assert.deepEqual(nestedKnnAccuracy(x, y, [1, 3], { seed: 's', distances: fast }), nestedKnnAccuracy(x, y, [1, 3], { seed: 's' }));
  const idx = [2, 5, 9, 40];
  const sub = subDistanceMatrix(slow, 60, idx);
  const rows = { data: new Float32Array(idx.flatMap((i) => Array.from(x.data.subarray(i * 40, i * 40 + 40)))), rows: 4, cols: 40 };
  assert.deepEqual(Array.from(sub), Array.from(distanceMatrix(rows, 'cosine')));
  assert.throws(() => crossValidateK(x, y, [1], 5, 's', 'cosine', new Float64Array(3)), /distances/);
});
