/** `--neurons` specs: `0-15`, `1,5,9`, `0-3,7`, `all`, `top-variance:16`. */
import { UserError } from '../../core/errors.js';

export type NeuronSpec = number[] | string;

/** Variance over rows of each channel of a [rows x channels] table (divisor rows). */
export function channelVariances(values: Float32Array, rows: number, channels: number): Float64Array {
  const mean = new Float64Array(channels);
  const out = new Float64Array(channels);
  for (let r = 0; r < rows; r++) for (let c = 0; c < channels; c++) mean[c] += values[r * channels + c];
  for (let c = 0; c < channels; c++) mean[c] /= Math.max(1, rows);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < channels; c++) {
      const d = values[r * channels + c] - mean[c];
      out[c] += d * d;
    }
  for (let c = 0; c < channels; c++) out[c] /= Math.max(1, rows);
  return out;
}

/** The K channels of highest variance, highest first (ties: lower index first). */
export function topVariance(values: Float32Array, rows: number, channels: number, k: number): number[] {
  const v = channelVariances(values, rows, channels);
  return Array.from({ length: channels }, (_, i) => i)
    .sort((a, b) => v[b] - v[a] || a - b)
    .slice(0, Math.min(k, channels));
}

/**
 * Resolves a neuron spec against a layer of `channels` neurons. `values` ([rows x channels]) is
 * only needed for `top-variance:K`. Lists keep the user's order; duplicates are dropped.
 */
export function resolveNeurons(spec: NeuronSpec, channels: number, table?: { values: Float32Array; rows: number }): number[] {
  const check = (j: number, what: string): number => {
    if (!Number.isInteger(j) || j < 0 || j >= channels) throw new UserError(`--neurons: ${what} is outside 0..${channels - 1} (the layer has ${channels} neurons)`);
    return j;
  };
  if (Array.isArray(spec)) return [...new Set(spec.map((j) => check(j, String(j))))];
  const s = spec.trim();
  if (s === 'all') return Array.from({ length: channels }, (_, i) => i);
  const tv = /^top-variance:(\d+)$/.exec(s);
  if (tv) {
    const k = Number(tv[1]);
    if (k < 1) throw new UserError(`--neurons ${s}: K must be at least 1`);
    if (!table) throw new Error('resolveNeurons: top-variance needs the sweep values');
    return topVariance(table.values, table.rows, channels, k);
  }
  const out: number[] = [];
  for (const part of s.split(',').map((p) => p.trim())) {
    const range = /^(\d+)\s*-\s*(\d+)$/.exec(part);
    if (range) {
      const a = check(Number(range[1]), range[1]);
      const b = check(Number(range[2]), range[2]);
      if (b < a) throw new UserError(`--neurons: range ${part} is backwards`);
      for (let j = a; j <= b; j++) out.push(j);
    } else if (/^\d+$/.test(part)) {
      out.push(check(Number(part), part));
    } else {
      throw new UserError(`--neurons: cannot read "${part}"; use e.g. 0-15, 1,5,9, all or top-variance:16`);
    }
  }
  return [...new Set(out)];
}
