/**
 * Relu backward rules on a tiny net: Conv 3x3 -> Relu (or PRelu) -> MaxPool 2x2/2 -> Conv 1x1 -> Relu.
 * 'gradient' must equal tf.grad of a plain TF.js implementation; all three rules must equal a
 * backward pass written here with plain loops.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/engine/tfjs/backend.js';
import { TfGraph, type ReluRule } from '../../src/engine/tfjs/graph.js';
import { GraphBuilder } from '../../src/engine/onnx/builder.js';
import { conv3x3, mulberry32, randn, relErr } from './helpers.js';

const N = 2, C = 2, H = 6, W = 6, M = 3, O = 2;
const rng = mulberry32(21);
const x = randn(rng, N * C * H * W);
const w1 = randn(rng, M * C * 9, 0.5);
const b1 = randn(rng, M, 0.2);
const w2 = new Float32Array([0.8, -0.5, 0.3, -0.4, 0.7, 0.2]); // mixed signs: both outputs partly active
const b2 = new Float32Array([0.4, 0.1]);
const slopes = new Float32Array([0.1, 0.3, 0.05]);
const dy = randn(rng, N * O * (H / 2) * (W / 2));

function buildNet(prelu: boolean): Uint8Array {
  const b = new GraphBuilder('tiny');
  const xin = b.input('x', [N, C, H, W]);
  const c1 = b.node('Conv', [xin, b.weight('w1', [M, C, 3, 3], w1), b.weight('b1', [M], b1)], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
  const r1 = prelu ? b.node('PRelu', [c1, b.weight('slope', [M, 1, 1], slopes)]) : b.node('Relu', [c1]);
  const p = b.node('MaxPool', [r1], { kernel_shape: [2, 2], strides: [2, 2] });
  const c2 = b.node('Conv', [p, b.weight('w2', [O, M, 1, 1], w2), b.weight('b2', [O], b2)], { kernel_shape: [1, 1] }, 'z');
  b.node('Relu', [c2], {}, 'out');
  b.output('out', [N, O, H / 2, W / 2]);
  return b.build(13);
}

/** Backward of y = x (x > 0), slope * x (else), under a rule. */
function actBack(g: number, pre: number, slope: number, rule: ReluRule): number {
  const local = pre > 0 ? 1 : slope;
  if (rule === 'gradient') return g * local;
  if (rule === 'deconv') return g > 0 ? g : slope * g;
  return Math.max(g, 0) * local;
}

/** Forward and backward with plain loops (NCHW). slope1 = 0 for Relu. */
function handWritten(rule: ReluRule, slope1: Float32Array): Float32Array {
  const Hp = H / 2, Wp = W / 2;
  const gx = new Float32Array(N * C * H * W);
  for (let n = 0; n < N; n++) {
    // conv1 (pads 1) and activation
    const y1 = Float32Array.from(conv3x3(x.subarray(n * C * H * W, (n + 1) * C * H * W), C, M, H, W, w1, b1));
    const r1 = y1.map((s, k) => (s > 0 ? s : slope1[Math.floor(k / (H * W))] * s));
    // max pool 2x2/2 with switches (first maximum in scan order)
    const pv = new Float32Array(M * Hp * Wp);
    const arg = new Int32Array(M * Hp * Wp);
    for (let m = 0; m < M; m++)
      for (let i = 0; i < Hp; i++)
        for (let j = 0; j < Wp; j++) {
          let best = -Infinity, at = -1;
          for (let a = 0; a < 2; a++)
            for (let b = 0; b < 2; b++) {
              const idx = (m * H + 2 * i + a) * W + 2 * j + b;
              if (r1[idx] > best) {
                best = r1[idx];
                at = idx;
              }
            }
          pv[(m * Hp + i) * Wp + j] = best;
          arg[(m * Hp + i) * Wp + j] = at;
        }
    // conv2 1x1, relu; backward from dy
    const gp = new Float32Array(M * Hp * Wp);
    for (let o = 0; o < O; o++)
      for (let q = 0; q < Hp * Wp; q++) {
        let z = b2[o];
        for (let m = 0; m < M; m++) z += w2[o * M + m] * pv[m * Hp * Wp + q];
        const gz = actBack(dy[(n * O + o) * Hp * Wp + q], z, 0, rule);
        for (let m = 0; m < M; m++) gp[m * Hp * Wp + q] += w2[o * M + m] * gz;
      }
    // unpool through the switches, activation backward
    const gy1 = new Float32Array(M * H * W);
    for (let k = 0; k < gp.length; k++) gy1[arg[k]] += gp[k];
    for (let k = 0; k < gy1.length; k++) gy1[k] = actBack(gy1[k], y1[k], slope1[Math.floor(k / (H * W))], rule);
    // transposed conv1
    for (let m = 0; m < M; m++)
      for (let i = 0; i < H; i++)
        for (let j = 0; j < W; j++) {
          const g = gy1[(m * H + i) * W + j];
          if (g === 0) continue;
          for (let c = 0; c < C; c++)
            for (let ki = 0; ki < 3; ki++)
              for (let kj = 0; kj < 3; kj++) {
                const yi = i + ki - 1, xj = j + kj - 1;
                if (yi < 0 || yi >= H || xj < 0 || xj >= W) continue;
                gx[((n * C + c) * H + yi) * W + xj] += w1[((m * C + c) * 3 + ki) * 3 + kj] * g;
              }
        }
  }
  return gx;
}

/** The same net in plain TF.js ops (NHWC), differentiated by tf.grad. */
function plainTfGradient(prelu: boolean): Float32Array {
  return tf.tidy(() => {
    const f1 = tf.transpose(tf.tensor4d(w1, [M, C, 3, 3]), [2, 3, 1, 0]) as tf.Tensor4D;
    const f2 = tf.transpose(tf.tensor4d(w2, [O, M, 1, 1]), [2, 3, 1, 0]) as tf.Tensor4D;
    const net = (xin: tf.Tensor) => {
      const xh = tf.transpose(xin, [0, 2, 3, 1]) as tf.Tensor4D;
      const y1 = tf.add(tf.conv2d(xh, f1, 1, 'same'), tf.tensor1d(b1)) as tf.Tensor4D;
      const r1 = prelu ? tf.prelu(y1, tf.tensor1d(slopes) as unknown as tf.Tensor4D) : tf.relu(y1);
      const p = tf.maxPool(r1 as tf.Tensor4D, 2, 2, 'valid');
      const z = tf.relu(tf.add(tf.conv2d(p, f2, 1, 'valid'), tf.tensor1d(b2)));
      return tf.transpose(z, [0, 3, 1, 2]);
    };
    const g = tf.grad(net)(tf.tensor4d(x, [N, C, H, W]), tf.tensor4d(dy, [N, O, H / 2, W / 2]));
    return g.dataSync() as Float32Array;
  });
}

for (const prelu of [false, true]) {
  const label = prelu ? 'PRelu' : 'Relu';
  const slope1 = prelu ? slopes : new Float32Array(M);

  test(`${label}: 'gradient' equals tf.grad of a plain TF.js implementation`, async () => {
    const g = await TfGraph.fromOnnx(buildNet(prelu));
    const gx = tf.tidy(() => g.vjp(tf.tensor4d(x, [N, C, H, W]), 'out', tf.tensor4d(dy, [N, O, H / 2, W / 2]), 'gradient').dataSync());
    const err = relErr(gx, plainTfGradient(prelu));
    g.dispose();
    assert.ok(err < 1e-5, `rel err ${err}`);
  });

  for (const rule of ['gradient', 'deconv', 'guided'] as ReluRule[]) {
    test(`${label}: '${rule}' equals the hand-written backward pass`, async () => {
      const g = await TfGraph.fromOnnx(buildNet(prelu));
      const vjp = () => tf.tidy(() => g.vjp(tf.tensor4d(x, [N, C, H, W]), 'out', tf.tensor4d(dy, [N, O, H / 2, W / 2]), rule).dataSync());
      vjp(); // the first call may cache aligned constants (kept until dispose)
      const before = tf.memory().numTensors;
      const gx = vjp();
      assert.equal(tf.memory().numTensors, before, 'vjp leaked tensors');
      const ref = handWritten(rule, slope1);
      const err = relErr(gx, ref);
      g.dispose();
      assert.ok(err < 1e-5, `rel err ${err}`);
      // The rules really differ on this net (the test would notice a rule being ignored).
      const nonzero = ref.filter((v) => v !== 0).length;
      assert.ok(nonzero > ref.length / 4, `only ${nonzero} non-zero gradient values`);
      if (rule !== 'gradient') {
        const d = relErr(handWritten('gradient', slope1), ref);
        assert.ok(d > 1e-2, `'${rule}' and 'gradient' agree on this net (${d})`);
      }
    });
  }
}

test('vjp with a scalar objective equals vjp with the explicit upstream gradient', async () => {
  const g = await TfGraph.fromOnnx(buildNet(false));
  const [a, b] = tf.tidy(() => {
    const xt = tf.tensor4d(x, [N, C, H, W]);
    const up = tf.tensor4d(dy, [N, O, H / 2, W / 2]);
    return [g.vjp(xt, 'out', (y) => tf.sum(tf.mul(y, up)), 'guided').dataSync(), g.vjp(xt, 'out', up, 'guided').dataSync()];
  });
  g.dispose();
  assert.ok(relErr(a, b) < 1e-6, `rel err ${relErr(a, b)}`);
});
