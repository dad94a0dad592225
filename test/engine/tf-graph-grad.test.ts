/**
 * Gradients through whole graphs, checked against an independent set of kernels: the same
 * TfGraph code on TF.js's CPU backend (its own Conv2DBackpropInput, depthwise and pool
 * gradients). Covers every op of the ORT comparison graphs under all three Relu rules.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initTf, tf } from '../../src/engine/tfjs/backend.js';
import { TfGraph, type ReluRule } from '../../src/engine/tfjs/graph.js';
import { mobileGraph, resnetish, shapesGraph } from './graphs.js';
import { mulberry32, randn, relErr } from './helpers.js';

await initTf();

interface Case {
  name: string;
  bytes: Uint8Array;
  inputDims: number[];
  outputs: string[];
}

const cases: Case[] = [
  (() => {
    const m = resnetish(41, 29, [[8, 2], [16, 1]]);
    return { name: 'resnet-like', bytes: m.bytes, inputDims: [2, 3, 29, 29], outputs: [m.embedding, m.probes[0]] };
  })(),
  { name: 'mobile-style', ...mobileGraph(42) },
  { name: 'shape ops', ...shapesGraph(43) },
];

/** d(sum_o <output_o, r_o>)/dx on the given backend. */
async function gradient(backend: 'cpu' | 'wasm', c: Case, rule: ReluRule): Promise<Float32Array> {
  await tf.setBackend(backend);
  const g = await TfGraph.fromOnnx(c.bytes); // tensors live on the current backend
  try {
    return tf.tidy(() => {
      const rng = mulberry32(99);
      const x = tf.tensor(randn(rng, c.inputDims.reduce((a, b) => a * b, 1)), c.inputDims);
      const shapes = g.run({ x }, c.outputs);
      const ups = c.outputs.map((o) => tf.tensor(randn(rng, shapes[o].size), shapes[o].shape));
      const f = (v: tf.Tensor) => {
        const r = g.run({ x: v }, c.outputs, { reluRule: rule });
        return tf.addN(c.outputs.map((o, i) => tf.sum(tf.mul(r[o], ups[i]))));
      };
      return tf.grad(f)(x).dataSync() as Float32Array;
    });
  } finally {
    g.dispose();
    await tf.setBackend('wasm');
  }
}

for (const c of cases) {
  for (const rule of ['gradient', 'deconv', 'guided'] as ReluRule[]) {
    test(`${c.name}: '${rule}' input gradient on WASM equals the CPU backend's`, async () => {
      const cpu = await gradient('cpu', c, rule);
      const wasm = await gradient('wasm', c, rule);
      const nonzero = cpu.filter((v) => v !== 0).length;
      assert.ok(nonzero > cpu.length / 10, `only ${nonzero} of ${cpu.length} gradient values are non-zero`);
      const err = relErr(wasm, cpu);
      assert.ok(err < 1e-4, `rel err ${err}`);
    });
  }
}
