/**
 * Reads TF.js "layers/graph" weight files (`*-weights_manifest.json` + `.bin` shards), including
 * uint8/uint16 quantised ones, into plain float32 arrays. Decoding and dequantisation are done
 * by TF.js itself (`tf.io.decodeWeights`), so facelens does not reimplement the format.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import { initTf } from '../engine/tf-backend.js';

export interface NamedWeight {
  shape: number[];
  data: Float32Array;
}

interface ManifestGroup {
  paths: string[];
  weights: { name: string; shape: number[]; dtype: string }[];
}

export async function readTfjsWeights(manifestPath: string): Promise<Map<string, NamedWeight>> {
  const tf = await initTf();
  let manifest: ManifestGroup[];
  try {
    manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as ManifestGroup[];
  } catch (e) {
    throw new UserError(`${manifestPath}: cannot read TF.js weights manifest (${(e as Error).message})`);
  }
  const out = new Map<string, NamedWeight>();
  for (const group of manifest) {
    const shards = await Promise.all(group.paths.map((p) => readFile(path.join(path.dirname(manifestPath), p))));
    const total = shards.reduce((a, b) => a + b.length, 0);
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const s of shards) {
      bytes.set(s, at);
      at += s.length;
    }
    let tensors: Record<string, import('@tensorflow/tfjs').Tensor>;
    try {
      tensors = tf.io.decodeWeights(bytes.buffer, group.weights as Parameters<typeof tf.io.decodeWeights>[1]);
    } catch (e) {
      throw new UserError(`${manifestPath}: weight shards do not match the manifest (${(e as Error).message})`);
    }
    for (const [name, t] of Object.entries(tensors)) {
      out.set(name, { shape: t.shape.slice(), data: Float32Array.from(t.dataSync() as Float32Array) });
      t.dispose();
    }
  }
  return out;
}
