/**
 * The Clip backward rule of the ONNX Runtime backward graphs (ort/backward-rules.ts):
 * - 'gradient' on Conv 3x3 -> Clip -> Conv 1x1 equals central finite differences of the same net
 *   written here in float64 (piecewise linear, so exact away from the kinks), for Clip(0, 6),
 *   Clip with no max, and Clip with no min (empty input name) and a Constant-node max;
 * - 'deconv' / 'guided' (and 'gradient' at the bounds) on a bare Clip against hand-computed values,
 *   on ONNX Runtime and on TfGraph (which follows the same rules);
 * - the attribute form (opsets < 11) and the unsupported cases, on the rule itself;
 * - the built-in faceres: ORT = TfGraph under the three rules, and its Grad-CAM graph builds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import { GraphBuilder } from '../../src/engine/onnx/builder.ts';
import { encodeAttr, encodeModel, onnx, TensorDataType, type NodeProto, type TensorProto } from '../../src/engine/onnx/proto.ts';
import { Gen, UnsupportedOpError } from '../../src/engine/ort/backward-gen.ts';
import { BACKWARD_RULES, type BackwardContext } from '../../src/engine/ort/backward-rules.ts';
import type { ReluRule } from '../../src/engine/tfjs/relu-rules.ts';
import { findProbe, type FaceModel } from '../../src/models/face-model.ts';
import { centralDiff, testModel, vjp } from './backward-helpers.ts';
import { conv1x1, conv3x3, mulberry32, randn, relErr } from './helpers.ts';

// ---- finite differences on Conv 3x3 -> Clip -> Conv 1x1 -------------------------------------

const C = 3, H = 5, W = 5, M = 4, O = 2;
const rng = mulberry32(7);
const w1 = randn(rng, M * C * 9);
const b1 = randn(rng, M, 0.5);
const w2 = randn(rng, O * M);
const b2 = randn(rng, O, 0.5);

type ClipForm = 'min-max' | 'no-max' | 'no-min';
const BOUNDS: Record<ClipForm, [number, number]> = { 'min-max': [0, 6], 'no-max': [0.5, Infinity], 'no-min': [-Infinity, 2] };

function clipNet(form: ClipForm): Uint8Array {
  const b = new GraphBuilder(`clip-${form}`);
  const x = b.input('x', ['N', C, H, W]);
  const c1 = b.node('Conv', [x, b.weight('w1', [M, C, 3, 3], w1), b.weight('b1', [M], b1)], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, 'pre');
  const [lo, hi] = BOUNDS[form];
  let y: string;
  if (form === 'min-max') y = b.node('Clip', [c1, b.weight('lo', [], new Float32Array([lo])), b.weight('hi', [], new Float32Array([hi]))]);
  else if (form === 'no-max') y = b.node('Clip', [c1, b.weight('lo', [], new Float32Array([lo]))]);
  else {
    const hiConst = b.node('Constant', [], {}, 'hi');
    b.nodes[b.nodes.length - 1].attribute = [{ name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t: { dims: [], dataType: TensorDataType.FLOAT, floatData: [hi] } }];
    y = b.node('Clip', [c1, '', hiConst]);
  }
  b.node('Conv', [y, b.weight('w2', [O, M, 1, 1], w2), b.weight('b2', [O], b2)], { kernel_shape: [1, 1] }, 'z');
  b.output('z', ['N', O, H, W]);
  return b.build(17);
}

/** The net in float64: pre-activations and z for one image (C x H x W). */
function forward64(x: ArrayLike<number>, lo: number, hi: number): { pre: Float64Array; z: Float64Array } {
  const pre = conv3x3(x, C, M, H, W, w1, b1);
  return { pre, z: conv1x1(pre.map((p) => Math.min(Math.max(p, lo), hi)), M, O, H * W, w2, b2) };
}

/** Central differences of sum(mask * z) with respect to each input value (float64). */
function finiteDiff(x: Float32Array, mask: ArrayLike<number>, lo: number, hi: number): Float64Array {
  return centralDiff((v) => forward64(v, lo, hi).z.reduce((s, zi, k) => s + mask[k] * zi, 0), x);
}

for (const form of ['min-max', 'no-max', 'no-min'] as ClipForm[]) {
  test(`Clip ${form} [${BOUNDS[form].join(', ')}]: ORT 'gradient' = finite differences, units in every region`, async () => {
    const [lo, hi] = BOUNDS[form];
    const batch = 2;
    const per = C * H * W;
    const input = randn(mulberry32(31), batch * per, 2);
    const mask = randn(mulberry32(32), batch * O * H * W);
    const r = await vjp(testModel(`clip-${form}`, clipNet(form), H, W, [O, H, W]), 'gradient', input, batch, mask);
    for (let n = 0; n < batch; n++) {
      const x = input.subarray(n * per, (n + 1) * per);
      const m = mask.subarray(n * O * H * W, (n + 1) * O * H * W);
      const { pre, z } = forward64(x, lo, hi);
      assert.ok(relErr(r.value.subarray(n * O * H * W, (n + 1) * O * H * W), z) < 1e-5, 'ORT forward = float64 forward');
      // Every region is populated, and no unit sits so near a bound that float32 or eps flips it.
      const below = pre.filter((p) => p < lo).length, above = pre.filter((p) => p > hi).length;
      const inside = pre.length - below - above;
      for (const [what, count, need] of [['below', below, Number.isFinite(lo)], ['inside', inside, true], ['above', above, Number.isFinite(hi)]] as const)
        if (need) assert.ok(count >= 5, `image ${n}: only ${count} units ${what} the clip range`);
      const margin = Math.min(...pre.map((p) => Math.min(Math.abs(p - lo), Math.abs(p - hi))));
      assert.ok(margin > 1e-2, `image ${n}: a unit ${margin} from a bound`);
      const fd = finiteDiff(x, m, lo, hi);
      const e = relErr(r.grad.subarray(n * per, (n + 1) * per), fd);
      assert.ok(e < 1e-5, `image ${n}: relative error ${e.toExponential(2)} against finite differences`);
      // The bounds matter here: without them the gradient is far off (so a rule ignoring one fails).
      const unclipped = finiteDiff(x, m, -Infinity, Infinity);
      assert.ok(relErr(unclipped, fd) > 0.05, 'the clip changes the gradient');
      if (Number.isFinite(hi)) assert.ok(relErr(finiteDiff(x, m, lo, Infinity), fd) > 0.05, 'the upper bound changes the gradient');
      if (Number.isFinite(lo)) assert.ok(relErr(finiteDiff(x, m, -Infinity, hi), fd) > 0.05, 'the lower bound changes the gradient');
    }
  });
}

// ---- deconv / guided on a bare Clip, by hand ----------------------------------------------------

/** x -> Clip -> z on 6 values (1 x 3 x 1 x 2): one below, one on each bound, inside, above. */
const X = new Float32Array([-1, 0, 3, 5, 6, 8]);
const DY = new Float32Array([0.5, -2, 1.5, -1, 3, -0.7]);

function bareClip(lo: number | undefined, hi: number | undefined): FaceModel {
  const b = new GraphBuilder('bare-clip');
  const x = b.input('x', ['N', 3, 1, 2]);
  const ins = [x, lo === undefined ? '' : b.weight('lo', [], new Float32Array([lo]))];
  if (hi !== undefined) ins.push(b.weight('hi', [], new Float32Array([hi])));
  b.node('Clip', ins, {}, 'z');
  b.output('z', ['N', 3, 1, 2]);
  return testModel('bare-clip', b.build(17), 1, 2, [3, 1, 2]);
}

/** Hand-computed dx for DY at X (see the rule's definition in ort/backward-rules.ts). */
const EXPECTED_VALUES: Record<string, Record<ReluRule, number[]>> = {
  // inside = 0 < x < 6: only x = 3 and x = 5 (the bounds themselves pass 0)
  'Clip(0, 6)': { gradient: [0, 0, 1.5, -1, 0, 0], deconv: [0.5, 0, 1.5, 0, 3, 0], guided: [0, 0, 1.5, 0, 0, 0] },
  // no lower bound: nothing rectifies the signal; inside = x < 2
  'Clip(-, 2)': { gradient: [0.5, -2, 0, 0, 0, 0], deconv: [0.5, -2, 1.5, -1, 3, -0.7], guided: [0.5, -2, 0, 0, 0, 0] },
  // no upper bound: inside = x > 0
  'Clip(0, -)': { gradient: [0, 0, 1.5, -1, 3, -0.7], deconv: [0.5, 0, 1.5, 0, 3, 0], guided: [0, 0, 1.5, 0, 3, 0] },
};
/** As float32 values (what the engines return). */
const EXPECTED = Object.fromEntries(
  Object.entries(EXPECTED_VALUES).map(([k, rules]) => [k, Object.fromEntries(Object.entries(rules).map(([r, v]) => [r, [...Float32Array.from(v)]])) as Record<ReluRule, number[]>]),
);
const BARE: Record<string, [number | undefined, number | undefined]> = { 'Clip(0, 6)': [0, 6], 'Clip(-, 2)': [undefined, 2], 'Clip(0, -)': [0, undefined] };

for (const [name, [lo, hi]] of Object.entries(BARE)) {
  test(`${name}: ORT and TfGraph 'deconv' / 'guided' / 'gradient' = hand-computed values`, async () => {
    const model = bareClip(lo, hi);
    for (const rule of ['gradient', 'deconv', 'guided'] as ReluRule[]) {
      const o = await vjp(model, rule, X, 1, DY);
      assert.deepEqual([...o.value], [...X].map((v) => Math.min(Math.max(v, lo ?? -Infinity), hi ?? Infinity)));
      assert.deepEqual([...o.grad], EXPECTED[name][rule], `ORT ${rule}`);
      const t = await vjp(model, rule, X, 1, DY, 'z', 'tfjs');
      // TF.js' own clip gradient counts the bounds as inside; the rules agree everywhere else.
      const onBound = (k: number) => X[k] === lo || X[k] === hi;
      const keep = (a: ArrayLike<number>) => Array.from(a).filter((_, k) => rule !== 'gradient' || !onBound(k)).map((v) => v + 0); // -0 -> 0
      assert.deepEqual(keep(t.grad), keep(EXPECTED[name][rule]), `TfGraph ${rule}`);
    }
  });
}

// ---- the rule itself: attribute form, unsupported bounds -----------------------------------------

/** Runs BACKWARD_RULES.Clip on `node` with output y = clip(X) given, and evaluates its dx for DY. */
async function runRule(node: NodeProto, rule: ReluRule, y: Float32Array, opts: { consts?: Record<string, TensorProto>; dependent?: string[] } = {}): Promise<number[]> {
  const g = new Gen(new Set(['x', 'y', 'gy']));
  let dx: string | undefined;
  const cx: BackwardContext = {
    g,
    node,
    op: 'Clip',
    ins: node.input ?? [],
    x: 'x',
    out: 'y',
    gy: 'gy',
    rule,
    conv: 'auto',
    forward: node,
    opset: 17,
    depends: (v) => v === 'x' || (opts.dependent ?? []).includes(v),
    shape: () => [6],
    constant: (n) => (n ? opts.consts?.[n] : undefined),
    addGrad: (v, gv) => {
      assert.equal(v, 'x');
      dx = gv;
    },
    unsupported: (detail = '') => new UnsupportedOpError('Clip', 'clip', detail),
  };
  BACKWARD_RULES.Clip(cx);
  assert.ok(dx, 'the rule adds a gradient to x');
  const info = (name: string) => ({ name, type: { tensorType: { elemType: TensorDataType.FLOAT, shape: { dim: [{ dimValue: 6 }] } } } });
  const bytes = encodeModel({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: { name: 'rule', node: [...g.nodes, { opType: 'Identity', input: [dx], output: ['dx'] }], initializer: g.inits, input: [info('y'), info('gy')], output: [info('dx')] },
  });
  const s = await ort.InferenceSession.create(bytes);
  try {
    const out = await s.run({ y: new ort.Tensor('float32', y, [6]), gy: new ort.Tensor('float32', DY, [6]) });
    return [...(out.dx.data as Float32Array)];
  } finally {
    await s.release();
  }
}

const clip06 = new Float32Array([0, 0, 3, 5, 6, 6]);

test('Clip attribute form (opsets < 11): min / max attributes give the same rules as the inputs', async () => {
  const node: NodeProto = { opType: 'Clip', input: ['x'], output: ['y'], attribute: [encodeAttr('min', 0, true), encodeAttr('max', 6, true)] };
  for (const rule of ['gradient', 'deconv', 'guided'] as ReluRule[]) assert.deepEqual(await runRule(node, rule, clip06), EXPECTED['Clip(0, 6)'][rule], rule);
  // No attributes and no bound inputs: no mask and no lower bound, so dx = dy under every rule.
  const bare: NodeProto = { opType: 'Clip', input: ['x'], output: ['y'], attribute: [] };
  for (const rule of ['gradient', 'deconv', 'guided'] as ReluRule[]) assert.deepEqual(await runRule(bare, rule, X), [...DY], `unbounded ${rule}`);
  // Infinite bounds (the TF.js converter's Maximum / Minimum) count as absent.
  const inf: NodeProto = { opType: 'Clip', input: ['x', 'lo', 'hi'], output: ['y'], attribute: [] };
  const scalar = (v: number): TensorProto => ({ dims: [], dataType: TensorDataType.FLOAT, floatData: [v] });
  const got = await runRule(inf, 'deconv', X, { consts: { lo: scalar(-Infinity), hi: scalar(2) } });
  assert.deepEqual(got, EXPECTED['Clip(-, 2)'].deconv);
});

test('Clip with an input-dependent, non-constant or non-scalar bound is unsupported (the caller falls back)', async () => {
  const node: NodeProto = { opType: 'Clip', input: ['x', 'lo', 'hi'], output: ['y'], attribute: [] };
  const six: TensorProto = { dims: [], dataType: TensorDataType.FLOAT, floatData: [6] };
  await assert.rejects(runRule(node, 'gradient', clip06, { consts: { hi: six }, dependent: ['lo'] }), /unsupported op "Clip".*input-dependent min/);
  await assert.rejects(runRule(node, 'gradient', clip06, { consts: { hi: six } }), /unsupported op "Clip".*min not constant/);
  const two: TensorProto = { dims: [2], dataType: TensorDataType.FLOAT, floatData: [0, 1] };
  await assert.rejects(runRule(node, 'gradient', clip06, { consts: { lo: two, hi: six } }), /unsupported op "Clip".*min is not a scalar/);
});

// ---- the built-in ReLU6 model ---------------------------------------------------------------------

test('faceres (MobileNet, ReLU6 as Clip): ORT backward graphs = TfGraph under all three rules, and its similarity Grad-CAM builds', async () => {
  const { loadModel } = await import('../../src/models/registry.ts');
  const { LayerCam } = await import('../../src/analyses/explain/layer-cam.ts');
  const m = await loadModel('faceres');
  const embedding = findProbe(m, 'embedding');
  const input = randn(mulberry32(3), 3 * 224 * 224, 40); // pixel values minus the mean colour
  const mask = randn(mulberry32(4), 1024);
  for (const rule of ['gradient', 'deconv', 'guided'] as ReluRule[]) {
    const o = await vjp(m, rule, input, 1, mask, embedding.tensor);
    const t = await vjp(m, rule, input, 1, mask, embedding.tensor, 'tfjs');
    assert.ok(relErr(o.value, t.value) < 1e-4, `${rule}: embedding values`);
    const e = relErr(o.grad, t.grad);
    assert.ok(e < 1e-4 && t.grad.some((v) => v !== 0), `${rule}: ORT vs TfGraph gradient, relative error ${e.toExponential(2)}`);
  }
  const cam = await LayerCam.create(m, 'map14', embedding);
  try {
    const map = await cam.map(input, mask);
    assert.equal(map.length, 224 * 224);
    assert.ok(map.every(Number.isFinite) && map.some((v) => v !== 0), 'a finite, non-zero CAM');
  } finally {
    await cam.release();
  }
});
