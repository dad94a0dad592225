/**
 * A small builder for ONNX graphs: facelens makes the graphs of its built-in models (and tests
 * make small ones) with it. Only float32 tensors and int64 shape constants are needed here.
 */
import { encodeAttr, encodeModel, TensorDataType, type AttributeProto, type NodeProto, type TensorProto } from './proto.js';

export type AttrValue = number | number[] | string | Float32Array;

const makeAttr = (name: string, v: AttrValue): AttributeProto => encodeAttr(name, v);

function valueInfo(name: string, dims: (number | string)[], elemType: number = TensorDataType.FLOAT) {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  readonly inputs: ReturnType<typeof valueInfo>[] = [];
  readonly outputs: ReturnType<typeof valueInfo>[] = [];
  private counter = 0;

  constructor(readonly name = 'facelens') {}

  /** A fresh tensor name with a readable prefix. */
  fresh(prefix: string): string {
    this.counter += 1;
    return `${prefix}_${this.counter}`;
  }

  /** A graph input; float32 unless `elemType` (a TensorDataType) says otherwise. */
  input(name: string, dims: (number | string)[], elemType: number = TensorDataType.FLOAT): string {
    this.inputs.push(valueInfo(name, dims, elemType));
    return name;
  }

  output(name: string, dims: (number | string)[]): void {
    this.outputs.push(valueInfo(name, dims));
  }

  /** A float32 initializer. */
  weight(name: string, dims: number[], values: Float32Array): string {
    const n = dims.reduce((a, b) => a * b, 1);
    if (n !== values.length) throw new Error(`initializer ${name}: ${values.length} values for dims [${dims}]`);
    const copy = new Float32Array(values);
    this.initializers.push({ name, dims, dataType: TensorDataType.FLOAT, rawData: new Uint8Array(copy.buffer) });
    return name;
  }

  /** An int64 initializer (shapes, axes, pads). */
  int64(name: string, values: number[]): string {
    const buf = new BigInt64Array(values.map((v) => BigInt(v)));
    this.initializers.push({ name, dims: [values.length], dataType: TensorDataType.INT64, rawData: new Uint8Array(buf.buffer) });
    return name;
  }

  /** Adds a node; returns its first output name (named `out` or a fresh one). */
  node(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, out?: string): string {
    const output = out ?? this.fresh(opType.toLowerCase());
    this.nodes.push({
      opType,
      name: `${opType}_${this.nodes.length}`,
      input: inputs,
      output: [output],
      attribute: Object.entries(attrs).map(([k, v]) => makeAttr(k, v)),
    });
    return output;
  }

  build(opset = 17): Uint8Array {
    return encodeModel({
      irVersion: 8,
      producerName: 'facelens',
      opsetImport: [{ domain: '', version: opset }],
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
  }
}
