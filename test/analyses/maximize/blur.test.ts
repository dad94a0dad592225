/** Gaussian blur of the AM image: equals a brute-force 2-D convolution with mirrored edges. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initTf, tf } from '../../../src/engine/tfjs/backend.js';
import { gaussianBlur, gaussianKernel } from '../../../src/analyses/maximize/maximize.js';
import { mulberry32 } from '../../../src/core/random.js';

await initTf();

/** Reflect index into [0, n) (edge not repeated), as tf.mirrorPad 'reflect'. */
const reflect = (i: number, n: number): number => (i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i);

test('gaussianKernel is normalised and symmetric', () => {
  const k = gaussianKernel(1.3);
  assert.equal(k.length, 2 * Math.ceil(3.9) + 1);
  assert.ok(Math.abs(k.reduce((a, b) => a + b, 0) - 1) < 1e-6);
  for (let i = 0; i < k.length; i++) assert.ok(Math.abs(k[i] - k[k.length - 1 - i]) < 1e-7);
});

test('gaussianBlur equals a brute-force separable-kernel convolution with reflected edges', () => {
  const [c, h, w] = [3, 11, 13];
  const rng = mulberry32(3);
  const data = Float32Array.from({ length: c * h * w }, () => rng() * 255);
  const sigma = 1;
  const k = gaussianKernel(sigma);
  const r = (k.length - 1) / 2;
  const got = tf.tidy(() => gaussianBlur(tf.tensor4d(data, [1, c, h, w]), sigma).dataSync());
  let maxErr = 0;
  for (let ch = 0; ch < c; ch++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        let s = 0;
        for (let dy = -r; dy <= r; dy++)
          for (let dx = -r; dx <= r; dx++) s += k[dy + r] * k[dx + r] * data[(ch * h + reflect(y + dy, h)) * w + reflect(x + dx, w)];
        maxErr = Math.max(maxErr, Math.abs(s - got[(ch * h + y) * w + x]));
      }
  assert.ok(maxErr < 1e-3, `max error ${maxErr}`);
});

test('gaussianBlur keeps a constant image and sigma 0 is the identity', () => {
  const x = tf.fill([1, 3, 9, 9], 77) as tf.Tensor4D;
  const y = gaussianBlur(x, 2);
  const v = y.dataSync();
  assert.ok(v.every((a) => Math.abs(a - 77) < 1e-3));
  assert.equal(gaussianBlur(x, 0), x);
  x.dispose();
  y.dispose();
});
