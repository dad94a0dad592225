/**
 * ORT backward graphs (ort/backward.ts via ort/grad-engine.ts) against TfGraph + tf.grad (an
 * independent differentiation: TF.js autodiff through the forward ops), under the three relu
 * rules, on dlib-resnet and on a small VGG-style net; all upstream kinds, capture, the deconv
 * receptive field, and the unsupported-op fallback.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { projectDetailed } from '../../src/analyses/atlas/projection.ts';
import { rgbImage } from '../../src/data/image.ts';
import { TfGraph } from '../../src/engine/tfjs/graph.ts';
import { createGradientEngine, hostUpstream, type Upstream } from '../../src/engine/ort/grad-engine.ts';
import { buildBackwardModel, UnsupportedOpError } from '../../src/engine/ort/backward.ts';
import { GraphBuilder } from '../../src/engine/onnx/builder.ts';
import { RELU_RULES, type ReluRule } from '../../src/engine/tfjs/relu-rules.ts';
import { loadDlibResnet } from '../../src/models/builtin/dlib-resnet.ts';
import type { FaceModel } from '../../src/models/face-model.ts';
import { mulberry32, randn, relErr } from './helpers.ts';

const TOL = 1e-4;

/**
 * A small VGG-style net; `extra` appends fc7 = Max(relu(fc7), 0.1), an op the ORT backward rules do
 * not cover (TfGraph does), for the fallback test.
 */
function smallVgg(seed: number, extra?: 'Max'): FaceModel {
  const rng = mulberry32(seed);
  const g = new GraphBuilder('small-vgg');
  const S = 32;
  let y = g.input('input', ['N', 3, S, S]);
  let cin = 3;
  let block = 1;
  let layer = 1;
  for (const c of [8, 8, 'M', 12, 12, 'M', 16, 16, 'M'] as (number | 'M')[]) {
    if (c === 'M') {
      y = g.node('MaxPool', [y], { kernel_shape: [2, 2], strides: [2, 2] }, `pool${block++}`);
      layer = 1;
      continue;
    }
    const name = `conv${block}_${layer++}`;
    const W = g.weight(`${name}/W`, [c, cin, 3, 3], randn(rng, c * cin * 9, Math.sqrt(2 / (cin * 9))));
    const B = g.weight(`${name}/B`, [c], randn(rng, c, 0.1));
    y = g.node('Relu', [g.node('Conv', [y, W, B], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] })]);
    cin = c;
  }
  y = g.node('Flatten', ['pool3'], { axis: 1 });
  let din = 16 * 4 * 4;
  for (const name of ['fc6', 'fc7']) {
    const W = g.weight(`${name}/W`, [24, din], randn(rng, 24 * din, Math.sqrt(2 / din)));
    const B = g.weight(`${name}/B`, [24], randn(rng, 24, 0.1));
    y = g.node('Relu', [g.node('Gemm', [y, W, B], { transB: 1 })], {}, extra && name === 'fc7' ? undefined : name);
    din = 24;
  }
  if (extra) g.node(extra, [y, g.weight('floor', [], new Float32Array([0.1]))], {}, 'fc7');
  g.output('pool3', ['N', 16, 4, 4]);
  g.output('fc7', ['N', 24]);
  return {
    name: `small-vgg-${seed}${extra ?? ''}`,
    description: 'test net',
    inputSize: { width: S, height: S },
    inputName: 'input',
    preprocessing: { mean: [0, 0, 0], std: [1, 1, 1], channelOrder: 'RGB', layout: 'NCHW' },
    probes: [
      { name: 'pool3', tensor: 'pool3', kind: 'pool', shape: [16, 4, 4] },
      { name: 'fc7', tensor: 'fc7', kind: 'fc', shape: [24] },
    ],
    onnx: g.build(),
    alignment: { name: 'none', size: S, points: [] },
  };
}

function randomInput(model: FaceModel, batch: number, seed: number): Float32Array {
  return randn(mulberry32(seed), batch * 3 * model.inputSize.width * model.inputSize.height);
}

async function both(model: FaceModel, output: string, rule: ReluRule, input: Float32Array, batch: number, up: Upstream, capture?: string[]) {
  const ortE = await createGradientEngine(model, { output, rule, capture, threads: 1 });
  const tfE = await createGradientEngine(model, { output, rule, capture, prefer: 'tfjs' });
  try {
    assert.equal(ortE.backend, 'onnxruntime');
    assert.equal(tfE.backend, 'tfjs');
    return { ort: await ortE.vjp(input, batch, up), tf: await tfE.vjp(input, batch, up) };
  } finally {
    await ortE.release();
    await tfE.release();
  }
}

function checkClose(a: Float32Array, b: Float32Array, what: string): number {
  const e = relErr(a, b);
  assert.ok(e < TOL, `${what}: relative error ${e.toExponential(2)}`);
  assert.ok(b.some((v) => v !== 0), `${what}: reference gradient is all zero`);
  return e;
}

const dlib = await loadDlibResnet();

for (const probe of ['pool1', 'res64', 'res256', 'embedding']) {
  for (const rule of RELU_RULES) {
    test(`dlib-resnet ${probe} ${rule}: ORT backward = TF.js autodiff (random mask)`, async () => {
      const batch = 2;
      const p = dlib.probes.find((q) => q.name === probe)!;
      const mask = randn(mulberry32(5), batch * p.shape.reduce((a, b) => a * b, 1));
      const input = randomInput(dlib, batch, 11).map((v) => v * 0.3);
      const r = await both(dlib, p.tensor, rule, input, batch, { kind: 'mask', mask });
      checkClose(r.ort.value, r.tf.value, `${probe} value`);
      checkClose(r.ort.grad, r.tf.grad, `${probe} ${rule} grad`);
    });
  }
}

const vgg = smallVgg(3);

/** A channel whose selected cell (centre, or max) is positive on every image of the batch. */
async function firingChannel(model: FaceModel, output: string, input: Float32Array, batch: number, spatial: 'max' | 'centre'): Promise<number> {
  const p = model.probes.find((q) => q.tensor === output)!;
  const per = p.shape.reduce((a, b) => a * b, 1);
  const e = await createGradientEngine(model, { output, rule: 'gradient', prefer: 'tfjs' });
  try {
    const { value } = await e.vjp(input, batch, { kind: 'mask', mask: new Float32Array(batch * per) });
    const cells = p.shape.length === 3 ? p.shape[1] * p.shape[2] : 1;
    const centre = p.shape.length === 3 ? (p.shape[1] >> 1) * p.shape[2] + (p.shape[2] >> 1) : 0;
    for (let c = 0; c < p.shape[0]; c++) {
      const ok = Array.from({ length: batch }, (_, k) => {
        const v = value.subarray(k * per + c * cells, k * per + (c + 1) * cells);
        return spatial === 'centre' ? v[centre] > 0 : Math.max(...v) > 0;
      });
      if (ok.every(Boolean)) return c;
    }
    throw new Error('no firing channel');
  } finally {
    await e.release();
  }
}
for (const output of ['pool3', 'fc7']) {
  for (const rule of RELU_RULES) {
    for (const up of ['mask', 'value-mask', 'channel-max:max', 'channel-max:centre'] as const) {
      test(`small VGG ${output} ${rule} ${up}: ORT backward = TF.js autodiff`, async () => {
        const batch = 3;
        const per = output === 'pool3' ? 16 * 16 : 24;
        const mask = randn(mulberry32(8), batch * per);
        const input = randomInput(vgg, batch, 21);
        const spatial = up === 'channel-max:max' ? 'max' : 'centre';
        const upstream: Upstream =
          up === 'mask' || up === 'value-mask' ? { kind: up, mask } : { kind: 'channel-max', channel: await firingChannel(vgg, output, input, batch, spatial), spatial };
        const r = await both(vgg, output, rule, input, batch, upstream, ['pool1', 'pool2']);
        checkClose(r.ort.value, r.tf.value, 'value');
        checkClose(r.ort.grad, r.tf.grad, `${rule} grad`);
        for (const c of ['pool1', 'pool2']) {
          assert.deepEqual(r.ort.captured[c].dims, r.tf.captured[c].dims);
          checkClose(r.ort.captured[c].data, r.tf.captured[c].data, `capture ${c}`);
        }
      });
    }
  }
}

test('hostUpstream: channel-max picks the first maximum / the centre cell, value-mask scales', () => {
  const y = new Float32Array([1, 5, 5, 0, /* ch1 */ 9, 2, 3, 4]); // [1, 2, 2, 2]
  assert.deepEqual([...hostUpstream({ kind: 'channel-max', channel: 0, spatial: 'max' }, y, [1, 2, 2, 2])], [0, 1, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual([...hostUpstream({ kind: 'channel-max', channel: 1, spatial: 'centre' }, y, [1, 2, 2, 2])], [0, 0, 0, 0, 0, 0, 0, 1]);
  assert.deepEqual([...hostUpstream({ kind: 'value-mask', mask: new Float32Array(8).fill(2) }, y, [1, 2, 2, 2])], [...y].map((v) => 2 * v));
});

test('ORT channel-max on a spatial probe: 1 at the channel argmax (value from the same pass)', async () => {
  // The gradient of sum(onehot * y) equals the gradient with a mask placed by hand at the argmax.
  const batch = 2;
  const input = randomInput(vgg, batch, 33);
  const e = await createGradientEngine(vgg, { output: 'pool3', rule: 'gradient', threads: 1 });
  try {
    const a = await e.vjp(input, batch, { kind: 'channel-max', channel: 7, spatial: 'max' });
    const mask = hostUpstream({ kind: 'channel-max', channel: 7, spatial: 'max' }, a.value, [batch, 16, 4, 4]);
    const b = await e.vjp(input, batch, { kind: 'mask', mask });
    assert.ok(relErr(a.grad, b.grad) < 1e-6);
    assert.ok(b.grad.some((v) => v !== 0));
  } finally {
    await e.release();
  }
});

test('deconv projection of one dlib pool1 cell is exactly zero outside its receptive field', async () => {
  const p = dlib.probes.find((q) => q.name === 'pool1')!;
  const [C, H, W] = p.shape;
  const rf = p.rf!;
  const i = 17, j = 9;
  const input = randomInput(dlib, 1, 2).map((v) => v * 0.3);
  const e = await createGradientEngine(dlib, { output: 'pool1', rule: 'deconv', threads: 1 });
  try {
    const probeRun = await e.vjp(input, 1, { kind: 'mask', mask: new Float32Array(C * H * W) });
    let ch = 0;
    while (probeRun.value[ch * H * W + i * W + j] <= 0) ch += 1;
    const mask = new Float32Array(C * H * W);
    mask[ch * H * W + i * W + j] = 1;
    const r = await e.vjp(input, 1, { kind: 'value-mask', mask });
    assert.ok(r.value[ch * H * W + i * W + j] > 0, 'pick a firing cell');
    const half = (rf.size - 1) / 2;
    const [r0, r1] = [rf.offset + i * rf.stride - half, rf.offset + i * rf.stride + half];
    const [c0, c1] = [rf.offset + j * rf.stride - half, rf.offset + j * rf.stride + half];
    let inside = 0;
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < 150; y++)
        for (let x = 0; x < 150; x++) {
          const v = r.grad[(c * 150 + y) * 150 + x];
          const isIn = y >= r0 && y <= r1 && x >= c0 && x <= c1;
          if (!isIn) assert.equal(v, 0, `nonzero at c${c} (${y}, ${x}) outside rows ${r0}..${r1} cols ${c0}..${c1}`);
          else if (v !== 0) inside += 1;
        }
    assert.ok(inside > 0);
  } finally {
    await e.release();
  }
});

test('unsupported op: typed error naming the op, and the factory falls back to TF.js once', async () => {
  const m = smallVgg(4, 'Max');
  assert.throws(
    () => buildBackwardModel(m.onnx, { input: 'input', output: 'fc7', rule: 'gradient', upstream: 'mask' }, new Map([['fc7', [1, 24]]])),
    (e: unknown) => e instanceof UnsupportedOpError && e.op === 'Max',
  );
  const lines: string[] = [];
  const orig = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((s: string | Uint8Array) => {
    lines.push(String(s));
    return true;
  }) as typeof process.stderr.write;
  try {
    const a = await createGradientEngine(m, { output: 'fc7', rule: 'gradient' });
    const b = await createGradientEngine(m, { output: 'fc7', rule: 'deconv' });
    assert.equal(a.backend, 'tfjs');
    assert.equal(b.backend, 'tfjs');
    const r = await a.vjp(randomInput(m, 1, 1), 1, { kind: 'mask', mask: new Float32Array(24).fill(1) });
    assert.equal(r.grad.length, 3 * 32 * 32);
    await a.release();
    await b.release();
  } finally {
    process.stderr.write = orig;
  }
  const warnings = lines.filter((l) => l.includes('op Max'));
  assert.equal(warnings.length, 1, lines.join(''));
});

test('projectDetailed: the default engine (ORT) equals the TfGraph path (prefer tfjs + graph)', async () => {
  const m: FaceModel = { ...vgg, name: 'small-vgg-proj', preprocessing: { mean: [120, 110, 100], std: [60, 50, 40], channelOrder: 'RGB', layout: 'NCHW' } };
  const rng = mulberry32(77);
  const faces = Array.from({ length: 3 }, () => rgbImage(32, 32, new Uint8Array(32 * 32 * 3).map(() => Math.floor(rng() * 256))));
  const cells = [0, 5, 10];
  const graph = await TfGraph.fromOnnx(m.onnx);
  try {
    for (const mode of RELU_RULES) {
      const opts = { model: m, layer: 'pool3', neuron: 2, faces, cells, mode, batch: 2, capture: ['pool1'] };
      const a = await projectDetailed(opts);
      const b = await projectDetailed({ ...opts, graph, prefer: 'tfjs' });
      assert.equal(a.maps.length, 3);
      a.values.forEach((v, k) => assert.ok(Math.abs(v - b.values[k]) <= 1e-5 * Math.max(1, Math.abs(b.values[k]))));
      a.maps.forEach((mp, k) => assert.ok(relErr(mp, b.maps[k]) < TOL, `${mode} face ${k}`));
      assert.deepEqual(a.capturedShapes, b.capturedShapes);
      a.captured.pool1.forEach((c, k) => assert.ok(relErr(c, b.captured.pool1[k]) < 1e-5));
    }
  } finally {
    graph.dispose();
  }
});
