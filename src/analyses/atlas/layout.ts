/**
 * t-SNE layout of a neuron's top-n samples (paper Fig. 3; NOTES.md).
 *
 * Feature per sample: the window of the layer's INPUT that feeds the neuron at its argmax,
 * flattened. "The layer's input" is defined on the ONNX graph, for any model:
 *   - start from the probe tensor's immediate dominator: the last tensor that every path from
 *     the graph input to the probe passes through;
 *   - while the probe is only a chain of single-input element-wise / reshaping ops (Relu,
 *     BatchNormalization, Flatten, ...) of that tensor, go one dominator further up.
 * For a VGG pool layer this is the (rectified) conv map under the pool, the reference's choice
 * (pool5 <- conv5_3). For a dlib-resnet stage output relu(conv(relu(conv(x))) + x), the
 * dominator is x, the input of the stage's LAST residual block (both branches start there), e.g.
 * for res64 the 64 x 17 x 17 output of the block before. The window is the block of cells of
 * that map the neuron's cell sees: the probe's receptive field measured in that map's cells
 * (receptive-field.ts run from that tensor): 5 x 5 cells for a residual block of two 3x3
 * convs, 2 x 2 for a 2x2/2 pool; `margin` extra cells each side (the reference used a one-cell
 * margin on its 2 x 2 pool5 window, i.e. 4 x 4 x 512); cells outside the map count as 0 (the
 * convolutions' zero padding). Vector probes (gap, embedding) use the whole input tensor.
 *
 * Then PCA to min(50, n - 1) dims (pca.ts), exact seeded t-SNE with perplexity
 * min(30, floor((n - 1) / 3)) and the reference schedule (tsne.ts), and a greedy snap to a grid
 * (grid.ts). Tiles are twice as wide as tall, so the grid is the transpose of grid.ts'
 * default: 50 -> 5 columns x 10 rows, as in the reference figure.
 */
import { ARITHMETIC_OPS, UNARY_ELEMENTWISE_OPS } from '../../engine/onnx/op-kinds.js';
import { decodeModel, type NodeProto } from '../../engine/onnx/proto.js';
import type { FaceModel, ProbeLayer, ReceptiveField } from '../../models/face-model.js';
import { receptiveFields } from '../../models/receptive-field.js';
import { defaultGridShape, snapToGrid, type GridShape } from '../layout/grid.js';
import { pca } from '../layout/pca.js';
import { defaultPerplexity, tsne } from '../layout/tsne.js';

/** Ops that keep the probe "the same layer" as their single data input (element-wise or reshaping). */
const TRANSPARENT = new Set([...UNARY_ELEMENTWISE_OPS, ...ARITHMETIC_OPS, 'Add', 'Flatten', 'Reshape', 'Squeeze', 'Unsqueeze']);

export interface LayoutInput {
  /** ONNX tensor whose window is the t-SNE feature (the graph input when nothing better exists). */
  tensor: string;
  /** The probe's receptive field in cells of `tensor` (absent: the whole tensor is used). */
  rf?: ReceptiveField;
  /** Cells added on each side of the window. */
  margin: number;
  /** Plain-words description for summary.json. */
  note: string;
}

/** The layout input tensor of a probe layer (see module comment). */
export function layoutInput(model: FaceModel, probe: ProbeLayer, margin = 0): LayoutInput {
  const graph = decodeModel(model.onnx).graph!;
  const nodes = graph.node ?? [];
  const inits = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
  const producer = new Map<string, { node: NodeProto; index: number }>();
  nodes.forEach((node, index) => (node.output ?? []).forEach((o) => o && producer.set(o, { node, index })));
  const input = model.inputName;

  // Tensors that depend on the input (data, as opposed to weights and constants).
  const fromInput = new Set([input]);
  for (const n of nodes) if ((n.input ?? []).some((i) => fromInput.has(i))) for (const o of n.output ?? []) if (o) fromInput.add(o);
  const dataInputs = (t: string): string[] => {
    const p = producer.get(t);
    return p ? (p.node.input ?? []).filter((i) => i && !inits.has(i) && fromInput.has(i)) : [];
  };
  if (!fromInput.has(probe.tensor)) throw new Error(`layoutInput: ${probe.tensor} does not depend on the input ${input}`);

  // Ancestors of the probe (data tensors), and dominance by removal: t dominates the probe if
  // the probe cannot be reached from the input without passing through t.
  const ancestors = new Set<string>();
  const stack = [probe.tensor];
  while (stack.length) {
    const t = stack.pop()!;
    for (const i of dataInputs(t)) if (!ancestors.has(i)) (ancestors.add(i), stack.push(i));
  }
  const reachesWithout = (target: string, banned: string): boolean => {
    // Walk backwards from target towards the input avoiding `banned`.
    const seen = new Set<string>([target]);
    const st = [target];
    while (st.length) {
      const t = st.pop()!;
      if (t === input) return true;
      for (const i of dataInputs(t)) if (i !== banned && !seen.has(i)) (seen.add(i), st.push(i));
    }
    return false;
  };
  const pos = (t: string): number => (t === input ? -1 : producer.get(t)!.index);
  const idom = (target: string): string => {
    let best = input;
    for (const t of ancestors) {
      if (t === input || t === target || pos(t) >= pos(target) || pos(t) <= pos(best)) continue;
      if (!reachesWithout(target, t)) best = t;
    }
    return best;
  };
  /** True when `target` = a chain of transparent single-data-input ops applied to `from`. */
  const transparentChain = (from: string, target: string): boolean => {
    let t = target;
    while (t !== from) {
      const p = producer.get(t);
      const ins = dataInputs(t);
      if (!p || ins.length !== 1 || !TRANSPARENT.has(p.node.opType ?? '')) return false;
      t = ins[0];
    }
    return true;
  };
  let d = idom(probe.tensor);
  while (d !== input && transparentChain(d, probe.tensor)) d = idom(d);

  const rf = probe.shape.length === 3 ? receptiveFields(model.onnx, d).get(probe.tensor) : undefined;
  const op = (t: string) => (t === input ? 'graph input' : `output of ${producer.get(t)!.node.opType} node ${producer.get(t)!.node.name ?? ''}`);
  const window = rf ? `the ${rf.size + 2 * margin} x ${rf.size + 2 * margin}-cell window (probe RF in its cells: size ${rf.size}, stride ${rf.stride}, offset ${rf.offset}; margin ${margin}) centred under the argmax cell, zero outside the map` : 'the whole tensor';
  return {
    tensor: d,
    ...(rf ? { rf } : {}),
    margin,
    note: `t-SNE feature = ${window} of tensor "${d}" (${op(d)}): the probe's immediate dominator in the ONNX graph, skipping element-wise/reshape chains (for a residual stage, the input of its last block)`,
  };
}

/**
 * The window of a [C, H, W] map (or a whole vector) that feeds the probe cell (row, col);
 * cells outside the map are 0.
 */
export function windowOf(values: Float32Array, shape: number[], li: LayoutInput, cell: { row: number; col: number }): { values: Float32Array; shape: number[] } {
  if (!li.rf || shape.length !== 3) return { values: values.slice(), shape: [...shape] };
  const [C, H, W] = shape;
  const { size, stride, offset } = li.rf;
  const r = (size - 1) / 2 + li.margin;
  const y0 = Math.floor(offset + cell.row * stride - r + 1e-6);
  const x0 = Math.floor(offset + cell.col * stride - r + 1e-6);
  const y1 = Math.ceil(offset + cell.row * stride + r - 1e-6);
  const x1 = Math.ceil(offset + cell.col * stride + r - 1e-6);
  const h = y1 - y0 + 1;
  const w = x1 - x0 + 1;
  const out = new Float32Array(C * h * w);
  for (let c = 0; c < C; c++)
    for (let y = 0; y < h; y++) {
      const sy = y0 + y;
      if (sy < 0 || sy >= H) continue;
      for (let x = 0; x < w; x++) {
        const sx = x0 + x;
        if (sx < 0 || sx >= W) continue;
        out[(c * h + y) * w + x] = values[(c * H + sy) * W + sx];
      }
    }
  return { values: out, shape: [C, h, w] };
}

/** The atlas grid for n wide (2:1) tiles: grid.ts' default transposed (50 -> 5 cols x 10 rows). */
export function atlasGridShape(n: number): GridShape {
  const d = defaultGridShape(n);
  return { cols: d.rows, rows: d.cols };
}

export interface SampleLayout {
  pcaDims: number;
  perplexity: number;
  kl: number;
  iterations: number;
  learningRate: number;
  seed: number;
  /** t-SNE coordinates per sample. */
  coords: [number, number][];
  grid: { cols: number; rows: number; col: number[]; row: number[] };
}

/** PCA -> t-SNE -> grid for the samples' windows. */
export function layoutSamples(windows: Float32Array[], opts: { seed?: number; grid?: GridShape } = {}): SampleLayout {
  const n = windows.length;
  const seed = opts.seed ?? 0;
  const shape = opts.grid ?? atlasGridShape(n);
  const p = pca(windows, 50);
  const perplexity = defaultPerplexity(n);
  const t = n >= 2 && p.dims > 0 ? tsne(p.coords, { perplexity, seed }) : undefined;
  // Fewer than 2 samples, or all windows identical: no layout to compute; rank order.
  const coords: [number, number][] = t ? t.coords.map((c) => [c[0], c[1]]) : windows.map((_, i) => [i % shape.cols, Math.floor(i / shape.cols)]);
  const g = snapToGrid(coords, shape);
  return {
    pcaDims: p.dims,
    perplexity,
    kl: t && Number.isFinite(t.kl) ? t.kl : 0,
    iterations: t?.options.iterations ?? 0,
    learningRate: t?.options.learningRate ?? 0,
    seed,
    coords,
    grid: { cols: g.cols, rows: g.rows, col: Array.from(g.col), row: Array.from(g.row) },
  };
}
