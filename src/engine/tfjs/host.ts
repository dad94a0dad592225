/**
 * Shape arithmetic on host values (plain numbers): the Shape -> Gather -> Unsqueeze -> Concat ->
 * Reshape chains that exporters emit are evaluated here, never on tensors.
 */
import { normAxis, sizeOf, type HostData } from './layout.js';

function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let k = shape.length - 1; k >= 0; k--) {
    s[k] = acc;
    acc *= shape[k];
  }
  return s;
}

/** Calls f(flatIndex, coords) for every element of a row-major shape. */
function forEachIndex(shape: readonly number[], f: (flat: number, coords: number[]) => void): void {
  const n = sizeOf(shape);
  const coords = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    f(i, coords);
    for (let k = shape.length - 1; k >= 0; k--) {
      coords[k]++;
      if (coords[k] < shape[k]) break;
      coords[k] = 0;
    }
  }
}

export function hostTranspose(h: HostData, perm: readonly number[]): HostData {
  const shape = perm.map((p) => h.shape[p]);
  const st = strides(h.shape);
  const data = new Array<number>(h.data.length);
  forEachIndex(shape, (i, c) => {
    let off = 0;
    for (let k = 0; k < c.length; k++) off += c[k] * st[perm[k]];
    data[i] = h.data[off];
  });
  return { data, shape, dtype: h.dtype };
}

export function hostGather(h: HostData, indices: HostData, axis: number): HostData {
  const a = normAxis(axis, h.shape.length);
  const dim = h.shape[a];
  const outer = sizeOf(h.shape.slice(0, a));
  const inner = sizeOf(h.shape.slice(a + 1));
  const idx = indices.data.map((i) => (i < 0 ? i + dim : i));
  for (const i of idx) if (i < 0 || i >= dim) throw new Error(`Gather: index out of range for dim ${dim}`);
  const data: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const i of idx) {
      const base = (o * dim + i) * inner;
      for (let k = 0; k < inner; k++) data.push(h.data[base + k]);
    }
  }
  return { data, shape: [...h.shape.slice(0, a), ...indices.shape, ...h.shape.slice(a + 1)], dtype: h.dtype };
}

export function hostConcat(parts: HostData[], axis: number): HostData {
  const rank = parts[0].shape.length;
  const a = normAxis(axis, rank);
  const outer = sizeOf(parts[0].shape.slice(0, a));
  const data: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const p of parts) {
      const chunk = sizeOf(p.shape.slice(a));
      for (let k = 0; k < chunk; k++) data.push(p.data[o * chunk + k]);
    }
  }
  const shape = [...parts[0].shape];
  shape[a] = parts.reduce((s, p) => s + p.shape[a], 0);
  const dtype = parts.every((p) => p.dtype === 'int32') ? 'int32' : 'float32';
  return { data, shape, dtype };
}

/** Slice with per-axis [start, end) and step (already normalised and clamped). */
export function hostSlice(h: HostData, starts: number[], ends: number[], steps: number[]): HostData {
  const shape = h.shape.map((_, k) => Math.max(0, Math.ceil((ends[k] - starts[k]) / steps[k])));
  const st = strides(h.shape);
  const data = new Array<number>(sizeOf(shape));
  forEachIndex(shape, (i, c) => {
    let off = 0;
    for (let k = 0; k < c.length; k++) off += (starts[k] + c[k] * steps[k]) * st[k];
    data[i] = h.data[off];
  });
  return { data, shape, dtype: h.dtype };
}

/**
 * ONNX Slice semantics for one axis: clamps start/end (negative = from the end) for a dimension
 * of size dim and a step of either sign; returns the normalised [start, end).
 */
export function sliceBounds(start: number, end: number, step: number, dim: number): [number, number] {
  const norm = (v: number) => (v < 0 ? v + dim : v);
  let s = norm(start);
  let e = norm(end);
  if (step > 0) {
    s = Math.min(Math.max(s, 0), dim);
    e = Math.min(Math.max(e, 0), dim);
  } else {
    s = Math.min(Math.max(s, -1), dim - 1);
    e = Math.min(Math.max(e, -1), dim - 1);
  }
  return [s, e];
}

/** ONNX Reshape target: 0 copies the input dim (unless allowzero), -1 is inferred. */
export function reshapeTarget(inShape: readonly number[], spec: readonly number[], allowZero: boolean): number[] {
  const out = spec.map((d, k) => (d === 0 && !allowZero ? inShape[k] : d));
  const minus = out.indexOf(-1);
  if (minus >= 0) {
    const known = out.reduce((p, d, k) => (k === minus ? p : p * d), 1);
    out[minus] = known === 0 ? 0 : sizeOf(inShape) / known;
  }
  if (sizeOf(out) !== sizeOf(inShape) || out.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`Reshape: cannot reshape [${inShape}] to [${spec}]`);
  }
  return out;
}
