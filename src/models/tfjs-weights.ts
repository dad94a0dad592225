/**
 * Reads TF.js "layers/graph" weight files (`*-weights_manifest.json` + `.bin` shards), including
 * uint8/uint16 quantised ones, into plain float32 arrays. Decoding and dequantisation are done
 * by TF.js itself (`tf.io.decodeWeights`), so facelens does not reimplement the format.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import { initTf } from '../engine/tfjs/backend.js';
import { modelFileInside } from './model-files.js';

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
  if (!Array.isArray(manifest)) throw new UserError(`${manifestPath}: a TF.js weights manifest must be a list of groups`);
  for (const group of manifest) {
    if (!Array.isArray(group?.paths)) throw new UserError(`${manifestPath}: a manifest group has no paths list`);
    const shards: Buffer[] = [];
    for (const p of group.paths) {
      const file = await modelFileInside(manifestPath, p, 'weight shard');
      shards.push(await readFile(file).catch((e: NodeJS.ErrnoException) => {
        throw new UserError(`${manifestPath}: weight shard ${p} cannot be read (${e.code ?? e.message})`);
      }));
    }
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
