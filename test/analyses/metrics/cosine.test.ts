import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cosineDistance, cosineSimilarity, cosineSimilarityMatrix, l2NormalizeRows, pairCosine, rowwiseCosine,
} from '../../../src/analyses/metrics/cosine.js';
import { matrixFromRows, pairwiseRowSums } from '../../../src/analyses/metrics/matrix.js';
import { close, randomMatrix, rng } from './helpers.js';

test('cosine distance of a feature with itself is 0', () => {
  const m = randomMatrix(1, 4096, rng('self'));
  close(cosineDistance(m.data, m.data), 0, 1e-12);
  const scaled = m.data.map((v) => v * 3.5);
  close(cosineDistance(m.data, scaled), 0, 1e-7, 'scale invariance');
});

test('orthogonal -> 1, opposite -> 2, known angle', () => {
  assert.equal(cosineDistance([1, 0, 0], [0, 2, 0]), 1);
  assert.equal(cosineDistance([1, 2, 3], [-1, -2, -3]), 2);
  close(cosineSimilarity([1, 0], [1, 1]), Math.SQRT1_2, 1e-15);
});

test('zero-vector rule: both zero -> similarity 1, one zero -> 0', () => {
  assert.equal(cosineSimilarity([0, 0], [0, 0]), 1);
  assert.equal(cosineDistance([0, 0], [0, 0]), 0);
  assert.equal(cosineSimilarity([0, 0], [1, 2]), 0);
  assert.equal(cosineDistance([3, 0], [0, 0]), 1);
  assert.throws(() => cosineSimilarity([1], [1, 2]));
});

test('batched forms agree with the scalar function', () => {
  const r = rng('batch');
  const a = randomMatrix(7, 33, r);
  const b = randomMatrix(7, 33, r);
  b.data.fill(0, 3 * 33, 4 * 33); // a zero row
  const rw = rowwiseCosine(a, b);
  const all = cosineSimilarityMatrix(a, b);
  const self = cosineSimilarityMatrix(a, a);
  for (let i = 0; i < 7; i++) {
    const ai = a.data.subarray(i * 33, (i + 1) * 33);
    close(rw[i]!, cosineSimilarity(ai, b.data.subarray(i * 33, (i + 1) * 33)), 1e-12);
    for (let j = 0; j < 7; j++) {
      close(all[i * 7 + j]!, cosineSimilarity(ai, b.data.subarray(j * 33, (j + 1) * 33)), 1e-12);
      close(self[i * 7 + j]!, cosineSimilarity(ai, a.data.subarray(j * 33, (j + 1) * 33)), 1e-12);
    }
  }
  assert.equal(rw[3], 0);
  const pc = pairCosine(a, [0, 2, 6], [1, 2, 0]);
  close(pc[0]!, self[1]!, 1e-15);
  close(pc[1]!, 1, 1e-12);
  close(pc[2]!, self[6 * 7]!, 1e-15);
});

test('l2NormalizeRows gives unit rows; zero rows stay zero', () => {
  const m = matrixFromRows([[3, 4], [0, 0], [1, 1]]);
  const n = l2NormalizeRows(m);
  assert.deepEqual(Array.from(n.data.subarray(0, 2)), [Math.fround(0.6), Math.fround(0.8)]);
  assert.deepEqual(Array.from(n.data.subarray(2, 4)), [0, 0]);
  close(Math.hypot(n.data[4]!, n.data[5]!), 1, 1e-7);
  assert.equal(m.data[0], 3, 'input untouched');
});

test('pairwiseRowSums (blocked Gram / squared distances) equals naive loops, odd sizes', () => {
  const r = rng('gram');
  for (const [n, d] of [[1, 5], [2, 3], [7, 1030], [13, 2049], [6, 4]] as const) {
    const x = randomMatrix(n, d, r);
    const g = pairwiseRowSums(x, 'dot');
    const q = pairwiseRowSums(x, 'sqdist');
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let dot = 0, sq = 0;
        for (let c = 0; c < d; c++) {
          const u = x.data[i * d + c]!, v = x.data[j * d + c]!;
          dot += u * v;
          sq += (u - v) ** 2;
        }
        close(g[i * n + j]!, dot, 1e-9 * d, `dot ${n}x${d} (${i},${j})`);
        close(q[i * n + j]!, sq, 1e-9 * d, `sqdist ${n}x${d} (${i},${j})`);
      }
      assert.equal(q[i * n + i], 0);
    }
  }
});
