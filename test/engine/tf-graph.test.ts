import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TfGraph } from '../../src/engine/tfjs/graph.js';
import { SUPPORTED_OPS } from '../../src/engine/tfjs/ops.js';
import { initTf, tf } from '../../src/engine/tfjs/backend.js';
import { decodeModel } from '../../src/engine/onnx/proto.js';
import { mobileGraph, Net, resnetish, runOrt, shapesGraph, type Feed } from './graphs.js';
import { mulberry32, randn, relErr } from './helpers.js';

const covered = new Set<string>();

function feed(seed: number, dims: number[]): Feed {
  return { data: randn(mulberry32(seed), dims.reduce((a, b) => a * b, 1)), dims };
}

/** Runs the model on ORT and TfGraph; every listed output must agree to `tol` (relative). */
async function agree(bytes: Uint8Array, x: Feed, outputs: string[], tol = 1e-4): Promise<Record<string, number>> {
  for (const n of decodeModel(bytes).graph?.node ?? []) covered.add(n.opType ?? '');
  const ref = await runOrt(bytes, { x }, outputs);
  const g = await TfGraph.fromOnnx(bytes);
  const errs: Record<string, number> = {};
  const xt = tf.tensor(x.data, x.dims);
  try {
    // The first run may cache constants derived from shapes (kept by the graph until dispose).
    tf.dispose(Object.values(g.run({ x: xt }, outputs)));
    const before = tf.memory().numTensors;
    const res = g.run({ x: xt }, outputs);
    for (const o of outputs) {
      assert.deepEqual(res[o].shape, ref[o].dims, `${o}: shape`);
      errs[o] = relErr(res[o].dataSync(), ref[o].data);
      assert.ok(errs[o] < tol, `${o}: rel err ${errs[o]}`);
    }
    tf.dispose(Object.values(res));
    assert.equal(tf.memory().numTensors, before, 'tensors leaked by run()');
  } finally {
    xt.dispose();
    const before = tf.memory().numTensors;
    g.dispose();
    assert.ok(tf.memory().numTensors < before || before === 0);
  }
  return errs;
}

test('ResNet-like graph (Conv, BN, Relu, MaxPool, Add, avg-pool + channel-Pad shortcut, GAP, Flatten, Gemm) matches ORT', async () => {
  const m = resnetish(1, 37, [[8, 2], [16, 2], [24, 1]]);
  // Conv + BatchNormalization folded everywhere...
  const folded = await agree(m.bytes, feed(2, [2, 3, 37, 37]), [m.embedding, ...m.probes]);
  // ...and not for the stem when its raw Conv output is requested too.
  const unfolded = await agree(m.bytes, feed(2, [2, 3, 37, 37]), [m.embedding, m.stem]);
  console.log(`# resnet-like vs ORT: embedding rel err ${folded[m.embedding].toExponential(1)} (all BN folded), ${unfolded[m.embedding].toExponential(1)} (stem BN not folded)`);
});

test('mobile-style graph (depthwise, grouped, dilated, PRelu, LeakyRelu, Clip, pools, broadcasting) matches ORT', async () => {
  const m = mobileGraph(3);
  await agree(m.bytes, feed(4, m.inputDims), m.outputs);
});

test('shape / tensor-manipulation ops (Shape, Gather, Unsqueeze, Concat, Reshape, Transpose, MatMul, Slice, Pad...) match ORT', async () => {
  const m = shapesGraph(5);
  await agree(m.bytes, feed(6, m.inputDims), m.outputs);
});

test('older opsets: Squeeze/Unsqueeze/ReduceMean axes as attributes, Softmax opset-11 semantics, Clip and Pad attributes', async () => {
  const n11 = new Net(7);
  const x = n11.b.input('x', ['N', 3, 7, 9]);
  const c = n11.conv(x, 3, 4, 3);
  const sm = n11.op('Softmax', [c], { axis: 1 }); // over the flattened C*H*W block
  const us = n11.op('Unsqueeze', [n11.op('ReduceMean', [c], { axes: [1], keepdims: 0 })], { axes: [1] });
  const sq = n11.op('Squeeze', [n11.op('GlobalAveragePool', [c])], { axes: [2, 3] });
  const fl = n11.op('Flatten', [c], { axis: 2 });
  for (const [o, r] of [[sm, 4], [us, 4], [sq, 2], [fl, 2]] as [string, number][]) n11.output(o, r);
  await agree(n11.b.build(11), feed(8, [2, 3, 7, 9]), [sm, us, sq, fl]);

  const n10 = new Net(9);
  const x10 = n10.b.input('x', ['N', 3, 7, 9]);
  const c10 = n10.conv(x10, 3, 4, 3);
  const pd = n10.op('Pad', [c10], { mode: 'constant', pads: [0, 2, 1, 0, 0, 1, 0, 2], value: -0.25 });
  const cl = n10.op('Clip', [pd], { min: -0.3, max: 0.4 });
  n10.output(cl, 4);
  await agree(n10.b.build(10), feed(10, [2, 3, 7, 9]), [cl]);

  const n18 = new Net(11);
  const x18 = n18.b.input('x', ['N', 3, 7, 9]);
  const c18 = n18.conv(x18, 3, 4, 3);
  const rm = n18.op('ReduceMean', [c18, n18.b.int64('axes', [-1, 1])], { keepdims: 1 });
  const pd18 = n18.op('Pad', [c18, n18.b.int64('pads', [1, 2, 3, 0]), n18.b.weight('pv', [], new Float32Array([0])), n18.b.int64('paxes', [1, 3])]);
  n18.output(rm, 4);
  n18.output(pd18, 4);
  await agree(n18.b.build(18), feed(12, [2, 3, 7, 9]), [rm, pd18]);
});

test('Abs, Sqrt, Max, Min (emitted by the TF.js graph converter) match ORT', async () => {
  const n = new Net(13);
  const x = n.b.input('x', ['N', 3, 6, 6]);
  const c = n.conv(x, 3, 4, 3);
  const d = n.conv(x, 3, 4, 3);
  const sq = n.op('Sqrt', [n.op('Abs', [c])]);
  const mx = n.op('Max', [c, d]);
  const mn = n.op('Min', [c, n.w([4, 1, 1])]);
  for (const o of [sq, mx, mn]) n.output(o, 4);
  await agree(n.b.build(17), feed(14, [2, 3, 6, 6]), [sq, mx, mn]);
});

test('every supported op is covered by the ORT comparisons above', () => {
  const missing = SUPPORTED_OPS.filter((op) => !covered.has(op));
  assert.deepEqual(missing, []);
});

test('an unsupported op is named at construction time', async () => {
  const n = new Net(13);
  const x = n.b.input('x', ['N', 3, 8, 8]);
  const c = n.conv(x, 3, 4, 3);
  const e = n.op('Erf', [c]);
  n.output(n.relu(e), 4);
  await assert.rejects(TfGraph.fromOnnx(n.b.build(13)), { message: 'unsupported ONNX op "Erf" (node "Erf_1")' });
});

test('run() cuts the graph at given intermediate values and only runs what is needed', async () => {
  const m = resnetish(14, 33, [[8, 1], [16, 1]]);
  const g = await TfGraph.fromOnnx(m.bytes);
  try {
    const x = tf.tensor(feed(15, [1, 3, 33, 33]).data, [1, 3, 33, 33]);
    const full = g.run({ x }, [m.probes[0], m.embedding]);
    // Feeding the first probe directly gives the same embedding.
    const top = g.run({ [m.probes[0]]: full[m.probes[0]] }, [m.embedding]);
    assert.ok(relErr(top[m.embedding].dataSync(), full[m.embedding].dataSync()) < 1e-6);
    // Without x, asking for something below the cut is an error naming the missing input.
    assert.throws(() => g.run({}, [m.probes[0]]), /missing graph input "x"/);
    tf.dispose([x, ...Object.values(full), ...Object.values(top)]);
  } finally {
    g.dispose();
  }
});

// Its timing (TfGraph forward / vjp vs ORT) is in `npm run bench` (bench/tfjs-side.ts); here only the check.
test('150x150 ResNet-34-like forward: TfGraph (WASM) equals ORT', async () => {
  const m = resnetish(16, 150);
  const batch = 4;
  const x = feed(17, [batch, 3, 150, 150]);
  const g = await TfGraph.fromOnnx(m.bytes);
  const xt = tf.tensor(x.data, x.dims);
  const ref = await runOrt(m.bytes, { x }, [m.embedding]);
  const mine = g.run({ x: xt }, [m.embedding]);
  const err = relErr(mine[m.embedding].dataSync(), ref[m.embedding].data);
  assert.ok(err < 1e-4, `rel err vs ORT ${err}`);
  tf.dispose([xt, ...Object.values(mine)]);
  g.dispose();
});

test('dispose() frees every buffer, including the kept backward-pass filter copies', async () => {
  await initTf();
  const backend = tf.backend() as unknown as { numDataIds(): number };
  const m = resnetish(18, 29, [[8, 1], [16, 1]]);
  const x = tf.tensor(feed(19, [1, 3, 29, 29]).data, [1, 3, 29, 29]);
  const buffers = backend.numDataIds();
  const g = await TfGraph.fromOnnx(m.bytes);
  const first = tf.tidy(() => g.vjp(x, m.embedding, (y) => tf.sum(tf.square(y)), 'guided').dataSync());
  const withCopies = backend.numDataIds();
  const second = tf.tidy(() => g.vjp(x, m.embedding, (y) => tf.sum(tf.square(y)), 'guided').dataSync());
  assert.equal(backend.numDataIds(), withCopies, 'a second vjp allocates nothing that stays');
  assert.ok(relErr(second, first) === 0, 'cached filter copies give the same gradient');
  g.dispose();
  assert.equal(backend.numDataIds(), buffers, 'buffers left after dispose()');
  x.dispose();
});
