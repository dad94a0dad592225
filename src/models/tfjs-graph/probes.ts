/**
 * Probe layers of a converted TF.js graph: picked by TF node name, or automatically = the last
 * node of each spatial resolution on the main path (nodes every input -> output path goes
 * through, i.e. not inside a residual branch) plus the graph's final outputs.
 */
import { UserError } from '../../core/errors.js';
import type { ProbeKind } from '../face-model.js';
import type { ConvertedGraph } from './convert.js';
import type { TensorValue } from './context.js';
import { mainPathNodes } from '../main-path.js';

export interface ProbeChoice {
  name: string;
  /** TF node name. */
  node: string;
  value: TensorValue;
  kind: ProbeKind;
}

/** The input node, then the nodes on every path from it to the outputs (main-path.ts), in topological order. */
export function mainPath(c: ConvertedGraph): string[] {
  const input = c.order.find((n) => n.op === 'Placeholder')!.name;
  const nodes = c.order.map((n) => ({ inputs: c.inputsOf.get(n.name) ?? [], outputs: [n.name] }));
  return [input, ...mainPathNodes(nodes, input).map((m) => c.order[m.index].name)];
}

function tensorValue(c: ConvertedGraph, node: string): TensorValue | undefined {
  const v = c.values.get(node);
  return v && v.kind === 'tensor' && node !== c.inputName ? v : undefined;
}

/** A short name for an output node: its last path segment, or the one before a generic op name. */
function shortName(node: string): string {
  const parts = node.split('/');
  let s = parts[parts.length - 1];
  if (parts.length > 1 && /^(Sigmoid|Softmax|Mean|Sum|BiasAdd|MatMul|Relu|Squeeze|Reshape|Identity|add|Add|mul|Mul)(_\d+)?$/.test(s)) s = parts[parts.length - 2];
  return s.replace(/[^A-Za-z0-9_.-]/g, '_');
}

function uniqueName(name: string, taken: Set<string>): string {
  let n = name;
  for (let k = 2; taken.has(n); k++) n = `${name}_${k}`;
  taken.add(n);
  return n;
}

export function autoProbes(c: ConvertedGraph): ProbeChoice[] {
  const lastOfRes = new Map<string, string>();
  for (const n of mainPath(c)) {
    const v = tensorValue(c, n);
    if (v && v.shape.length === 4) lastOfRes.set(`${v.shape[1]}x${v.shape[2]}`, n);
  }
  const taken = new Set<string>();
  const probes: ProbeChoice[] = [];
  const seen = new Set<string>();
  for (const node of lastOfRes.values()) {
    const value = tensorValue(c, node)!;
    if (c.outputs.includes(node)) continue;
    const [, h, w] = value.shape;
    probes.push({ name: uniqueName(h === w ? `map${h}` : `map${h}x${w}`, taken), node, value, kind: 'conv' });
    seen.add(value.onnx);
  }
  for (const node of c.outputs) {
    const value = tensorValue(c, node);
    if (!value || seen.has(value.onnx)) continue;
    const single = c.outputs.length === 1 && value.shape.length === 2;
    const kind: ProbeKind = value.shape.length === 4 ? 'conv' : single ? 'embedding' : 'fc';
    probes.push({ name: uniqueName(single ? 'embedding' : shortName(node), taken), node, value, kind });
    seen.add(value.onnx);
  }
  return probes;
}

/** Candidate probe nodes for messages and `facelens models`: main-path nodes, then the outputs. */
export function probeCandidates(c: ConvertedGraph): string[] {
  return [...new Set([...mainPath(c), ...c.outputs])].filter((n) => tensorValue(c, n));
}

export function namedProbes(c: ConvertedGraph, file: string, spec: Record<string, string>): ProbeChoice[] {
  return Object.entries(spec).map(([name, node]) => {
    const value = tensorValue(c, node);
    if (!value) {
      const cands = probeCandidates(c);
      const list = cands.length > 40 ? `${cands.slice(0, 40).join(', ')}, ... (${cands.length} in all)` : cands.join(', ');
      const why = c.values.has(node) ? 'is not a tensor computed from the input' : 'is not a node of the graph (or not needed for its outputs)';
      throw new UserError(`${file}: probe ${name}: "${node}" ${why}; main-path candidates: ${list}`);
    }
    const kind: ProbeKind = value.shape.length === 4 ? 'conv' : c.outputs.includes(node) && value.shape.length === 2 ? 'embedding' : 'fc';
    return { name, node, value, kind };
  });
}
