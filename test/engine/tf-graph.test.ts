import { test } from 'node:test';
import ort from 'onnxruntime-node';
import assert from 'node:assert/strict';
import { TfGraph } from '../../src/engine/tf-graph.js';
import { SUPPORTED_OPS } from '../../src/engine/tf-ops.js';
import { tf } from '../../src/engine/tf-backend.js';
import { decodeModel } from '../../src/engine/onnx-proto.js';
import { Net, resnetish, runOrt, type Feed } from './graphs.js';
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
  await agree(m.bytes, feed(2, [2, 3, 37, 37]), [m.embedding, ...m.probes]);
});

test('mobile-style graph (depthwise, grouped, dilated, PRelu, LeakyRelu, Clip, pools, broadcasting) matches ORT', async () => {
  const n = new Net(3);
  const x = n.b.input('x', ['N', 4, 23, 19]);
  const a = n.conv(x, 4, 8, 3);
  const dw = n.conv(a, 8, 8, 3, { group: 8, stride: 2, autoPad: 'SAME_UPPER' });
  const dw2 = n.conv(a, 8, 16, 3, { group: 8, stride: 2, autoPad: 'SAME_LOWER' });
  const gc = n.conv(dw2, 16, 8, 3, { group: 2, pads: [0, 1, 2, 1] });
  const dl = n.conv(dw, 8, 8, 3, { dil: 2, pads: [2, 2, 2, 2] });
  const p = n.op('PRelu', [gc, n.w([8, 1, 1], 0.3)]);
  const l = n.op('LeakyRelu', [dl], { alpha: 0.1 });
  const s = n.op('Add', [p, l]);
  const m = n.op('Mul', [s, n.w([8, 1, 1])]);
  const d = n.op('Div', [m, n.wPos([1, 8, 1, 1])]);
  const sub = n.op('Sub', [d, n.w([1])]);
  const lo = n.b.weight('clip_lo', [], new Float32Array([-0.5]));
  const hi = n.b.weight('clip_hi', [], new Float32Array([0.7]));
  const cl = n.op('Clip', [sub, lo, hi]);
  const sg = n.op('Sigmoid', [cl]);
  const th = n.op('Tanh', [sub]);
  const rowBias = n.op('Add', [th, n.w([10], 0.5)]); // broadcast along W only
  const cat = n.op('Concat', [sg, rowBias], { axis: 1 });
  const ap0 = n.op('AveragePool', [cat], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
  const ap1 = n.op('AveragePool', [cat], { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 0, 1, 2], count_include_pad: 1 });
  const mp = n.op('MaxPool', [cat], { kernel_shape: [3, 3], strides: [2, 2], pads: [0, 1, 1, 0] });
  const mpc = n.op('MaxPool', [cat], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 });
  const gmp = n.op('GlobalMaxPool', [ap0]);
  const rm = n.op('ReduceMean', [ap1], { axes: [2, 3], keepdims: 0 });
  const rm2 = n.op('ReduceMean', [mp], { axes: [1], keepdims: 1 });
  const rm3 = n.op('ReduceMean', [mp], { axes: [1, 3], keepdims: 0 });
  const sm = n.op('Softmax', [rm], { axis: -1 });
  const sm4 = n.op('Softmax', [cat], { axis: 1 });
  const bn1 = n.bn(rm, 16);
  const outs: [string, number][] = [[sm, 2], [sm4, 4], [gmp, 4], [rm2, 4], [rm3, 2], [mpc, 4], [bn1, 2], [ap0, 4], [ap1, 4], [dw, 4], [dw2, 4], [gc, 4], [dl, 4]];
  for (const [o, r] of outs) n.output(o, r);
  await agree(n.b.build(13), feed(4, [2, 4, 23, 19]), outs.map(([o]) => o));
});

test('shape / tensor-manipulation ops (Shape, Gather, Unsqueeze, Concat, Reshape, Transpose, MatMul, Slice, Pad...) match ORT', async () => {
  const n = new Net(5);
  const x = n.b.input('x', ['N', 3, 10, 12]);
  const c = n.conv(x, 3, 6, 3, { stride: 2 }); // [N, 6, 5, 6]
  const shape = n.op('Shape', [c]);
  const zero = n.op('Constant', [], { value_int: 0 });
  const batch = n.op('Gather', [shape, zero], { axis: 0 });
  const batch1 = n.op('Unsqueeze', [batch, n.b.int64('ax0', [0])]);
  const target = n.op('Concat', [batch1, n.b.int64('minus1', [-1])], { axis: 0 });
  const flat = n.op('Reshape', [c, target]); // [N, 180]
  const t = n.op('Transpose', [c], { perm: [0, 2, 3, 1] }); // [N, 5, 6, 6]
  const t2 = n.op('Reshape', [t, n.b.int64('shp', [0, 5, 36])]);
  const mm = n.op('MatMul', [t2, n.w([36, 7], 0.2)]); // [N, 5, 7]
  const t3 = n.op('Transpose', [c], { perm: [3, 1, 0, 2] }); // [6, 6, N, 5]
  const g = n.op('Gather', [c, n.b.int64('idx', [0, 2, 5])], { axis: 1 });
  const one = n.op('Constant', [], { value_int: -1 });
  const g2 = n.op('Gather', [c, one], { axis: 3 }); // [N, 6, 5]
  const g3 = n.op('Gather', [c, n.b.int64('idx2', [1, 2])], { axis: 2 }); // contiguous
  const us = n.op('Unsqueeze', [g2, n.b.int64('ax1', [1])]);
  const sq = n.op('Squeeze', [us, n.b.int64('ax1b', [1])]);
  const dr = n.op('Dropout', [n.op('Identity', [g])]);
  const k = n.constant([6, 1, 1], randn(n.rng, 6));
  const ck = n.op('Mul', [c, k]);
  const sl = n.op('Slice', [c, n.b.int64('st', [1, 0]), n.b.int64('en', [5, -1]), n.b.int64('axs', [1, 3])]);
  const sl2 = n.op('Slice', [c, n.b.int64('st2', [0]), n.b.int64('en2', [100]), n.b.int64('axs2', [2]), n.b.int64('sp2', [2])]);
  const pv = n.b.weight('pad_value', [], new Float32Array([0.5]));
  const pd = n.op('Pad', [c, n.b.int64('pads4', [0, 1, 2, 0, 0, 0, 1, 3]), pv], { mode: 'constant' });
  const pdn = n.op('Pad', [c, n.b.int64('pads5', [0, 0, -1, 1, 0, 0, 1, -2])], { mode: 'constant' });
  const rf = n.op('Pad', [c, n.b.int64('pads6', [0, 0, 1, 2, 0, 0, 2, 1])], { mode: 'reflect' });
  const sm1 = n.op('Softmax', [mm], { axis: 1 });
  const cast = n.op('Cast', [ck], { to: 1 });
  const tflat = n.op('Transpose', [flat], { perm: [1, 0] }); // [180, N]
  const gm = n.op('Gemm', [tflat, n.w([180, 4], 0.1), n.w([4])], { transA: 1, alpha: 0.5, beta: 1.5 });
  const gmm = n.op('MatMul', [gm, n.w([4])]); // matrix x vector -> [N]
  const outs: [string, number][] = [
    [flat, 2], [mm, 3], [t3, 4], [g, 4], [g3, 4], [sq, 3], [dr, 4], [ck, 4], [sl, 4], [sl2, 4], [pd, 4], [pdn, 4], [rf, 4],
    [sm1, 3], [cast, 4], [gm, 2], [gmm, 1],
  ];
  for (const [o, r] of outs) n.output(o, r);
  await agree(n.b.build(13), feed(6, [2, 3, 10, 12]), outs.map(([o]) => o));
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

test('timing: 150x150 ResNet-34-like forward, TfGraph (WASM) vs ORT (printed, not asserted)', async () => {
  const m = resnetish(16, 150);
  const batch = 4;
  const x = feed(17, [batch, 3, 150, 150]);
  const g = await TfGraph.fromOnnx(m.bytes);
  const xt = tf.tensor(x.data, x.dims);
  const time = (f: () => void, reps: number) => {
    f();
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) f();
    return (performance.now() - t0) / reps;
  };
  const tFwd = time(() => {
    const r = g.run({ x: xt }, [m.embedding]);
    r[m.embedding].dataSync();
    tf.dispose(Object.values(r));
  }, 2);
  const tGrad = time(() => {
    const gr = g.vjp(xt, m.embedding, (y) => tf.sum(y), 'deconv');
    gr.dataSync();
    gr.dispose();
  }, 1);
  const ref = await runOrt(m.bytes, { x }, [m.embedding]);
  const mine = g.run({ x: xt }, [m.embedding]);
  const err = relErr(mine[m.embedding].dataSync(), ref[m.embedding].data);
  const session = await ort.InferenceSession.create(m.bytes);
  const feeds = { x: new ort.Tensor('float32', x.data, x.dims) };
  await session.run(feeds, [m.embedding]);
  const t0 = performance.now();
  for (let i = 0; i < 3; i++) await session.run(feeds, [m.embedding]);
  const tOrt = (performance.now() - t0) / 3;
  console.log(
    `# resnet-34-like 150x150, batch ${batch}: TfGraph forward ${tFwd.toFixed(0)} ms (${((batch * 1000) / tFwd).toFixed(1)} img/s), ` +
      `vjp (deconv) ${tGrad.toFixed(0)} ms (${((batch * 1000) / tGrad).toFixed(1)} img/s), ` +
      `ORT forward ${tOrt.toFixed(0)} ms (${((batch * 1000) / tOrt).toFixed(1)} img/s); rel err vs ORT ${err.toExponential(1)}`,
  );
  assert.ok(err < 1e-4);
  tf.dispose([xt, ...Object.values(mine)]);
  await session.release();
  g.dispose();
});
