/**
 * Reads a TF.js graph model: `model.json` (topology + weights manifest) and its `.bin` shards.
 * Weights are decoded by TF.js itself (`tf.io.decodeWeights`: quantised uint8/uint16 and
 * float16 weights come back as float32), so the shard format is not reimplemented here.
 */
import { readFile } from 'node:fs/promises';
import { modelFileInside } from '../model-files.js';
import path from 'node:path';
import { UserError } from '../../core/errors.js';
import { initTf } from '../../engine/tfjs/backend.js';
import type { ConstValue, TfNode } from './tf-node.js';

export interface TfjsGraphFile {
  path: string;
  nodes: TfNode[];
  weights: Map<string, ConstValue>;
  /** Output node names from the model's signature, if it has one (without `:0`). */
  signatureOutputs: string[];
}

interface WeightGroup {
  paths: string[];
  weights: { name: string; shape: number[]; dtype: string }[];
}

interface ModelJson {
  format?: string;
  modelTopology?: { node?: TfNode[] };
  weightsManifest?: WeightGroup[];
  signature?: { outputs?: Record<string, { name?: string }> };
  userDefinedMetadata?: { signature?: { outputs?: Record<string, { name?: string }> } };
}

async function readShards(jsonPath: string, group: WeightGroup): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  if (!Array.isArray(group?.paths)) throw new UserError(`${jsonPath}: a weightsManifest group has no paths list`);
  for (const p of group.paths) {
    const file = await modelFileInside(jsonPath, p, 'weight shard');
    try {
      parts.push(await readFile(file));
    } catch (e) {
      throw new UserError(`${jsonPath}: weight shard ${p} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }
  const bytes = new Uint8Array(parts.reduce((a, b) => a + b.length, 0));
  let at = 0;
  for (const s of parts) {
    bytes.set(s, at);
    at += s.length;
  }
  return bytes;
}

async function decodeGroup(jsonPath: string, group: WeightGroup, out: Map<string, ConstValue>): Promise<void> {
  const tf = await initTf();
  const bytes = await readShards(jsonPath, group);
  let tensors: Record<string, import('@tensorflow/tfjs').Tensor>;
  try {
    tensors = tf.io.decodeWeights(bytes.buffer as ArrayBuffer, group.weights as Parameters<typeof tf.io.decodeWeights>[1]);
  } catch (e) {
    throw new UserError(`${jsonPath}: weight shards ${group.paths.join(', ')} do not match the manifest (${(e as Error).message})`);
  }
  for (const [name, t] of Object.entries(tensors)) {
    const shape = t.shape.slice();
    if (t.dtype === 'float32') out.set(name, { shape, dtype: 'float32', data: Float32Array.from(t.dataSync() as Float32Array) });
    else if (t.dtype === 'int32' || t.dtype === 'bool') out.set(name, { shape, dtype: 'int32', data: Int32Array.from(t.dataSync() as Int32Array) });
    else throw new UserError(`${jsonPath}: weight ${name} has unsupported dtype ${t.dtype}`);
    t.dispose();
  }
}

function signatureOutputs(json: ModelJson): string[] {
  const outs = json.signature?.outputs ?? json.userDefinedMetadata?.signature?.outputs ?? {};
  return Object.entries(outs).map(([k, v]) => (v.name ?? k).replace(/:0$/, ''));
}

export async function readTfjsGraphFile(jsonPath: string): Promise<TfjsGraphFile> {
  let text: string;
  try {
    text = await readFile(jsonPath, 'utf8');
  } catch (e) {
    throw new UserError(`${jsonPath}: cannot read TF.js graph model (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let json: ModelJson;
  try {
    json = JSON.parse(text) as ModelJson;
  } catch (e) {
    throw new UserError(`${jsonPath}: not valid JSON (${(e as Error).message})`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new UserError(`${jsonPath}: not a TF.js graph model (the file holds ${json === null ? 'null' : Array.isArray(json) ? 'a list' : typeof json}, not an object)`);
  const nodes = json.modelTopology?.node;
  if (!Array.isArray(nodes)) {
    const hint = json.format === 'layers-model' ? ' (this is a TF.js layers model, not a graph model)' : '';
    throw new UserError(`${jsonPath}: no modelTopology.node list, not a TF.js graph model${hint}`);
  }
  if (!Array.isArray(json.weightsManifest)) throw new UserError(`${jsonPath}: no weightsManifest`);
  const weights = new Map<string, ConstValue>();
  for (const group of json.weightsManifest) await decodeGroup(jsonPath, group, weights);
  return { path: jsonPath, nodes, weights, signatureOutputs: signatureOutputs(json) };
}
