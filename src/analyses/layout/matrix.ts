/** Input forms shared by the layout modules (PCA, t-SNE, grid, k-means). */

/** Row-major dense matrix: element (i, j) is data[i * cols + j]. */
export interface DenseMatrix {
  data: ArrayLike<number>;
  rows: number;
  cols: number;
}

/** Either one array per point, or a row-major dense matrix. */
export type MatrixInput = readonly ArrayLike<number>[] | DenseMatrix;

function isDense(x: MatrixInput): x is DenseMatrix {
  return !Array.isArray(x) && typeof (x as DenseMatrix).rows === 'number';
}

/**
 * Copy the input into one Float64Array per row, checking that all rows have the same length
 * and that every value is finite. `who` prefixes error messages.
 */
export function toRows(input: MatrixInput, who: string): Float64Array[] {
  const out: Float64Array[] = [];
  if (isDense(input)) {
    const { rows: n, cols: d, data } = input;
    if (!Number.isInteger(n) || !Number.isInteger(d) || n < 0 || d < 0) throw new RangeError(`${who}: bad matrix size ${n}x${d}`);
    if (data.length !== n * d) throw new RangeError(`${who}: data has ${data.length} values, expected ${n}x${d}`);
    for (let i = 0; i < n; i++) {
      const row = new Float64Array(d);
      for (let j = 0; j < d; j++) row[j] = data[i * d + j]!;
      out.push(row);
    }
  } else {
    const rows = input as readonly ArrayLike<number>[];
    const d = rows.length > 0 ? rows[0]!.length : 0;
    rows.forEach((r, i) => {
      if (r.length !== d) throw new RangeError(`${who}: row ${i} has ${r.length} values, row 0 has ${d}`);
      out.push(Float64Array.from(r));
    });
  }
  out.forEach((r, i) =>
    r.forEach((v, j) => {
      if (!Number.isFinite(v)) throw new RangeError(`${who}: non-finite value ${v} at (${i}, ${j})`);
    }),
  );
  return out;
}
