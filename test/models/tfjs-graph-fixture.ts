/**
 * Shared by the tfjs-graph tests: the reference = TF.js's own GraphModel executor on the same
 * model.json (loaded in-process from memory), and a comparison of a converted FaceModel against
 * it on every probe, with ONNX Runtime and with facelens' TfGraph interpreter.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { mulberry32 } from '../../src/core/random.ts';
import { OrtEngine } from '../../src/engine/ort/engine.ts';
import { initTf, tf } from '../../src/engine/tfjs/backend.ts';
import { TfGraph } from '../../src/engine/tfjs/graph.ts';
import type { FaceModel } from '../../src/models/face-model.ts';

interface Manifest {
  paths: string[];
  weights: tf.io.WeightsManifestEntry[];
}

export async function referenceGraphModel(jsonPath: string): Promise<tf.GraphModel> {
  await initTf();
  const json = JSON.parse(await readFile(jsonPath, 'utf8')) as { modelTopology: object; weightsManifest: Manifest[]; format?: string };
  const buffers: Buffer[] = [];
  for (const g of json.weightsManifest) for (const p of g.paths) buffers.push(await readFile(path.join(path.dirname(jsonPath), p)));
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
  const handler = tf.io.fromMemory({
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
    weightData,
    format: json.format ?? 'graph-model',
  });
  return tf.loadGraphModel(handler);
}

/** Seeded input batch, NHWC values in [0, 1). */
export function randomNhwc(n: number, h: number, w: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n * h * w * 3 }, () => r());
}

function nhwcToNchw(t: tf.Tensor): tf.Tensor {
  return t.rank === 4 ? tf.transpose(t, [0, 3, 1, 2]) : t;
}

export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'lengths differ');
  let d = 0;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return d / Math.max(m, 1e-30);
}

/** Worst relative error per probe, ONNX Runtime and TfGraph against TF.js's GraphModel. */
export async function compareWithReference(model: FaceModel, ref: tf.GraphModel, nhwc: Float32Array, n: number, tol: number): Promise<Record<string, { ort: number; tfGraph: number }>> {
  const { width: w, height: h } = model.inputSize;
  const x = tf.tensor4d(nhwc, [n, h, w, 3]);
  const nodes = model.probes.map((p) => /TF node (.+)$/.exec(p.note ?? '')![1]);
  const refOut = ref.execute(x, nodes) as tf.Tensor | tf.Tensor[];
  const refs = (Array.isArray(refOut) ? refOut : [refOut]).map(nhwcToNchw);
  const xNchw = tf.transpose(x, [0, 3, 1, 2]);
  const nchw = xNchw.dataSync() as Float32Array;
  const engine = await OrtEngine.create(model, { threads: 1 });
  const ort = await engine.run(nchw, n, model.probes.map((p) => p.name));
  await engine.release();
  const graph = await TfGraph.fromOnnx(model.onnx);
  const tg = graph.run({ [model.inputName]: xNchw }, model.probes.map((p) => p.tensor));
  const errs: Record<string, { ort: number; tfGraph: number }> = {};
  model.probes.forEach((p, i) => {
    const r = refs[i];
    assert.deepEqual(ort[p.name].dims, r.shape, `${p.name}: ORT shape`);
    assert.deepEqual(ort[p.name].dims, [n, ...p.shape], `${p.name}: declared shape`);
    assert.deepEqual(tg[p.tensor].shape, r.shape, `${p.name}: TfGraph shape`);
    const rv = r.dataSync() as Float32Array;
    errs[p.name] = { ort: relErr(ort[p.name].data, rv), tfGraph: relErr(tg[p.tensor].dataSync() as Float32Array, rv) };
    assert.ok(errs[p.name].ort < tol, `${p.name} (${nodes[i]}): ONNX Runtime relative error ${errs[p.name].ort}`);
    assert.ok(errs[p.name].tfGraph < tol, `${p.name} (${nodes[i]}): TfGraph relative error ${errs[p.name].tfGraph}`);
  });
  tf.dispose([x, xNchw, ...refs, ...(Array.isArray(refOut) ? refOut : [refOut]), ...Object.values(tg)]);
  graph.dispose();
  return errs;
}
