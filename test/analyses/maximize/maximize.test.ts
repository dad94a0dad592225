/**
 * Activation maximisation on dlib-resnet: the default per-step rule raises five neurons >= 5x,
 * a seed fixes the output bytes, and a larger TV weight gives a smoother image.
 * About 0.05 s per step at 150 px on 2 cores with the ONNX Runtime backward graph (0.16 s with TF.js).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadModel } from '../../../src/models/registry.js';
import { TfGraph } from '../../../src/engine/tfjs/graph.js';
import { encodePng } from '../../../src/data/image-io.js';
import { rgbImage } from '../../../src/data/image.js';
import {
  engineNeuronGradient,
  imageTv,
  MAXIMIZE_DEFAULTS,
  maximize,
  stripImage,
  tfGraphNeuronGradient,
} from '../../../src/analyses/maximize/maximize.js';
import { createGradientEngine } from '../../../src/engine/ort/grad-engine.js';
import { findProbe } from '../../../src/models/face-model.js';
import { mulberry32 } from '../../../src/core/random.js';
import { writeMaximizeOutputs } from '../../../src/analyses/maximize/output.js';
import { AM_DEFAULTS } from '../../../src/demo/pipeline.js';

const model = await loadModel('dlib-resnet');
const graph = await TfGraph.fromOnnx(model.onnx);

// The demo's schedule (2 octaves, each until the activation plateaus, at most 80 steps: what
// `npm start` runs) instead of the module default cap (100 x 2): the same 5 neurons and >= 5x bar.
test('AM raises 5 dlib-resnet neurons >= 5x within the demo schedule (ONNX Runtime backward graph)', async () => {
  const neurons: [string, number][] = [
    ['res64', 10],
    ['res64', 20],
    ['res128', 5],
    ['res128', 17],
    ['res128', 40],
  ];
  for (const [layer, neuron] of neurons) {
    const r = await maximize({ model, layer, neuron, init: 'noise', seed: 1, ...AM_DEFAULTS });
    // a ReLU unit can start at 0: measure the ratio against a 0.1 floor
    const base = Math.max(r.initialActivation, 0.1);
    const ratio = r.finalActivationUint8 / base;
    console.log(`${layer} #${neuron}: ${r.initialActivation.toFixed(3)} -> ${r.finalActivationUint8.toFixed(3)} (x${ratio.toFixed(1)}, ${r.seconds.toFixed(1)} s, ${r.activations.length - 1} steps, plateau ${r.plateau.step}, octaves ${r.plateau.octaves.map((o) => `${o.steps}${o.plateaued ? 'p' : ''}`).join('/')})`);
    assert.ok(ratio >= 5, `${layer} #${neuron}: ${r.initialActivation} -> ${r.finalActivationUint8}`);
    // stopped by the plateau rule or the cap, each octave at most AM_DEFAULTS.steps steps
    assert.equal(r.activations.length, r.plateau.octaves.reduce((n, o) => n + o.steps, 0) + 1);
    assert.ok(r.plateau.octaves.every((o) => o.steps <= AM_DEFAULTS.steps && (o.plateaued || o.steps === AM_DEFAULTS.steps)));
    assert.equal(r.image.width, model.inputSize.width);
  }
});

test('the AM neuron gradient from ONNX Runtime equals TF.js autodiff (centre, max, vector unit)', async () => {
  // (whole AM runs are not compared: the TV gradient's sign() flips on near-equal pixels, so
  // float-level differences grow into visible ones over steps)
  const rng = mulberry32(1);
  const z = Float32Array.from({ length: 3 * model.inputSize.width * model.inputSize.height }, () => (rng() - 0.5) * 0.2);
  for (const [layer, neuron, spatial] of [['res128', 17, 'centre'], ['res64', 10, 'max'], ['embedding', 3, 'centre']] as const) {
    const probe = findProbe(model, layer);
    const engine = await createGradientEngine(model, { output: probe.tensor, rule: 'gradient' });
    try {
      assert.equal(engine.backend, 'onnxruntime');
      const a = await engineNeuronGradient(engine, probe, neuron, spatial)(z);
      const b = await tfGraphNeuronGradient(graph, model, probe, neuron, spatial)(z);
      let diff = 0;
      let scale = 0;
      for (let i = 0; i < z.length; i++) {
        diff = Math.max(diff, Math.abs(a.grad[i] - b.grad[i]));
        scale = Math.max(scale, Math.abs(b.grad[i]));
      }
      assert.ok(scale > 0, `${layer} #${neuron}: zero gradient`);
      assert.ok(diff <= 1e-4 * scale, `${layer} #${neuron} ${spatial}: gradient differs by ${diff} (max ${scale})`);
      assert.ok(Math.abs(a.value - b.value) <= 1e-4 * Math.max(1, Math.abs(b.value)), `${layer} #${neuron}: ${a.value} vs ${b.value}`);
    } finally {
      await engine.release();
    }
  }
});

test('vector layer (embedding unit) and spatial max readout run', async () => {
  const r = await maximize({ model, graph, layer: 'embedding', neuron: 3, init: 'grey', steps: 4, octaves: 1, seed: 2 });
  assert.ok(r.finalActivation > r.initialActivation, `${r.initialActivation} -> ${r.finalActivation}`);
  const m = await maximize({ model, graph, layer: 'res128', neuron: 5, spatial: 'max', steps: 4, octaves: 1, seed: 2 });
  assert.match(m.readout, /spatial max/);
  assert.ok(m.finalActivation > m.initialActivation);
});

test('same seed -> identical PNG bytes; different seed -> different (default engine)', async () => {
  const run = (seed: number) => maximize({ model, layer: 'res128', neuron: 17, steps: 3, octaves: 2, seed });
  const [a, b, c] = [await run(7), await run(7), await run(8)];
  const [pa, pb, pc] = await Promise.all([a, b, c].map((r) => encodePng(r.image)));
  assert.ok(pa.equals(pb), 'same seed gave different bytes');
  assert.ok(!pa.equals(pc), 'different seeds gave the same image');
  assert.deepEqual(a.activations, b.activations);
});

test('property: the TV of the result decreases as the TV weight is raised', async () => {
  for (const [layer, neuron, seed] of [['res64', 10, 3], ['res128', 40, 4]] as const) {
    const tvs: number[] = [];
    for (const tvWeight of [0, 0.5, 1.5]) {
      const r = await maximize({ model, graph, layer, neuron, tvWeight, steps: 8, octaves: 1, seed, noiseStd: 20 });
      tvs.push(imageTv(r.image));
    }
    console.log(`${layer} #${neuron}: TV at weights 0/0.5/1.5 = ${tvs.map((t) => t.toFixed(2)).join(' / ')}`);
    assert.ok(tvs[0] > tvs[1] && tvs[1] > tvs[2], `TV not decreasing: ${tvs.join(', ')}`);
  }
});

test('imageTv and stripImage on small images', () => {
  const flat = rgbImage(4, 3, new Uint8Array(36).fill(9));
  assert.equal(imageTv(flat), 0);
  const d = new Uint8Array(2 * 1 * 3);
  d.set([10, 10, 10], 3);
  assert.equal(imageTv(rgbImage(2, 1, d)), 10);
  const s = stripImage([flat, flat], 2);
  assert.equal(s.width, 10);
  assert.equal(s.data[3 * 4], 255); // the gap is white
});

test('outputs: PNG, strip, curve and summary.json', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'facelens-am-'));
  try {
    const r = await maximize({ model, graph, layer: 'res128', neuron: 5, steps: 2, octaves: 2, snapshots: 4, seed: 0 });
    const f = await writeMaximizeOutputs(r, dir, model.name);
    for (const p of [f.image, f.strip, f.curve]) assert.equal((await readFile(p)).subarray(1, 4).toString(), 'PNG');
    const s = JSON.parse(await readFile(f.summary, 'utf8'));
    assert.equal(s.activations.length, 5);
    assert.equal(s.params.octaves, 2);
    assert.deepEqual(s.snapshotSteps, [1, 2, 3, 4]);
    // the starting image is written for the report's init-beside-result view
    assert.equal((await readFile(s.files.init)).subarray(1, 4).toString(), 'PNG');
    assert.equal(r.initImage?.width, r.image.width);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
