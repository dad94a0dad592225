import { test } from 'node:test';
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import { GraphBuilder } from '../../src/engine/onnx/builder.ts';
import { receptiveFields } from '../../src/models/receptive-field.ts';

/**
 * Independent check: with positive weights, no non-linearity and average pooling, an output
 * cell depends on exactly the input pixels inside its receptive field. We find that set by
 * perturbing one input pixel at a time and seeing which cells move.
 */
test('analytic receptive field equals the empirical influence region', async () => {
  const S = 21;
  const g = new GraphBuilder();
  const pos = (n: number) => new Float32Array(n).map((_, i) => 0.5 + ((i * 37) % 11) / 11);
  g.input('x', [1, 1, S, S]);
  const a = g.node('Conv', ['x', g.weight('w1', [1, 1, 3, 3], pos(9))], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
  const b = g.node('AveragePool', [a], { kernel_shape: [2, 2], strides: [2, 2] });
  const c = g.node('Conv', [b, g.weight('w2', [1, 1, 3, 3], pos(9))], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
  // A residual-style merge with a shortcut of a different window: union of both fields.
  const d = g.node('AveragePool', [b], { kernel_shape: [3, 3], strides: [2, 2], pads: [0, 0, 1, 1] });
  g.node('Add', [c, d], {}, 'y');
  g.output('y', [1, 1, 5, 5]);
  const bytes = g.build();
  const rf = receptiveFields(bytes, 'x').get('y')!;
  const session = await ort.InferenceSession.create(bytes);
  const base = new Float32Array(S * S).fill(1);
  const y0 = (await session.run({ x: new ort.Tensor('float32', base, [1, 1, S, S]) })).y.data as Float32Array;
  const dims = 5;
  // The two branches see different windows, so the union is wider than either.
  assert.deepEqual(rf, { size: 10, stride: 4, offset: 1.5 });
  // influence[cell] = bounding box of pixels that changed it
  const lo = Array.from({ length: dims * dims }, () => [Infinity, Infinity]);
  const hi = Array.from({ length: dims * dims }, () => [-Infinity, -Infinity]);
  for (let r = 0; r < S; r++) {
    for (let q = 0; q < S; q++) {
      const x = base.slice();
      x[r * S + q] += 1;
      const y = (await session.run({ x: new ort.Tensor('float32', x, [1, 1, S, S]) })).y.data as Float32Array;
      for (let k = 0; k < y.length; k++) {
        if (Math.abs(y[k] - y0[k]) > 1e-6) {
          lo[k] = [Math.min(lo[k][0], r), Math.min(lo[k][1], q)];
          hi[k] = [Math.max(hi[k][0], r), Math.max(hi[k][1], q)];
        }
      }
    }
  }
  for (let i = 0; i < dims; i++) {
    for (let j = 0; j < dims; j++) {
      const k = i * dims + j;
      const half = (rf.size - 1) / 2;
      const expect = [
        Math.max(0, Math.ceil(rf.offset + i * rf.stride - half)),
        Math.max(0, Math.ceil(rf.offset + j * rf.stride - half)),
        Math.min(S - 1, Math.floor(rf.offset + i * rf.stride + half)),
        Math.min(S - 1, Math.floor(rf.offset + j * rf.stride + half)),
      ];
      assert.deepEqual([lo[k][0], lo[k][1], hi[k][0], hi[k][1]], expect, `cell ${i},${j} rf=${JSON.stringify(rf)}`);
    }
  }
});

test('element-wise activations of modern backbones keep the receptive field of the map they act on', () => {
  // Conv -> act -> Conv 3x3/2 -> act, for each activation, against the same convs with none between.
  const build = (act?: (g: GraphBuilder, x: string) => string): Uint8Array => {
    const g = new GraphBuilder();
    g.input('x', [1, 1, 16, 16]);
    const w = (name: string) => g.weight(name, [1, 1, 3, 3], new Float32Array(9).fill(0.1));
    let y = g.node('Conv', ['x', w('w1')], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
    if (act) y = act(g, y);
    y = g.node('Conv', [y, w('w2')], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
    g.node('Identity', [act ? act(g, y) : y], {}, 'y');
    g.output('y', [1, 1, 8, 8]);
    return g.build();
  };
  const plain = receptiveFields(build(), 'x').get('y');
  assert.deepEqual(plain, { size: 5, stride: 2, offset: 0 });
  const scalar = (g: GraphBuilder, v: number) => g.weight(g.fresh('c'), [], new Float32Array([v]));
  const acts: Record<string, (g: GraphBuilder, x: string) => string> = {
    HardSwish: (g, x) => g.node('HardSwish', [x]),
    'GELU (Div, Erf, Add, Mul)': (g, x) => g.node('Mul', [x, g.node('Add', [g.node('Erf', [g.node('Div', [x, scalar(g, Math.SQRT2)])]), scalar(g, 1)])]),
    'Mish (Softplus, Tanh, Mul)': (g, x) => g.node('Mul', [x, g.node('Tanh', [g.node('Softplus', [x])])]),
    'Swish (Sigmoid, Mul)': (g, x) => g.node('Mul', [x, g.node('Sigmoid', [x])]),
    'Pow, Sqrt, Reciprocal, Abs, Neg, Exp, Log': (g, x) =>
      ['Abs', 'Neg', 'Exp', 'Log', 'Sqrt', 'Reciprocal'].reduce((y, op) => g.node(op, [y]), g.node('Pow', [x, scalar(g, 2)])),
  };
  for (const [name, act] of Object.entries(acts)) assert.deepEqual(receptiveFields(build(act), 'x').get('y'), plain, name);
});
