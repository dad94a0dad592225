/**
 * Shared helpers for the tests of the ONNX Runtime backward rules (clip-backward, activation-backward):
 * a FaceModel around a small test graph, one vjp on either engine, central finite differences.
 */
import assert from 'node:assert/strict';
import { createGradientEngine } from '../../src/engine/ort/grad-engine.ts';
import type { ReluRule } from '../../src/engine/tfjs/relu-rules.ts';
import type { FaceModel } from '../../src/models/face-model.ts';

/** A FaceModel around a test graph with input `x` (N x 3 x H x W) and one probe `z` of shape `zShape` (no batch). */
export function testModel(name: string, onnx: Uint8Array, H: number, W: number, zShape: number[]): FaceModel {
  return {
    name,
    description: 'test net',
    inputSize: { width: W, height: H },
    inputName: 'x',
    preprocessing: { mean: [0, 0, 0], std: [1, 1, 1], channelOrder: 'RGB', layout: 'NCHW' },
    probes: [{ name: 'z', tensor: 'z', kind: zShape.length === 3 ? 'conv' : 'fc', shape: zShape }],
    onnx,
    alignment: { name: 'none', size: W, points: [] },
  };
}

/** One vjp with a mask upstream on ONNX Runtime (asserting it did not fall back) or on TfGraph. */
export async function vjp(model: FaceModel, rule: ReluRule, input: Float32Array, batch: number, mask: Float32Array, output = 'z', prefer?: 'tfjs') {
  const e = await createGradientEngine(model, { output, rule, threads: 1, prefer });
  try {
    assert.equal(e.backend, prefer ?? 'onnxruntime');
    return await e.vjp(input, batch, { kind: 'mask', mask });
  } finally {
    await e.release();
  }
}

/** Central differences of the scalar function `f` at `x`, in float64, one input value at a time. */
export function centralDiff(f: (v: Float64Array) => number, x: ArrayLike<number>, eps = 1e-4): Float64Array {
  const g = new Float64Array(x.length);
  const v = Float64Array.from(x);
  for (let k = 0; k < x.length; k++) {
    v[k] = x[k] + eps;
    const up = f(v);
    v[k] = x[k] - eps;
    g[k] = (up - f(v)) / (2 * eps);
    v[k] = x[k];
  }
  return g;
}
