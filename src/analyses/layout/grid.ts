/**
 * Snap a 2-D embedding onto a cols x rows grid, as the reference figure does (NOTES.md): the
 * embedding is scaled to the unit square, then the cells, taken in row-major order, each take
 * the nearest point not yet taken (greedy; not an optimal assignment, by design, to match the
 * reference). Hand-written: a dozen lines, no library does exactly this.
 *
 * Geometry: each axis is min-max scaled to [0, 1] independently (an axis with no spread maps to
 * 0.5); cell (col, row) sits at (col / (cols - 1), row / (rows - 1)), 0.5 for a single column
 * or row. So x grows with col, y with row (row 0 on top when drawn as an image), and points
 * that already lie on a full grid map to their own cells.
 * Ties (equal distances) go to the lower point index, so the result is deterministic.
 */
import { toRows, type MatrixInput } from './matrix.js';

export interface GridShape {
  cols: number;
  rows: number;
}

export interface GridLayout extends GridShape {
  /** Column of each point. */
  col: Int32Array;
  /** Row of each point. */
  row: Int32Array;
  /** Point in each cell, index row * cols + col; -1 for an empty cell. */
  pointAt: Int32Array;
}

/**
 * Default grid for n points, cols >= rows: the most square exact factorisation n = cols x rows
 * whose aspect cols / rows is at most 2 (50 -> 10 x 5, the reference figure; 100 -> 10 x 10;
 * 30 -> 6 x 5), otherwise rows = floor(sqrt(n)), cols = ceil(n / rows) (47 -> 8 x 6).
 */
export function defaultGridShape(n: number): GridShape {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`grid: bad point count ${n}`);
  if (n === 0) return { cols: 0, rows: 0 };
  for (let r = Math.floor(Math.sqrt(n)); r >= 1; r--) {
    if (n % r === 0) {
      if (n / r / r <= 2) return { cols: n / r, rows: r };
      break;
    }
  }
  const rows = Math.floor(Math.sqrt(n));
  return { cols: Math.ceil(n / rows), rows };
}

function unitScale(values: Float64Array): Float64Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const span = hi - lo;
  return values.map((v) => (span > 0 ? (v - lo) / span : 0.5));
}

/** Place each 2-D point (first two coordinates used) in its own grid cell. */
export function snapToGrid(points: MatrixInput, shape: Partial<GridShape> = {}): GridLayout {
  const P = toRows(points, 'grid');
  const n = P.length;
  if (n > 0 && P[0]!.length < 2) throw new RangeError(`grid: points need 2 coordinates, got ${P[0]!.length}`);
  const def = defaultGridShape(n);
  // Only one of cols / rows given: the other is the smallest that holds all points.
  const cols = shape.cols ?? (shape.rows !== undefined && shape.rows > 0 ? Math.ceil(n / shape.rows) : def.cols);
  const rows = shape.rows ?? (shape.cols !== undefined && shape.cols > 0 ? Math.ceil(n / shape.cols) : def.rows);
  if (!Number.isInteger(cols) || !Number.isInteger(rows) || cols < 0 || rows < 0 || cols * rows < n) {
    throw new RangeError(`grid: ${cols} x ${rows} grid cannot hold ${n} points`);
  }
  const xs = unitScale(Float64Array.from(P, (p) => p[0]!));
  const ys = unitScale(Float64Array.from(P, (p) => p[1]!));

  const col = new Int32Array(n).fill(-1);
  const row = new Int32Array(n).fill(-1);
  const pointAt = new Int32Array(cols * rows).fill(-1);
  const used = new Uint8Array(n);
  let placed = 0;
  for (let r = 0; r < rows && placed < n; r++) {
    const gy = rows > 1 ? r / (rows - 1) : 0.5;
    for (let c = 0; c < cols && placed < n; c++) {
      const gx = cols > 1 ? c / (cols - 1) : 0.5;
      let best = -1;
      let bestD = Infinity;
      for (let i = 0; i < n; i++) {
        if (used[i]) continue;
        const dx = xs[i]! - gx;
        const dy = ys[i]! - gy;
        const d = dx * dx + dy * dy;
        if (d < bestD) {
          bestD = d;
          best = i;
        }
      }
      used[best] = 1;
      col[best] = c;
      row[best] = r;
      pointAt[r * cols + c] = best;
      placed++;
    }
  }
  return { cols, rows, col, row, pointAt };
}
