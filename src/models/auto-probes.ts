/**
 * Probe candidates of an arbitrary ONNX model, for `--model file.onnx`:
 *  - tensor shapes from a dry run on ONNX Runtime (batch 1, zero input) with every node output
 *    made a graph output;
 *  - the "main path" (main-path.ts): tensors that every route from the input to the outputs goes
 *    through; branches (residual shortcuts, squeeze-excite) are not on it;
 *  - automatic probes: on the main path, the last tensor of each spatial resolution, plus the
 *    model's first graph output.
 */
import ort from 'onnxruntime-node';
import { decodeModel, encodeModel, TensorDataType, type GraphProto } from '../engine/onnx/proto.js';
import type { ProbeKind, ProbeLayer, ReceptiveField } from './face-model.js';
import { mainPathNodes } from './main-path.js';
import { receptiveFields } from './receptive-field.js';

export interface TensorInfo {
  /** Per-image dims (batch removed). */
  shape: number[];
  type: string;
  /** Op type of the node that makes it. */
  op: string;
}

/** Shapes and types of every node output, from one zero-input run at batch 1. */
export async function dryRunShapes(onnxBytes: Uint8Array, inputName: string, inputDims: number[]): Promise<Map<string, TensorInfo>> {
  const model = decodeModel(onnxBytes);
  const graph = model.graph!;
  const outputs = new Set((graph.output ?? []).map((o) => o.name!));
  const producer = new Map<string, string>();
  for (const n of graph.node ?? []) {
    for (const o of n.output ?? []) {
      if (!o) continue;
      producer.set(o, n.opType ?? '');
      if (!outputs.has(o)) {
        graph.output!.push({ name: o });
        outputs.add(o);
      }
    }
  }
  const session = await ort.InferenceSession.create(encodeModel(model), {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'disabled',
    intraOpNumThreads: 1,
  });
  try {
    const n = inputDims.reduce((a, b) => a * b, 1);
    const result = await session.run({ [inputName]: new ort.Tensor('float32', new Float32Array(n), inputDims) });
    const info = new Map<string, TensorInfo>();
    for (const [name, t] of Object.entries(result)) {
      info.set(name, { shape: t.dims.map(Number).slice(1), type: t.type, op: producer.get(name) ?? '' });
    }
    return info;
  } finally {
    await session.release();
  }
}

/**
 * Tensors computed from `input`, in node order, that lie on the main path (main-path.ts): of a
 * main-path node, its one output read later (or its first output when none is); a node whose
 * outputs are read by two routes is not a single-tensor cut and gives none.
 */
export function mainPathTensors(graph: GraphProto, input: string): string[] {
  const nodes = (graph.node ?? []).map((n) => ({ inputs: n.input ?? [], outputs: n.output ?? [] }));
  return mainPathNodes(nodes, input)
    .filter((m) => m.live.length <= 1)
    .map((m) => m.live[0] ?? m.made[0]);
}

export interface ProbeCandidate extends ProbeLayer {
  /** Chosen by automatic discovery. */
  picked: boolean;
}

function kindOf(t: TensorInfo, isOutput: boolean): ProbeKind {
  if (t.shape.length === 3) return t.op === 'MaxPool' || t.op === 'AveragePool' ? 'pool' : 'conv';
  return isOutput ? 'embedding' : 'fc';
}

const isSpatial = (t: TensorInfo) => t.type === 'float32' && t.shape.length === 3 && t.shape[1] * t.shape[2] > 1;

/** A probe for one tensor; `rf` from the model's receptive fields. */
export function probeFor(name: string, tensor: string, t: TensorInfo, isOutput: boolean, rf: Map<string, ReceptiveField>): ProbeLayer {
  const f = t.shape.length === 3 ? rf.get(tensor) : undefined;
  return {
    name,
    tensor,
    kind: kindOf(t, isOutput),
    shape: t.shape,
    ...(f ? { rf: f } : {}),
    note: `${t.op} output${t.shape.length === 3 && !f ? ' (receptive field unknown: an op on the way is not handled)' : ''}`,
  };
}

const resolutionName = (s: number[]) => (s[1] === s[2] ? `map${s[1]}` : `map${s[1]}x${s[2]}`);

/**
 * Every main-path tensor with a spatial (C, H, W) shape and every graph output, in graph order;
 * `picked` marks the automatic probes (named mapH / mapHxW, and `output`).
 */
export function probeCandidates(onnxBytes: Uint8Array, input: string, shapes: Map<string, TensorInfo>): ProbeCandidate[] {
  const graph = decodeModel(onnxBytes).graph!;
  const rf = receptiveFields(onnxBytes, input);
  const graphOutputs = (graph.output ?? []).map((o) => o.name!).filter((n) => shapes.has(n));
  const spatial = mainPathTensors(graph, input).filter((t) => shapes.has(t) && isSpatial(shapes.get(t)!) && !graphOutputs.includes(t));
  const lastOfResolution = new Map<string, string>();
  for (const t of spatial) lastOfResolution.set(resolutionName(shapes.get(t)!.shape), t);
  const picked = new Set(lastOfResolution.values());
  const out: ProbeCandidate[] = spatial.map((t) => {
    const info = shapes.get(t)!;
    const chosen = picked.has(t);
    return { ...probeFor(chosen ? resolutionName(info.shape) : t, t, info, false, rf), picked: chosen };
  });
  graphOutputs.forEach((t, i) => {
    out.push({ ...probeFor(i === 0 ? 'output' : `output${i + 1}`, t, shapes.get(t)!, true, rf), picked: i === 0 });
  });
  return out;
}

/** The model with each probe tensor declared as a graph output (with its shape). */
export function withProbeOutputs(onnxBytes: Uint8Array, probes: ProbeLayer[]): Uint8Array {
  const model = decodeModel(onnxBytes);
  const graph = model.graph!;
  const have = new Set((graph.output ?? []).map((o) => o.name));
  for (const p of probes) {
    if (have.has(p.tensor)) continue;
    have.add(p.tensor);
    graph.output!.push({
      name: p.tensor,
      type: { tensorType: { elemType: TensorDataType.FLOAT, shape: { dim: [{ dimParam: 'N' }, ...p.shape.map((d) => ({ dimValue: d }))] } } },
    });
  }
  return encodeModel(model);
}
