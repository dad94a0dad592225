/** The explorer's sweep statistics: per-neuron mean / variance / max / selectivity and the value histogram. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { histogram, neuronStats } from '../../src/web/sweep-api.ts';

test('neuronStats: per column of a rows x channels table', () => {
  // 4 images x 2 neurons: neuron 0 = 1, 2, 3, 10; neuron 1 constant 5
  const v = Float32Array.from([1, 5, 2, 5, 3, 5, 10, 5]);
  const [a, b] = neuronStats(v, 4, 2);
  assert.equal(a!.max, 10);
  assert.equal(a!.mean, 4);
  assert.ok(Math.abs(a!.variance - (9 + 4 + 1 + 36) / 4) < 1e-9);
  assert.ok(Math.abs(a!.selectivity - 6 / 14) < 1e-9);
  assert.equal(b!.variance, 0);
  assert.equal(b!.selectivity, 0);
});

test('histogram: equal bins over [min, max], every value counted once, max in the last bin', () => {
  const h = histogram([0, 0.1, 0.5, 0.99, 1], 4);
  assert.deepEqual(h, { lo: 0, hi: 1, counts: [2, 0, 1, 2] });
  assert.deepEqual(histogram([3, 3], 5).counts, [2, 0, 0, 0, 0]);
});
