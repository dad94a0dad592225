import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initTf, tf } from '../../src/engine/tfjs/backend.js';
import { builtinConv2DBackpropInput, convBackpropOptions } from '../../src/engine/tfjs/conv-backprop-kernel.js';
import { mulberry32, randn, relErr } from './helpers.js';

await initTf();
const rng = mulberry32(7);

function rand(shape: number[]): tf.Tensor {
  return tf.tensor(randn(rng, shape.reduce((a, b) => a * b, 1)), shape);
}

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

type Shape4 = [number, number, number, number];

function forwardOutShape(x: Shape4, f: Shape4, s: number, pad: Pad): number[] {
  const shape = tf.tidy(() => tf.conv2d(tf.zeros(x) as tf.Tensor4D, tf.zeros(f) as tf.Tensor4D, s, pad).shape);
  return [...shape];
}

function compare(h: number, w: number, k: number, s: number, pad: Pad, cin = 5, cout = 6, n = 2): number {
  return tf.tidy(() => {
    const xShape = [n, h, w, cin] as [number, number, number, number];
    const filter = rand([k, k, cin, cout]) as tf.Tensor4D;
    const dy = rand(forwardOutShape(xShape, filter.shape, s, pad)) as tf.Tensor4D;
    const fast = tf.conv2dTranspose(dy, filter, xShape, s, pad);
    const ref = builtinConv2DBackpropInput(xShape, dy, filter, s, pad);
    assert.deepEqual(fast.shape, ref.shape);
    return relErr(fast.dataSync(), ref.dataSync());
  });
}

const ROUTES = { 'zero-insertion': 0, col2im: 1000 } as const;

for (const [route, maxChannels] of Object.entries(ROUTES)) {
  test(`fast Conv2DBackpropInput (${route} route) matches the built-in kernel`, () => {
    const saved = convBackpropOptions.col2imMaxChannels;
    convBackpropOptions.col2imMaxChannels = maxChannels;
    try {
      let cases = 0;
      for (const k of [1, 3, 5, 7]) {
        for (const s of [1, 2]) {
          for (const pad of ['same', 'valid'] as const) {
            for (const [h, w] of [[8, 8], [9, 11], [13, 10]] as const) {
              if (pad === 'valid' && (h < k || w < k)) continue;
              const err = compare(h, w, k, s, pad);
              assert.ok(err < 1e-5, `k=${k} s=${s} pad=${pad} ${h}x${w}: rel err ${err}`);
              cases++;
            }
          }
        }
      }
      // Explicit (asymmetric) pads, including pads >= the kernel size, and numeric pads; RGB-like 3 channels.
      for (const [k, s, pads] of [
        [3, 1, [[0, 0], [1, 1], [1, 1], [0, 0]]],
        [3, 2, [[0, 0], [0, 1], [1, 0], [0, 0]]],
        [7, 2, [[0, 0], [3, 3], [3, 3], [0, 0]]],
        [1, 2, [[0, 0], [2, 1], [0, 3], [0, 0]]],
        [5, 2, [[0, 0], [6, 5], [2, 7], [0, 0]]],
        [3, 1, 1], // numeric (symmetric) pads
        [5, 2, 2],
      ] as [number, number, Pad][]) {
        for (const cin of [3, 5]) {
          const err = compare(9, 12, k, s, pads, cin);
          assert.ok(err < 1e-5, `explicit ${JSON.stringify(pads)} k=${k} s=${s} cin=${cin}: rel err ${err}`);
          cases++;
        }
      }
      assert.ok(cases > 50);
    } finally {
      convBackpropOptions.col2imMaxChannels = saved;
    }
  });
}

test('tf.grad through conv2d uses the fast kernel and is correct', () => {
  const err = tf.tidy(() => {
    const x = rand([2, 15, 15, 4]) as tf.Tensor4D;
    const filter = rand([3, 3, 4, 8]) as tf.Tensor4D;
    const dy = rand([2, 8, 8, 8]) as tf.Tensor4D;
    const g = tf.grad((v: tf.Tensor) => tf.conv2d(v as tf.Tensor4D, filter, 2, 'same'))(x, dy);
    const ref = builtinConv2DBackpropInput([2, 15, 15, 4], dy, filter, 2, 'same');
    return relErr(g.dataSync(), ref.dataSync());
  });
  assert.ok(err < 1e-5, `rel err ${err}`);
});

/** Reference depthwise transposed convolution by plain loops (NHWC, filter [kh, kw, C, mult]). */
function depthwiseBackpropRef(x: number[], dy: tf.Tensor4D, filter: tf.Tensor4D, s: number, pt: number, pl: number, d: number): Float32Array {
  const [n, h, w, c] = x;
  const [, oh, ow, cm] = dy.shape;
  const [kh, kw, , mult] = filter.shape;
  const dyv = dy.dataSync();
  const fv = filter.dataSync();
  const out = new Float32Array(n * h * w * c);
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let q = 0; q < cm; q++) {
          const ci = Math.floor(q / mult);
          const k = q % mult;
          const g = dyv[((b * oh + oy) * ow + ox) * cm + q];
          for (let i = 0; i < kh; i++)
            for (let j = 0; j < kw; j++) {
              const y = oy * s - pt + i * d;
              const xx = ox * s - pl + j * d;
              if (y < 0 || y >= h || xx < 0 || xx >= w) continue;
              out[((b * h + y) * w + xx) * c + ci] += g * fv[((i * kw + j) * c + ci) * mult + k];
            }
        }
  return out;
}

test('DepthwiseConv2dNativeBackpropInput (added for WASM) matches a loop reference', () => {
  for (const [k, s, mult, pads, d] of [
    [3, 1, 1, [1, 1, 1, 1], 1],
    [3, 2, 1, [0, 1, 0, 1], 1],
    [5, 2, 2, [2, 2, 2, 2], 1],
    [3, 1, 3, [2, 2, 2, 2], 2],
    [1, 2, 1, [0, 0, 0, 0], 1],
  ] as [number, number, number, number[], number][]) {
    const err = tf.tidy(() => {
      const xShape = [2, 11, 10, 4];
      const filter = rand([k, k, 4, mult]) as tf.Tensor4D;
      const pad: Pad = [[0, 0], [pads[0], pads[2]], [pads[1], pads[3]], [0, 0]];
      const x = rand(xShape) as tf.Tensor4D;
      const y = tf.depthwiseConv2d(x, filter, s, pad, 'NHWC', d);
      const dy = rand(y.shape) as tf.Tensor4D;
      const g = d === 1
        ? tf.grad((v: tf.Tensor) => tf.depthwiseConv2d(v as tf.Tensor4D, filter, s, pad))(x, dy)
        : tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter }, {
            strides: [s, s], pad, dilations: [d, d], inputShape: xShape,
          } as unknown as tf.NamedAttrMap) as tf.Tensor;
      return relErr(g.dataSync(), depthwiseBackpropRef(xShape, dy, filter, s, pads[0], pads[1], d));
    });
    assert.ok(err < 1e-5, `depthwise k=${k} s=${s} mult=${mult} d=${d}: rel err ${err}`);
  }
});
