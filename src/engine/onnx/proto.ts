/** The ONNX protobuf schema (generated classes from the `onnx-proto` package), re-exported typed. */
import onnxProto from 'onnx-proto';

export const onnx = onnxProto.onnx;
export type ModelProto = onnxProto.onnx.ModelProto;
export type GraphProto = onnxProto.onnx.IGraphProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;

export const TensorDataType = onnxProto.onnx.TensorProto.DataType;

export function decodeModel(bytes: Uint8Array): ModelProto {
  return onnx.ModelProto.decode(bytes);
}

export function encodeModel(model: onnxProto.onnx.IModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

/**
 * A copy of `raw` in a fresh, aligned ArrayBuffer. (`raw.slice()` is not enough: protobufjs
 * decodes bytes fields as Node Buffers, whose slice() is a view into the whole decoded message.)
 */
function ownBuffer(raw: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(raw.byteLength);
  copy.set(raw);
  return copy.buffer;
}

/** Reads an initializer / Constant tensor as a typed array (float32, int64 -> number, int32). */
export function tensorValues(t: TensorProto): Float32Array | Int32Array | number[] {
  const type = t.dataType ?? 0;
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : undefined;
  if (type === TensorDataType.FLOAT) {
    if (raw) return new Float32Array(ownBuffer(raw));
    return Float32Array.from(t.floatData ?? []);
  }
  if (type === TensorDataType.INT64) {
    if (raw) {
      const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      const out: number[] = [];
      for (let i = 0; i < raw.byteLength; i += 8) out.push(Number(dv.getBigInt64(i, true)));
      return out;
    }
    return (t.int64Data ?? []).map((v) => Number(v));
  }
  if (type === TensorDataType.INT32) {
    if (raw) return new Int32Array(ownBuffer(raw));
    return Int32Array.from(t.int32Data ?? []);
  }
  throw new Error(`tensor ${t.name ?? '?'}: unsupported data type ${type}`);
}

/** Reads a node attribute by name, or undefined. */
export function attr(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute?.find((a) => a.name === name) ?? undefined;
}

export function attrInts(node: NodeProto, name: string): number[] | undefined {
  const a = attr(node, name);
  return a?.ints ? a.ints.map((v) => Number(v)) : undefined;
}

export function attrInt(node: NodeProto, name: string): number | undefined {
  const a = attr(node, name);
  return a?.i !== undefined && a.i !== null ? Number(a.i) : undefined;
}

export function attrFloat(node: NodeProto, name: string): number | undefined {
  const a = attr(node, name);
  return a?.f ?? undefined;
}

export function attrString(node: NodeProto, name: string): string | undefined {
  const a = attr(node, name);
  return a?.s ? new TextDecoder().decode(a.s) : undefined;
}

/**
 * The one auto_pad resolver (used by the TF.js ops, the backward-graph builder and the receptive
 * fields): explicit [begin_0..begin_{r-1}, end_0..end_{r-1}] pads of a Conv / pool node for the
 * effective kernel `kEff` = (k - 1) d + 1 and `strides`, r = kEff.length spatial dims.
 *   NOTSET: the node's `pads` (zeros when absent); VALID: zeros;
 *   SAME_UPPER / SAME_LOWER: total = max(0, (ceil(in / s) - 1) s + kEff - in), the odd pixel at
 *   the end (UPPER) or the beginning (LOWER). Without input sizes (`inSize` undefined) total is
 *   max(0, kEff - s), exact when the input is a multiple of the stride.
 */
export function resolvePads(node: NodeProto, inSize: readonly number[] | undefined, kEff: readonly number[], strides: readonly number[]): number[] {
  const autoPad = attrString(node, 'auto_pad') ?? 'NOTSET';
  const r = kEff.length;
  if (autoPad === 'NOTSET') return attrInts(node, 'pads') ?? new Array<number>(2 * r).fill(0);
  if (autoPad === 'VALID') return new Array<number>(2 * r).fill(0);
  if (autoPad !== 'SAME_UPPER' && autoPad !== 'SAME_LOWER') throw new Error(`unknown auto_pad "${autoPad}"`);
  const pads = new Array<number>(2 * r).fill(0);
  for (let i = 0; i < r; i++) {
    const s = strides[i]!;
    const k = kEff[i]!;
    const total = inSize ? Math.max(0, (Math.ceil(inSize[i]! / s) - 1) * s + k - inSize[i]!) : Math.max(k - s, 0);
    pads[i] = autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : Math.ceil(total / 2);
    pads[i + r] = total - pads[i]!;
  }
  return pads;
}

/**
 * The one ONNX attribute encoder (graph builder and backward-graph generator): a string is STRING,
 * a Float32Array FLOATS, a number[] INTS, an integer INT unless `asFloat` (attributes that are
 * floats by definition, e.g. alpha / beta / epsilon, may hold integral values), else FLOAT.
 */
export function encodeAttr(name: string, v: number | number[] | string | Float32Array, asFloat = false): AttributeProto {
  const A = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: A.STRING, s: new TextEncoder().encode(v) };
  if (v instanceof Float32Array) return { name, type: A.FLOATS, floats: Array.from(v) };
  if (Array.isArray(v)) return { name, type: A.INTS, ints: v };
  if (Number.isInteger(v) && !asFloat) return { name, type: A.INT, i: v };
  return { name, type: A.FLOAT, f: v };
}
