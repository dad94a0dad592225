/**
 * Analytic receptive fields of every spatial tensor of an ONNX graph, by walking it in
 * topological order (Araujo et al. 2019, "Computing receptive fields of CNNs"):
 *   conv/pool with kernel k, stride s, begin-pad p on a map with (size, stride, offset):
 *   size' = size + (k - 1) * stride,  offset' = offset + ((k - 1) / 2 - p) * stride,  stride' = stride * s.
 * Merges (Add, Concat, Sum, Max) take the union of the inputs' boxes. Element-wise ops and
 * channel-only Pads pass through. Tensors after a global pool or a flatten get no field.
 * No library computes this for ONNX graphs in JS, hence the hand-written walk.
 */
import type { ReceptiveField } from './face-model.js';
import { ARITHMETIC_OPS, UNARY_ELEMENTWISE_OPS } from '../engine/onnx/op-kinds.js';
import { attrInts, decodeModel, resolvePads, tensorValues, type NodeProto } from '../engine/onnx/proto.js';

const POINTWISE = new Set([...UNARY_ELEMENTWISE_OPS, ...ARITHMETIC_OPS]);
const MERGES = new Set(['Add', 'Sum', 'Max', 'Min', 'Concat']);
const WINDOWED = new Set(['Conv', 'MaxPool', 'AveragePool', 'ConvTranspose']);

function merge(fields: ReceptiveField[]): ReceptiveField {
  const stride = fields[0].stride;
  if (fields.some((f) => Math.abs(f.stride - stride) > 1e-9)) {
    throw new Error(`receptive field: merging maps of different strides (${fields.map((f) => f.stride)})`);
  }
  const lo = Math.min(...fields.map((f) => f.offset - (f.size - 1) / 2));
  const hi = Math.max(...fields.map((f) => f.offset + (f.size - 1) / 2));
  return { size: hi - lo + 1, stride, offset: (lo + hi) / 2 };
}

function windowed(node: NodeProto, f: ReceptiveField, kernelFromWeight?: number[]): ReceptiveField {
  const k = (attrInts(node, 'kernel_shape') ?? kernelFromWeight ?? [1, 1])[0];
  const s = (attrInts(node, 'strides') ?? [1, 1])[0];
  const d = (attrInts(node, 'dilations') ?? [1, 1])[0];
  const keff = (k - 1) * d + 1;
  // SAME pads depend on the input size, unknown here: resolved for an input that is a multiple of the stride.
  const p = resolvePads(node, undefined, [keff], [s])[0] ?? 0;
  return {
    size: f.size + (keff - 1) * f.stride,
    offset: f.offset + ((keff - 1) / 2 - p) * f.stride,
    stride: f.stride * s,
  };
}

/** Receptive field of every spatial tensor reachable from `input`, keyed by tensor name. */
export function receptiveFields(onnxBytes: Uint8Array, input: string): Map<string, ReceptiveField> {
  const graph = decodeModel(onnxBytes).graph!;
  const weightDims = new Map<string, number[]>();
  for (const t of graph.initializer ?? []) weightDims.set(t.name!, (t.dims ?? []).map(Number));
  const consts = new Map<string, number[]>();
  for (const t of graph.initializer ?? []) {
    if ((t.dims ?? []).length <= 1 && t.dataType === 7) consts.set(t.name!, Array.from(tensorValues(t)));
  }
  const rf = new Map<string, ReceptiveField>([[input, { size: 1, stride: 1, offset: 0 }]]);
  for (const node of graph.node ?? []) {
    const ins = (node.input ?? []).map((n) => rf.get(n)).filter((f): f is ReceptiveField => f !== undefined);
    if (ins.length === 0) continue;
    const op = node.opType ?? '';
    let out: ReceptiveField | undefined;
    if (WINDOWED.has(op)) {
      const w = weightDims.get(node.input![1] ?? '');
      out = windowed(node, ins[0], w && w.length === 4 ? [w[2], w[3]] : undefined);
    } else if (MERGES.has(op)) {
      out = merge(ins);
    } else if (POINTWISE.has(op)) {
      out = ins[0];
    } else if (op === 'Pad') {
      // Pads only at the end of H/W (or on channels) keep the map's origin.
      const pads = consts.get(node.input?.[1] ?? '') ?? attrInts(node, 'pads') ?? [];
      const rank = pads.length / 2;
      const beginSpatial = rank === 4 ? [pads[2], pads[3]] : [0, 0];
      out = { ...ins[0], offset: ins[0].offset - beginSpatial[0] * ins[0].stride };
    }
    if (out) for (const o of node.output ?? []) rf.set(o, out);
  }
  rf.delete(input);
  return rf;
}
