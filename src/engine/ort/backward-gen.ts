/**
 * The node emitter of the backward-graph generator (ort/backward.ts): fresh `bw/` names that do not
 * clash with the forward graph's, nodes with attributes (one encoder: onnx-proto encodeAttr) and
 * float32 / int64 initializers.
 */
import { encodeAttr, TensorDataType, type NodeProto, type TensorProto } from '../onnx/proto.js';

/** An op (or an op configuration) the backward-graph generator does not cover. */
export class UnsupportedOpError extends Error {
  constructor(
    readonly op: string,
    readonly nodeName: string,
    detail = '',
  ) {
    super(`backward graph: unsupported op "${op}" (node ${nodeName})${detail ? `: ${detail}` : ''}`);
    this.name = 'UnsupportedOpError';
  }
}

export class Gen {
  readonly nodes: NodeProto[] = [];
  readonly inits: TensorProto[] = [];
  private count = 0;
  private zeroName?: string;

  constructor(private readonly existing: Set<string>) {}

  fresh(p: string): string {
    let name: string;
    do name = `bw/${p}_${++this.count}`;
    while (this.existing.has(name));
    return name;
  }

  node(op: string, inputs: string[], attrs: Record<string, number | number[] | string> = {}, nOut = 1): string[] {
    const outs = Array.from({ length: nOut }, () => this.fresh(op.toLowerCase()));
    const attribute = Object.entries(attrs).map(([name, v]) => encodeAttr(name, v, name.startsWith('alpha') || name === 'beta' || name === 'epsilon'));
    this.nodes.push({ opType: op, name: outs[0], input: inputs, output: outs, attribute });
    return outs;
  }

  one(op: string, inputs: string[], attrs: Record<string, number | number[] | string> = {}): string {
    return this.node(op, inputs, attrs)[0];
  }

  floats(dims: number[], values: Float32Array, p = 'const'): string {
    const name = this.fresh(p);
    const copy = new Float32Array(values);
    this.inits.push({ name, dims, dataType: TensorDataType.FLOAT, rawData: new Uint8Array(copy.buffer) });
    return name;
  }

  /** A float32 scalar initializer. */
  scalar(v: number, p = 'const'): string {
    return this.floats([], new Float32Array([v]), p);
  }

  ints(values: number[], dims = [values.length]): string {
    const name = this.fresh('i64');
    const buf = new BigInt64Array(values.map((v) => BigInt(v)));
    this.inits.push({ name, dims, dataType: TensorDataType.INT64, rawData: new Uint8Array(buf.buffer) });
    return name;
  }

  get zero(): string {
    this.zeroName ??= this.scalar(0, 'zero');
    return this.zeroName;
  }
}
