/**
 * Shared helpers for the tests of the ONNX Runtime backward rules (clip-backward, activation-backward,
 * elementwise-backward): a FaceModel around a small test graph, one vjp on either engine, central
 * finite differences, and the finite-difference check of a small net with a float64 twin.
 */
import assert from 'node:assert/strict';
import { GraphBuilder } from '../../src/engine/onnx/builder.ts';
import { createGradientEngine } from '../../src/engine/ort/grad-engine.ts';
import { RELU_RULES, type ReluRule } from '../../src/engine/tfjs/relu-rules.ts';
import type { FaceModel } from '../../src/models/face-model.ts';
import { conv1x1, conv3x3, relErr } from './helpers.ts';

/** A FaceModel around a test graph with input `x` (N x 3 x H x W) and one probe `z` of shape `zShape` (no batch). */
export function testModel(name: string, onnx: Uint8Array, H: number, W: number, zShape: number[]): FaceModel {
  return {
    name,
    description: 'test net',
    inputSize: { width: W, height: H },
    inputName: 'x',
    preprocessing: { mean: [0, 0, 0], std: [1, 1, 1], channelOrder: 'RGB', layout: 'NCHW' },
    probes: [{ name: 'z', tensor: 'z', kind: zShape.length === 3 ? 'conv' : 'fc', shape: zShape }],
    onnx,
    alignment: { name: 'none', size: W, points: [] },
  };
}

/** One vjp with a mask upstream on ONNX Runtime (asserting it did not fall back) or on TfGraph. */
export async function vjp(model: FaceModel, rule: ReluRule, input: Float32Array, batch: number, mask: Float32Array, output = 'z', prefer?: 'tfjs') {
  const e = await createGradientEngine(model, { output, rule, threads: 1, prefer });
  try {
    assert.equal(e.backend, prefer ?? 'onnxruntime');
    return await e.vjp(input, batch, { kind: 'mask', mask });
  } finally {
    await e.release();
  }
}

/** Central differences of the scalar function `f` at `x`, in float64, one input value at a time. */
export function centralDiff(f: (v: Float64Array) => number, x: ArrayLike<number>, eps = 1e-4): Float64Array {
  const g = new Float64Array(x.length);
  const v = Float64Array.from(x);
  for (let k = 0; k < x.length; k++) {
    v[k] = x[k] + eps;
    const up = f(v);
    v[k] = x[k] - eps;
    g[k] = (up - f(v)) / (2 * eps);
    v[k] = x[k];
  }
  return g;
}

/** A test net with input `x` (N x C x H x W) and probe `z`, written twice: as ONNX and in float64. */
export interface FdNet {
  name: string;
  onnx: Uint8Array;
  /** C x H x W of one input image. */
  inShape: [number, number, number];
  /** The probe's shape (no batch). */
  zShape: number[];
  /** One image in float64: the values `problem` checks (the op's activations, or what it needs) and z. */
  forward64(x: ArrayLike<number>): { act: Float64Array; z: Float64Array };
  /** Why these activations would not exercise the derivative (saturated units, a unit at a kink), or undefined. */
  problem(act: Float64Array): string | undefined;
}

/** The weights of a convOpNet: Conv 3x3 (C -> M, zero padding 1) and Conv 1x1 (M -> O) on H x W images. */
export interface ConvOpWeights {
  C: number;
  H: number;
  W: number;
  M: number;
  O: number;
  w1: Float32Array;
  b1: Float32Array;
  w2: Float32Array;
  b2: Float32Array;
}

/**
 * x -> Conv 3x3 -> (the op under test, emitted by `emit` on the pre-activations) -> Conv 1x1 -> z
 * (N x O x H x W); `act64` applies the op in place to one image's M x H x W pre-activations
 * (float64) and returns the values `problem` checks.
 */
export function convOpNet(
  name: string,
  wt: ConvOpWeights,
  emit: (b: GraphBuilder, pre: string) => string,
  act64: (a: Float64Array) => Float64Array,
  problem: FdNet['problem'],
): FdNet {
  const { C, H, W, M, O } = wt;
  const b = new GraphBuilder(name);
  const x = b.input('x', ['N', C, H, W]);
  const pre = b.node('Conv', [x, b.weight('w1', [M, C, 3, 3], wt.w1), b.weight('b1', [M], wt.b1)], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
  b.node('Conv', [emit(b, pre), b.weight('w2', [O, M, 1, 1], wt.w2), b.weight('b2', [O], wt.b2)], { kernel_shape: [1, 1] }, 'z');
  b.output('z', ['N', O, H, W]);
  return {
    name,
    onnx: b.build(17),
    inShape: [C, H, W],
    zShape: [O, H, W],
    forward64(xv) {
      const a = conv3x3(xv, C, M, H, W, wt.w1, wt.b1);
      const act = act64(a);
      return { act, z: conv1x1(a, M, O, H * W, wt.w2, wt.b2) };
    },
    problem,
  };
}

/**
 * Under each of the three rules, on a batch of `input` images: the ORT forward equals the float64
 * forward, the activations exercise the derivative (`net.problem`), and the ORT gradient of
 * sum(mask * z) equals central finite differences of the float64 net within `tol` (relative to its
 * largest value), which is not all zero.
 */
export async function assertFiniteDiffGradient(net: FdNet, input: Float32Array, mask: Float32Array, batch: number, tol: number): Promise<void> {
  const [, H, W] = net.inShape;
  const per = input.length / batch;
  const zn = net.zShape.reduce((a, b) => a * b, 1);
  const model = testModel(net.name, net.onnx, H, W, net.zShape);
  for (const rule of RELU_RULES) {
    const r = await vjp(model, rule, input, batch, mask);
    for (let n = 0; n < batch; n++) {
      const x = input.subarray(n * per, (n + 1) * per);
      const m = mask.subarray(n * zn, (n + 1) * zn);
      const { act, z } = net.forward64(x);
      assert.ok(relErr(r.value.subarray(n * zn, (n + 1) * zn), z) < 1e-5, `${rule} image ${n}: ORT forward = float64 forward`);
      const problem = net.problem(act);
      assert.ok(problem === undefined, `image ${n}: ${problem}`);
      const fd = centralDiff((v) => net.forward64(v).z.reduce((s, zi, k) => s + m[k] * zi, 0), x);
      const e = relErr(r.grad.subarray(n * per, (n + 1) * per), fd);
      assert.ok(e < tol && fd.some((g) => Math.abs(g) > 1e-3), `${rule} image ${n}: relative error ${e.toExponential(2)} against finite differences`);
    }
  }
}
