/**
 * The node format of a TF.js graph model (`model.json` -> `modelTopology.node`): TensorFlow's
 * NodeDef as JSON, with strings base64-encoded and 64-bit integers as decimal strings.
 */
export interface TfAttr {
  s?: string;
  i?: string | number;
  f?: number;
  b?: boolean;
  type?: string;
  shape?: { dim?: { size?: string | number }[]; unknownRank?: boolean };
  list?: { s?: string[]; i?: (string | number)[]; f?: number[] };
  tensor?: unknown;
}

export interface TfNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, TfAttr>;
}

/** A constant from the weight shards (TF.js decodes quantised / float16 weights to these). */
export interface ConstValue {
  shape: number[];
  data: Float32Array | Int32Array;
  dtype: 'float32' | 'int32';
}

const decode = (s: string) => Buffer.from(s, 'base64').toString('utf8');

export function attrString(node: TfNode, key: string): string | undefined {
  const s = node.attr?.[key]?.s;
  return s === undefined ? undefined : decode(s);
}

export function attrStrings(node: TfNode, key: string): string[] {
  return (node.attr?.[key]?.list?.s ?? []).map(decode);
}

export function attrInts(node: TfNode, key: string): number[] | undefined {
  const l = node.attr?.[key]?.list;
  return l ? (l.i ?? []).map(Number) : undefined;
}

export function attrInt(node: TfNode, key: string): number | undefined {
  const i = node.attr?.[key]?.i;
  return i === undefined ? undefined : Number(i);
}

export function attrFloat(node: TfNode, key: string): number | undefined {
  return node.attr?.[key]?.f;
}

export function attrBool(node: TfNode, key: string): boolean {
  return node.attr?.[key]?.b === true;
}

/** A Placeholder's shape, unknown sizes as -1; undefined when the rank is unknown. */
export function attrShape(node: TfNode, key: string): number[] | undefined {
  const s = node.attr?.[key]?.shape;
  if (!s || s.unknownRank || !s.dim) return undefined;
  return s.dim.map((d) => Number(d.size ?? -1));
}

/** `"name"`, `"name:0"` -> `name`; `"^name"` (control dependency) -> undefined. */
export function inputNode(ref: string): string | undefined {
  if (ref.startsWith('^')) return undefined;
  const m = /^(.*):(\d+)$/.exec(ref);
  if (m && m[2] !== '0') throw new Error(`input "${ref}": only the first output of a node is supported`);
  return m ? m[1] : ref;
}
