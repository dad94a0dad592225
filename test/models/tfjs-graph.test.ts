/**
 * TF.js graph model -> ONNX conversion on a small synthetic graph written by the test itself
 * (model.json + one .bin shard), covering Conv2D (SAME / VALID, stride 2, asymmetric SAME
 * pads), _FusedConv2D, depthwise and fused depthwise convs, BiasAdd, the PReLU pattern,
 * Maximum/Minimum clamps, Pad, Reshape, Mean, Squeeze, MatMul, _FusedMatMul, Softmax and the
 * L2 normalisation (Square, Sum, Rsqrt, Mul). The reference is TF.js's own GraphModel executor.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { mulberry32 } from '../../src/core/random.ts';
import { loadTfjsGraphModel } from '../../src/models/tfjs-graph/load.ts';
import { compareWithReference, randomNhwc, referenceGraphModel } from './tfjs-graph-fixture.ts';

const dir = await mkdtemp(path.join(os.tmpdir(), 'facelens-tfjs-graph-'));
test.after(() => rm(dir, { recursive: true, force: true }));

const b64 = (s: string) => Buffer.from(s).toString('base64');
const ints = (v: number[]) => ({ list: { i: v.map(String) } });
const str = (s: string) => ({ s: b64(s) });
const strs = (v: string[]) => ({ list: { s: v.map(b64) } });

interface Node {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, unknown>;
}
interface Weight {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  data: number[];
}

class ModelWriter {
  nodes: Node[] = [];
  weights: Weight[] = [];
  private rand = mulberry32(1234);

  placeholder(name: string, shape: number[]): string {
    this.nodes.push({ name, op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: { dim: shape.map((d) => ({ size: String(d) })) } } } });
    return name;
  }
  konst(name: string, shape: number[], data: number[], dtype: 'float32' | 'int32' = 'float32'): string {
    const t = dtype === 'float32' ? 'DT_FLOAT' : 'DT_INT32';
    this.nodes.push({ name, op: 'Const', attr: { dtype: { type: t }, value: { tensor: { dtype: t, tensorShape: { dim: shape.map((d) => ({ size: String(d) })) } } } } });
    this.weights.push({ name, shape, dtype, data });
    return name;
  }
  random(name: string, shape: number[], scale = 0.5, offset = 0): string {
    const n = shape.reduce((a, b) => a * b, 1);
    return this.konst(name, shape, Array.from({ length: n }, () => offset + scale * (this.rand() * 2 - 1)));
  }
  op(name: string, op: string, input: string[], attr: Record<string, unknown> = {}): string {
    this.nodes.push({ name, op, input, attr: { T: { type: 'DT_FLOAT' }, ...attr } });
    return name;
  }
  async write(file: string, opts: { dropShard?: boolean } = {}): Promise<string> {
    const bytes: Buffer[] = this.weights.map((w) => Buffer.from((w.dtype === 'float32' ? Float32Array.from(w.data) : Int32Array.from(w.data)).buffer));
    const shard = `${path.basename(file, '.json')}.bin`;
    const json = {
      format: 'graph-model',
      generatedBy: 'facelens test',
      convertedBy: null,
      modelTopology: { node: this.nodes, library: {}, versions: {} },
      weightsManifest: [{ paths: [shard], weights: this.weights.map(({ name, shape, dtype }) => ({ name, shape, dtype })) }],
    };
    const p = path.join(dir, file);
    await writeFile(p, JSON.stringify(json));
    if (!opts.dropShard) await writeFile(path.join(dir, shard), Buffer.concat(bytes));
    return p;
  }
}

const conv = (strides: number, padding: string) => ({
  strides: ints([1, strides, strides, 1]), padding: str(padding), data_format: str('NHWC'), dilations: ints([1, 1, 1, 1]), explicit_paddings: ints([]),
});

/** The synthetic model; `extra` lets a test append nodes (e.g. an unsupported op). */
function synthetic(extra?: (m: ModelWriter) => void): ModelWriter {
  const m = new ModelWriter();
  const x = m.placeholder('input', [-1, 10, 10, 3]);
  // 10 px, 3x3 stride 2 SAME: TF pads 0 before, 1 after.
  const a = m.op('stem/conv', '_FusedConv2D', [x, m.random('stem/w', [3, 3, 3, 4]), m.random('stem/b', [4], 0.1)], {
    ...conv(2, 'SAME'), fused_ops: strs(['BiasAdd', 'Relu']), num_args: { i: '1' }, epsilon: { f: 0 },
  });
  const b = m.op('b/conv', 'Conv2D', [a, m.random('b/w', [3, 3, 4, 6])], conv(1, 'VALID'));
  const bb = m.op('b/bias', 'BiasAdd', [b, m.random('b/b', [6], 0.1)], { data_format: str('NHWC') });
  // PReLU as TF-slim writes it: relu(x) + alpha/2 * (x - |x|)
  const relu = m.op('b/prelu/Relu', 'Relu', [bb]);
  const abs = m.op('b/prelu/Abs', 'Abs', [bb]);
  const sub = m.op('b/prelu/sub', 'Sub', [bb, abs]);
  const mul = m.op('b/prelu/mul_1', 'Mul', [sub, m.random('b/prelu/mul', [6], 0.2, 0.2)]);
  const p = m.op('b/prelu/add', 'Add', [relu, mul]);
  const d = m.op('dw/conv', 'FusedDepthwiseConv2dNative', [p, m.random('dw/w', [3, 3, 6, 2]), m.random('dw/b', [12], 0.1)], {
    ...conv(2, 'SAME'), fused_ops: strs(['BiasAdd', 'Relu6']), num_args: { i: '1' },
  });
  const d2 = m.op('dw2/conv', 'DepthwiseConv2dNative', [d, m.random('dw2/w', [2, 2, 12, 1])], conv(1, 'SAME'));
  const mean = m.op('gap/Mean', 'Mean', [d2, m.konst('gap/axes', [2], [1, 2], 'int32')], { keep_dims: { b: true } });
  const sq = m.op('gap/Squeeze', 'Squeeze', [mean], { squeeze_dims: ints([1, 2]) });
  const mx = m.op('clamp/Maximum', 'Maximum', [d2, m.konst('clamp/lo', [], [0.05])]);
  const mn = m.op('clamp/Minimum', 'Minimum', [mx, m.konst('clamp/hi', [], [0.6])]);
  const pd = m.op('pad', 'Pad', [mn, m.konst('pad/p', [4, 2], [0, 0, 1, 0, 0, 0, 0, 0], 'int32')]);
  const r = m.op('flat', 'Reshape', [pd, m.konst('flat/shape', [2], [-1, 72], 'int32')]);
  const fm = m.op('fc1', '_FusedMatMul', [r, m.random('fc1/w', [72, 8]), m.random('fc1/b', [8], 0.1)], {
    transpose_a: { b: false }, transpose_b: { b: false }, fused_ops: strs(['BiasAdd', 'Relu']), num_args: { i: '1' },
  });
  const mm = m.op('fc2', 'MatMul', [sq, m.random('fc2/w', [8, 12])], { transpose_a: { b: false }, transpose_b: { b: true } });
  const s = m.op('sum', 'AddV2', [fm, mm]);
  m.op('probs', 'Softmax', [s]);
  const sqr = m.op('emb/Square', 'Square', [s]);
  const ss = m.op('emb/Sum', 'Sum', [sqr, m.konst('emb/axis', [1], [1], 'int32')], { keep_dims: { b: true } });
  const mxn = m.op('emb/Maximum', 'Maximum', [ss, m.konst('emb/eps', [], [1e-10])]);
  const rs = m.op('emb/Rsqrt', 'Rsqrt', [mxn]);
  m.op('emb', 'Mul', [s, rs]);
  extra?.(m);
  return m;
}

test('synthetic graph: auto probes = last main-path node of each resolution + the outputs', async () => {
  const model = await loadTfjsGraphModel(await synthetic().write('auto.json'));
  assert.equal(model.inputName, 'input');
  assert.deepEqual(model.inputSize, { width: 10, height: 10 });
  const got = model.probes.map((p) => [p.name, p.kind, p.shape.join('x'), /TF node (.+)$/.exec(p.note!)![1]]);
  // The clamp/pad/flatten branch runs beside the Mean branch, so it is not on the main path.
  assert.deepEqual(got, [
    ['map5', 'conv', '4x5x5', 'stem/conv'],
    ['map3', 'conv', '6x3x3', 'b/prelu/add'],
    ['map2', 'conv', '12x2x2', 'dw2/conv'],
    ['probs', 'fc', '8', 'probs'],
    ['emb', 'fc', '8', 'emb'],
  ]);
  // stem: 3x3/2 with pads (0, 1): size 3, offset 1; then 3x3 valid: size 3 + 2 * 2 = 7, offset 1 + 2 = 3.
  assert.deepEqual(model.probes[0].rf, { size: 3, stride: 2, offset: 1 });
  assert.deepEqual(model.probes[1].rf, { size: 7, stride: 2, offset: 3 });
});

test('synthetic graph: ONNX Runtime and TfGraph equal tf.loadGraphModel on every probe to 1e-4', async () => {
  const file = await synthetic().write('cmp.json');
  const probes = { stem: 'stem/conv', prelu: 'b/prelu/add', dw: 'dw/conv', dw2: 'dw2/conv', gap: 'gap/Squeeze', clamp: 'clamp/Minimum', pad: 'pad', flat: 'flat', fc1: 'fc1', fc2: 'fc2', probs: 'probs', emb: 'emb' };
  const model = await loadTfjsGraphModel(file, { probes });
  const ref = await referenceGraphModel(file);
  const errs = await compareWithReference(model, ref, randomNhwc(3, 10, 10, 5), 3, 1e-4);
  console.log('# relative errors', JSON.stringify(errs));
  ref.dispose();
});

/** A second graph: plain Conv2D SAME/2, fused Prelu, Prelu, FusedBatchNorm(V3), pools, ConcatV2, 4D Mean over H, reshapes to and from 4D. */
function synthetic2(): ModelWriter {
  const m = new ModelWriter();
  const x = m.placeholder('x', [-1, 8, 8, 3]);
  const c = m.op('c', 'Conv2D', [x, m.random('c/w', [3, 3, 3, 5])], conv(2, 'SAME'));
  const pc = m.op('pc', '_FusedConv2D', [c, m.random('pc/w', [1, 1, 5, 5]), m.random('pc/b', [5], 0.1), m.random('pc/alpha', [5], 0.2, 0.2)], {
    ...conv(1, 'VALID'), fused_ops: strs(['BiasAdd', 'Prelu']), num_args: { i: '2' },
  });
  const pr = m.op('pr', 'Prelu', [pc, m.random('pr/alpha', [5], 0.2, 0.3)]);
  const bnArgs = (n: string) => [m.random(`${n}/scale`, [5], 0.5, 1), m.random(`${n}/offset`, [5], 0.2), m.random(`${n}/mean`, [5], 0.2), m.random(`${n}/var`, [5], 0.3, 1)];
  const bn1 = m.op('bn1', 'FusedBatchNormV3', [pr, ...bnArgs('bn1')], { epsilon: { f: 0.001 }, data_format: str('NHWC'), is_training: { b: false } });
  const bn = m.op('bn2', 'FusedBatchNorm', [bn1, ...bnArgs('bn2')], { epsilon: { f: 0 }, data_format: str('NHWC'), is_training: { b: false } });
  const mp = m.op('mp', 'MaxPool', [bn], { ksize: ints([1, 3, 3, 1]), strides: ints([1, 2, 2, 1]), padding: str('SAME'), data_format: str('NHWC') });
  const ap = m.op('ap', 'AvgPool', [bn], { ksize: ints([1, 2, 2, 1]), strides: ints([1, 2, 2, 1]), padding: str('VALID'), data_format: str('NHWC') });
  const cat = m.op('cat', 'ConcatV2', [mp, ap, m.konst('cat/axis', [], [3], 'int32')], { N: { i: '2' } });
  const m1 = m.op('meanH', 'Mean', [cat, m.konst('meanH/axes', [1], [1], 'int32')], { keep_dims: { b: false } });
  const f = m.op('flat', 'Reshape', [m1, m.konst('flat/shape', [2], [-1, 20], 'int32')]);
  const r4 = m.op('r4', 'Reshape', [f, m.konst('r4/shape', [4], [-1, 2, 2, 5], 'int32')]);
  m.op('out', 'Sigmoid', [r4]);
  const g = m.op('gap', 'Mean', [cat, m.konst('gap/axes', [2], [1, 2], 'int32')], { keep_dims: { b: false } });
  m.op('vec', 'Tanh', [g]);
  return m;
}

test('second synthetic graph (batch norms, pools, Prelu, ConcatV2, 4D Mean, 4D reshapes): ORT and TfGraph equal TF.js to 1e-4', async () => {
  const file = await synthetic2().write('more.json');
  const probes = { c: 'c', pc: 'pc', pr: 'pr', bn1: 'bn1', bn2: 'bn2', mp: 'mp', ap: 'ap', cat: 'cat', meanH: 'meanH', flat: 'flat', r4: 'r4', out: 'out', vec: 'vec' };
  const model = await loadTfjsGraphModel(file, { probes });
  assert.deepEqual(model.probes.find((p) => p.name === 'meanH')!.shape, [2, 10]);
  const ref = await referenceGraphModel(file);
  const errs = await compareWithReference(model, ref, randomNhwc(2, 8, 8, 9), 2, 1e-4);
  console.log('# relative errors', JSON.stringify(errs));
  ref.dispose();
});

test('the PReLU pattern becomes one ONNX PRelu node, and no Abs is left', async () => {
  const { decodeModel } = await import('../../src/engine/onnx/proto.ts');
  const model = await loadTfjsGraphModel(await synthetic().write('prelu.json'));
  const ops = (decodeModel(model.onnx).graph!.node ?? []).map((n) => n.opType);
  assert.equal(ops.filter((o) => o === 'PRelu').length, 1);
  assert.ok(!ops.includes('Abs'), ops.join(','));
});

test('an unsupported op is a named error', async () => {
  const file = await synthetic((m) => {
    m.op('emb2', 'Cumsum', ['emb', m.konst('cs/axis', [], [1], 'int32')]);
  }).write('bad-op.json');
  await assert.rejects(loadTfjsGraphModel(file), /bad-op\.json: node "emb2" \(op Cumsum\): unsupported op Cumsum/);
});

test('unknown probe node: the error lists candidates', async () => {
  const file = await synthetic().write('probe.json');
  await assert.rejects(loadTfjsGraphModel(file, { probes: { x: 'no/such/node' } }), (e: Error) => {
    assert.match(e.message, /probe\.json: probe x: "no\/such\/node" is not a node/);
    assert.match(e.message, /candidates: .*stem\/conv.*dw2\/conv/);
    return true;
  });
});

test('missing shard and bad JSON are named errors', async () => {
  const noShard = await synthetic().write('noshard.json', { dropShard: true });
  await assert.rejects(loadTfjsGraphModel(noShard), /noshard\.json: weight shard noshard\.bin cannot be read \(ENOENT\)/);
  const bad = path.join(dir, 'bad.json');
  await writeFile(bad, '{"modelTopology": ');
  await assert.rejects(loadTfjsGraphModel(bad), /bad\.json: not valid JSON/);
});
