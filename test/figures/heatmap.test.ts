import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { heatmapPng, rampColour } from '../../src/figures/heatmap.ts';

test('ramp runs from dark purple (0) to yellow (1) and clamps outside', () => {
  assert.deepEqual(rampColour(0), [68, 1, 84]);
  assert.deepEqual(rampColour(1), [253, 231, 37]);
  assert.deepEqual(rampColour(-3), rampColour(0));
  assert.deepEqual(rampColour(7), rampColour(1));
});

test('heatmap cells show M[order[r], order[c]] at row r, column c', async () => {
  const n = 4;
  const M = new Float64Array(n * n).map((_, k) => k / (n * n - 1));
  const order = [2, 0, 3, 1];
  const cell = 10;
  const png = await heatmapPng(M, n, { order, cell });
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  // The matrix starts at (left 10, top 30): sample each cell's centre.
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      const x = 10 + c * cell + 5;
      const y = 30 + r * cell + 5;
      const p = (y * info.width + x) * info.channels;
      assert.deepEqual([data[p], data[p + 1], data[p + 2]], rampColour(M[order[r] * n + order[c]]), `cell ${r},${c}`);
    }
  }
});
