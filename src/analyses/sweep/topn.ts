/** Top-n images of neurons, from a sweep table (paper: the top-50 samples of a neuron). */
import { topN } from '../metrics/similarity.js';
import type { SweepItem } from '../../results/sweep.js';
import type { SweepLayerTable } from './read.js';

export interface TopSample {
  row: number;
  id: string;
  value: number;
  /** Flat argmax cell (spatial layers). */
  cell?: number;
}

/**
 * The n highest projection values of each requested neuron, highest first; equal values are
 * ordered by row, and rows are in image-id order, so ties go to the smaller image id.
 */
export function topSamples(table: SweepLayerTable, items: SweepItem[], neurons: number[], n = 50): Map<number, TopSample[]> {
  const k = Math.min(n, table.rows);
  const all = topN(table.values, table.rows, table.channels, k);
  const out = new Map<number, TopSample[]>();
  for (const j of neurons) {
    if (j < 0 || j >= table.channels) throw new RangeError(`neuron ${j} out of range 0..${table.channels - 1}`);
    const rows = all.subarray(j * k, (j + 1) * k);
    out.set(
      j,
      Array.from(rows, (r) => ({
        row: r,
        id: items[r].id,
        value: table.values[r * table.channels + j],
        ...(table.argmax ? { cell: table.argmax[r * table.channels + j] } : {}),
      })),
    );
  }
  return out;
}
