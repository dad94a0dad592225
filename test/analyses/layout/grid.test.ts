import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultGridShape, snapToGrid, type GridLayout } from '../../../src/analyses/layout/grid.js';
import { rngs } from './helpers.js';

function checkLayout(g: GridLayout, n: number): void {
  assert.equal(g.pointAt.length, g.cols * g.rows);
  const seen = new Set<number>();
  g.pointAt.forEach((p, cell) => {
    if (p === -1) return;
    assert.ok(!seen.has(p), `point ${p} in two cells`);
    seen.add(p);
    assert.equal(g.row[p]! * g.cols + g.col[p]!, cell, `point ${p}: col/row disagree with pointAt`);
  });
  assert.equal(seen.size, n, 'not every point placed');
  for (let i = 0; i < n; i++) {
    assert.ok(g.col[i]! >= 0 && g.col[i]! < g.cols && g.row[i]! >= 0 && g.row[i]! < g.rows, `point ${i} off the grid`);
  }
}

test('default shapes: near-square, cols >= rows, 50 -> 10 x 5 as the reference figure', () => {
  const cases: [number, number, number][] = [
    [50, 10, 5],
    [100, 10, 10],
    [30, 6, 5],
    [47, 8, 6],
    [12, 4, 3],
    [10, 4, 3],
    [3, 3, 1],
    [2, 2, 1],
    [1, 1, 1],
    [0, 0, 0],
  ];
  for (const [n, cols, rows] of cases) assert.deepEqual(defaultGridShape(n), { cols, rows }, `n=${n}`);
  for (let n = 1; n <= 400; n++) {
    const { cols, rows } = defaultGridShape(n);
    assert.ok(cols >= rows && cols * rows >= n && cols * (rows - 1) < n, `n=${n}: ${cols}x${rows}`);
  }
});

test('every point placed, each cell used at most once', () => {
  const { gauss } = rngs('grid');
  for (const n of [50, 47, 13, 1, 2, 100]) {
    const pts = Array.from({ length: n }, () => [gauss() * 30, gauss() * 5 + 100]);
    const g = snapToGrid(pts);
    assert.deepEqual({ cols: g.cols, rows: g.rows }, defaultGridShape(n));
    checkLayout(g, n);
  }
  // Explicit shapes, with spare cells.
  const pts = Array.from({ length: 20 }, () => [gauss(), gauss()]);
  checkLayout(snapToGrid(pts, { cols: 7, rows: 4 }), 20);
  const onlyCols = snapToGrid(pts, { cols: 6 });
  assert.deepEqual([onlyCols.cols, onlyCols.rows], [6, 4]);
  checkLayout(onlyCols, 20);
  assert.throws(() => snapToGrid(pts, { cols: 4, rows: 4 }), /cannot hold 20 points/);
  // Duplicates and a degenerate axis still place everything.
  const dup = snapToGrid(Array.from({ length: 9 }, () => [1, 1]));
  checkLayout(dup, 9);
  assert.deepEqual([...dup.pointAt], [0, 1, 2, 3, 4, 5, 6, 7, 8], 'ties must go to the lower point index');
  checkLayout(snapToGrid(Array.from({ length: 8 }, (_, i) => [i, 0])), 8);
});

test('points already on the grid map to their own cells (any affine scale, any order)', () => {
  const { uniform } = rngs('ongrid');
  for (const [cols, rows, n] of [
    [10, 5, 50],
    [8, 6, 47],
    [4, 4, 13],
    [7, 1, 7],
  ] as const) {
    const cells = Array.from({ length: n }, (_, k) => k); // row-major, the last cells empty
    const order = cells.map((k) => [uniform(), k] as const).sort((a, b) => a[0] - b[0]).map(([, k]) => k);
    const pts = order.map((k) => [-3 + 0.7 * (k % cols), 10 + 2.5 * Math.floor(k / cols)]);
    const g = snapToGrid(pts, { cols, rows });
    order.forEach((k, i) => {
      assert.equal(g.col[i], k % cols, `point ${i} (cell ${k}) col`);
      assert.equal(g.row[i], Math.floor(k / cols), `point ${i} (cell ${k}) row`);
    });
    for (let k = n; k < cols * rows; k++) assert.equal(g.pointAt[k], -1);
  }
});

test('greedy row-major: earlier cells take their nearest point first', () => {
  // 3 x 1 grid, cells at x = 0, 0.5, 1; scaled x of the points: 0.45, 1, 0.
  const g = snapToGrid([[0.45, 0], [1, 0], [0, 0]], { cols: 3, rows: 1 });
  assert.deepEqual([...g.pointAt], [2, 0, 1]);
  // 2 x 2 grid; y has no spread, so every point sits at y = 0.5, equidistant from both rows.
  // Cell (0,0) at (0,0) takes x = 0 (point 2), cell (1,0) at (1,0) takes x = 1 (point 3),
  // cell (0,1) at (0,1) takes the nearer of x = 0.55 / 0.6 (point 1), cell (1,1) gets point 0:
  // the greedy order, not an optimal assignment, decides.
  const h = snapToGrid([[0.6, 0], [0.55, 0], [0, 0], [1, 0]], { cols: 2, rows: 2 });
  assert.deepEqual([...h.pointAt], [2, 3, 1, 0]);
});
