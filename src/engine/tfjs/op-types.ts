/** The contract between TfGraph and its op implementations. */
import type { NodeProto, TensorProto } from '../onnx/proto.js';
import type { tf } from './backend.js';
import type { Val } from './layout.js';
import type { ReluRule } from './relu-rules.js';

/** What an op sees when the graph is loaded. */
export interface LoadContext {
  opset: number;
  /** The initializer of that name, if the input is one (and not overridden by a graph input). */
  initializer(name: string | undefined | null): TensorProto | undefined;
  /** Registers a tensor that lives as long as the graph (freed by TfGraph.dispose). */
  keep<T extends tf.Tensor>(t: T): T;
}

export interface Prepared {
  /** Per-node state handed to run(). */
  state?: unknown;
  /** Input positions whose initializers were folded into state (run() receives undefined there). */
  consumed?: number[];
}

/** What an op sees when it runs. */
export interface RunContext {
  node: NodeProto;
  opset: number;
  reluRule: ReluRule;
  /** True inside tf.grad (the tape records): ops then avoid fused kernels. */
  tapeOn: boolean;
  /** A tensor cached for the graph's lifetime under a key (constants derived from shapes). */
  cache(key: string, make: () => tf.Tensor): tf.Tensor;
}

export interface OpDef {
  prepare?(node: NodeProto, load: LoadContext): Prepared;
  /** Returns the node's outputs (only the first is supported for every op here). */
  run(inputs: (Val | undefined)[], ctx: RunContext, state: unknown): Val[];
}

/** Node label for messages: `"name"`, or `producing "output"` for an unnamed node. */
export function nodeLabel(node: NodeProto): string {
  return node.name ? `"${node.name}"` : `producing "${node.output?.[0] ?? '?'}"`;
}

export function opError(node: NodeProto, msg: string): Error {
  return new Error(`ONNX op "${node.opType}" (node ${nodeLabel(node)}): ${msg}`);
}
