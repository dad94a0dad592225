/**
 * The element-wise backward rules of the ONNX Runtime backward graphs (ort/backward-rules.ts) for
 * the units of MobileNetV3 / EfficientNet / GhostNet / ViT exports: Tanh, Exp, Log, Neg, Abs,
 * Softplus, HardSigmoid, HardSwish, Pow (constant exponent), Erf (also as PyTorch's GELU) and
 * Reciprocal.
 * - one test per op (and per attribute / exponent variant): on Conv 3x3 -> op -> Conv 1x1, the
 *   generated gradient equals central finite differences of the same net written here in float64,
 *   under all three rules (no rectifier, so the rules agree); for the piecewise ops every region
 *   holds pre-activations and none lies within 1e-2 of a kink; Log / Reciprocal / Pow 0.5 see only
 *   pre-activations well inside their domain;
 * - at the kinks, on a bare op against hand-computed values: Abs passes 0 at 0, HardSigmoid 0 at
 *   its breakpoints, HardSwish 0 at -3 and dy at 3 (the strict convention of the ReLU / Clip rules);
 * - Pow with an input-dependent or non-scalar exponent is refused by its rule.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphBuilder } from '../../src/engine/onnx/builder.ts';
import { buildBackwardModel, UnsupportedOpError } from '../../src/engine/ort/backward.ts';
import { assertFiniteDiffGradient, convOpNet, testModel, vjp, type ConvOpWeights } from './backward-helpers.ts';
import { conv3x3, mulberry32, randn, relErr } from './helpers.ts';

const TOL = 1e-4;
/** How close to a kink a pre-activation may lie (float32 rounding or the finite-difference step would straddle it). */
const KINK_MARGIN = 1e-2;
/** Pre-activations each region of a piecewise op must hold, per image. */
const MIN_PER_REGION = 5;

const C = 3, H = 5, W = 5, M = 4, O = 2;
const rng = mulberry32(13);
const w1 = randn(rng, M * C * 9, 0.5);
const b1 = randn(rng, M, 0.5);
const w2 = randn(rng, O * M);
const b2 = randn(rng, O, 0.5);

/**
 * erf in float64 (JavaScript has no Math.erf, and TF.js' is float32):
 * erf(x) = 2/sqrt(pi) e^(-x^2) sum_n 2^n x^(2n+1) / (1 3 5 ... (2n+1)), a series of terms of one sign
 * (no cancellation) that converges for every x; |erf(x)| rounds to 1 in float64 beyond |x| = 6.
 */
function erf64(x: number): number {
  if (Math.abs(x) > 6) return Math.sign(x);
  let term = x;
  let sum = x;
  for (let n = 1; Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
    term *= (2 * x * x) / (2 * n + 1);
    sum += term;
  }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
}

const hardSigmoid64 = (p: number, alpha: number, beta: number) => Math.max(0, Math.min(1, alpha * p + beta));

/** One op under test. */
interface Case {
  name: string;
  /** Emits the op on the pre-activations (a single node of `op` with `attrs` unless given). */
  op: string;
  attrs?: Record<string, number>;
  /** Pow: the constant scalar exponent (second input). */
  exponent?: number;
  /** A composite unit instead of one node (GELU). */
  emit?: (b: GraphBuilder, pre: string) => string;
  /** The unit in float64. */
  f: (p: number) => number;
  /** Where the derivative jumps: every region between holds pre-activations, none lies near one. */
  kinks?: number[];
  /** The least pre-activation allowed (Log, Reciprocal, Pow 0.5: away from 0). */
  min?: number;
  /**
   * Pre-activations = gain * (Conv 3x3) + shift (defaults 1 and 0), to place them where the unit is
   * interesting; for piecewise ops the shift is then nudged off the kinks (see `placedShift`).
   */
  gain?: number;
  shift?: number;
}

const CASES: Case[] = [
  { name: 'Tanh', op: 'Tanh', f: Math.tanh, gain: 0.5 },
  { name: 'Exp', op: 'Exp', f: Math.exp, gain: 0.5 },
  { name: 'Log', op: 'Log', f: Math.log, gain: 0.5, shift: 6, min: 0.5 },
  { name: 'Neg', op: 'Neg', f: (p) => -p },
  { name: 'Abs', op: 'Abs', f: Math.abs, kinks: [0] },
  { name: 'Softplus', op: 'Softplus', f: (p) => Math.log1p(Math.exp(p)) },
  { name: 'HardSigmoid (default alpha 0.2, beta 0.5)', op: 'HardSigmoid', f: (p) => hardSigmoid64(p, 0.2, 0.5), kinks: [-2.5, 2.5] },
  { name: 'HardSigmoid alpha 0.3 beta 0.6', op: 'HardSigmoid', attrs: { alpha: 0.3, beta: 0.6 }, f: (p) => hardSigmoid64(p, 0.3, 0.6), kinks: [-2, 4 / 3] },
  { name: 'HardSwish', op: 'HardSwish', f: (p) => p * hardSigmoid64(p, 1 / 6, 0.5), kinks: [-3, 3], gain: 1.3 },
  { name: 'Pow 2', op: 'Pow', exponent: 2, f: (p) => p ** 2 },
  { name: 'Pow 3', op: 'Pow', exponent: 3, f: (p) => p ** 3 },
  { name: 'Pow 0.5', op: 'Pow', exponent: 0.5, f: Math.sqrt, gain: 0.5, shift: 6, min: 0.5 },
  { name: 'Erf', op: 'Erf', f: erf64, gain: 0.5 },
  {
    name: 'GELU as PyTorch exports it, x 0.5 (1 + Erf(x / sqrt 2))',
    op: 'Erf',
    emit: (b, pre) => {
      const s = (name: string, v: number) => b.weight(name, [], new Float32Array([v]));
      const e = b.node('Erf', [b.node('Div', [pre, s('sqrt2', Math.SQRT2)])]);
      return b.node('Mul', [b.node('Mul', [pre, b.node('Add', [e, s('one', 1)])]), s('half', 0.5)]);
    },
    f: (p) => 0.5 * p * (1 + erf64(p / Math.SQRT2)),
  },
  { name: 'Reciprocal', op: 'Reciprocal', f: (p) => 1 / p, gain: 0.5, shift: 6, min: 0.5 },
];

/** What keeps these pre-activations from exercising the case's derivative, or undefined. */
function problem(c: Case, pre: Float64Array): string | undefined {
  const lowest = Math.min(...pre);
  if (c.min !== undefined && lowest < c.min) return `a pre-activation ${lowest} below ${c.min}`;
  const kinks = c.kinks ?? [];
  for (const k of kinks) {
    const near = Math.min(...pre.map((p) => Math.abs(p - k)));
    if (near < KINK_MARGIN) return `a pre-activation ${near} from the kink at ${k}`;
  }
  const bounds = [-Infinity, ...kinks, Infinity];
  for (let r = 0; r + 1 < bounds.length; r++) {
    const n = pre.filter((p) => p > bounds[r] && p < bounds[r + 1]).length;
    if (kinks.length && n < MIN_PER_REGION) return `only ${n} pre-activations in (${bounds[r]}, ${bounds[r + 1]})`;
  }
  return undefined;
}

/**
 * c.shift, or for a piecewise op the first of c.shift + 0, 0.03, 0.06, ... that leaves every image's
 * pre-activations (`pre0`, without shift) at least KINK_MARGIN from each kink: random inputs put
 * one of ~100 units per image within 1e-2 of some kink more often than not.
 */
function placedShift(c: Case, pre0: Float64Array[]): number {
  const base = c.shift ?? 0;
  if (!c.kinks) return base;
  for (let k = 0; k < 30; k++) {
    const s = base + 0.03 * k;
    if (pre0.every((pre) => c.kinks!.every((kink) => pre.every((p) => Math.abs(p + s - kink) >= KINK_MARGIN)))) return s;
  }
  throw new Error(`${c.name}: no shift places the pre-activations off the kinks`);
}

for (const c of CASES) {
  const what = c.kinks ? `, pre-activations in each of its ${c.kinks.length + 1} regions, none within ${KINK_MARGIN} of a kink` : '';
  test(`${c.name}: ORT gradient = float64 finite differences under all three rules${what}`, async () => {
    const batch = 2;
    const per = C * H * W;
    const input = randn(mulberry32(41), batch * per);
    const gain = c.gain ?? 1;
    const gw1 = w1.map((v) => v * gain), gb1 = b1.map((v) => v * gain);
    const pre0 = Array.from({ length: batch }, (_, n) => conv3x3(input.subarray(n * per, (n + 1) * per), C, M, H, W, gw1, gb1));
    const shift = placedShift(c, pre0);
    const wt: ConvOpWeights = { C, H, W, M, O, w1: gw1, b1: gb1.map((v) => v + shift), w2, b2 };
    const emit =
      c.emit ??
      ((b: GraphBuilder, pre: string) => b.node(c.op, c.exponent === undefined ? [pre] : [pre, b.weight('exponent', [], new Float32Array([c.exponent]))], c.attrs ?? {}));
    const act64 = (a: Float64Array) => {
      const pre = a.slice();
      a.forEach((p, k) => (a[k] = c.f(p)));
      return pre;
    };
    const net = convOpNet(`conv-${c.op.toLowerCase()}`, wt, emit, act64, (pre) => problem(c, pre));
    await assertFiniteDiffGradient(net, input, randn(mulberry32(42), batch * O * H * W), batch, TOL);
  });
}

test('Pow with an input-dependent or a non-scalar exponent is refused by its rule; a scalar one builds', () => {
  const spec = { input: 'x', output: 'z', rule: 'gradient', upstream: 'mask' } as const;
  const shapes = new Map([['z', [1, 3, 2, 2]]]);
  const powNet = (exponent: (b: GraphBuilder, x: string) => string) => {
    const b = new GraphBuilder('pow');
    const x = b.input('x', ['N', 3, 2, 2]);
    b.node('Pow', [x, exponent(b, x)], {}, 'z');
    b.output('z', ['N', 3, 2, 2]);
    return b.build(17);
  };
  const refused = (detail: RegExp) => (e: unknown) => e instanceof UnsupportedOpError && e.op === 'Pow' && detail.test(e.message);
  assert.throws(() => buildBackwardModel(powNet((b, x) => b.node('Abs', [x])), spec, shapes), refused(/input-dependent exponent/));
  assert.throws(() => buildBackwardModel(powNet((b) => b.weight('e', [3, 1, 1], new Float32Array([1, 2, 3]))), spec, shapes), refused(/exponent is not a scalar/));
  assert.ok(buildBackwardModel(powNet((b) => b.weight('e', [1], new Float32Array([2]))), spec, shapes).length > 0);
});

test("at the kinks, 'gradient' = hand-computed values: Abs 0 at 0, HardSigmoid 0 at its breakpoints, HardSwish 0 at -3 and dy at 3", async () => {
  const X = new Float32Array([-3, -2.5, 0, 1, 2.5, 3]);
  const DY = new Float32Array([0.5, -2, 1.5, -1, 3, -0.7]);
  const expected: Record<string, number[]> = {
    Abs: [-0.5, 2, 0, -1, 3, -0.7],
    HardSigmoid: [0, 0, 0.2 * 1.5, 0.2 * -1, 0, 0],
    // (2x + 3) / 6 strictly inside (-3, 3); the gate counts as saturated at -3 (slope 0) and at 3 (slope 1).
    HardSwish: [0, ((2 * -2.5 + 3) / 6) * -2, 0.5 * 1.5, ((2 * 1 + 3) / 6) * -1, ((2 * 2.5 + 3) / 6) * 3, -0.7],
  };
  for (const [op, want] of Object.entries(expected)) {
    const b = new GraphBuilder(`bare-${op}`);
    b.node(op, [b.input('x', ['N', 3, 1, 2])], {}, 'z');
    b.output('z', ['N', 3, 1, 2]);
    const r = await vjp(testModel(`bare-${op}`, b.build(17), 1, 2, [3, 1, 2]), 'gradient', X, 1, DY);
    const e = relErr(r.grad, want);
    assert.ok(e < 1e-6, `${op}: got [${[...r.grad]}], want [${want}]`);
  }
});
