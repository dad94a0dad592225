import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initTf, tf } from '../../src/engine/tfjs/backend.js';
import { builtinMaxPoolGrad } from '../../src/engine/tfjs/maxpool-grad-kernel.js';
import { mulberry32, randn, relErr } from './helpers.js';

await initTf();
const rng = mulberry32(31);

/** Reference: each output's gradient goes to the first maximum (row-major) of its window. */
function reference(x: tf.Tensor4D, dy: tf.Tensor4D, k: number, s: number, pt: number, pl: number): Float32Array {
  const [n, h, w, c] = x.shape;
  const [, oh, ow] = dy.shape;
  const xv = x.dataSync();
  const gv = dy.dataSync();
  const out = new Float32Array(xv.length);
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let ch = 0; ch < c; ch++) {
          let best = -Infinity;
          let at = -1;
          for (let i = 0; i < k; i++)
            for (let j = 0; j < k; j++) {
              const y = oy * s - pt + i;
              const xx = ox * s - pl + j;
              if (y < 0 || y >= h || xx < 0 || xx >= w) continue;
              const idx = ((b * h + y) * w + xx) * c + ch;
              if (xv[idx] > best) {
                best = xv[idx];
                at = idx;
              }
            }
          out[at] += gv[((b * oh + oy) * ow + ox) * c + ch];
        }
  return out;
}

test('MaxPoolGrad routes to the first argmax, also for non-positive windows and ties', () => {
  type Case = [number, number, 'valid' | 'same' | [[number, number], [number, number], [number, number], [number, number]], number, number];
  const cases: Case[] = [
    [2, 2, 'valid', 0, 0],
    [3, 2, 'valid', 0, 0],
    [3, 1, 'valid', 0, 0], // overlapping windows accumulate
    [3, 2, [[0, 0], [1, 1], [1, 1], [0, 0]], 1, 1],
    [3, 2, [[0, 0], [0, 1], [1, 0], [0, 0]], 0, 1],
  ];
  for (const [k, s, pad, pt, pl] of cases) {
    tf.tidy(() => {
      // Quantised values (many ties) of both signs, plus a band of all-negative windows.
      const vals = randn(rng, 2 * 9 * 11 * 3).map((v, i) => (i % 7 === 0 ? -1 - Math.abs(v) : Math.round(v * 2) / 2));
      const x = tf.tensor4d(vals, [2, 9, 11, 3]);
      const y = tf.maxPool(x, k, s, pad);
      const dy = tf.tensor4d(randn(rng, y.size), y.shape);
      const g = tf.grad((v: tf.Tensor) => tf.maxPool(v as tf.Tensor4D, k, s, pad))(x, dy);
      const err = relErr(g.dataSync(), reference(x, dy, k, s, pt, pl));
      assert.ok(err < 1e-6, `k=${k} s=${s} pad=${JSON.stringify(pad)}: rel err ${err}`);
    });
  }
});

test('the built-in WASM MaxPoolGrad misroutes windows whose maximum is <= 0 (why it is replaced)', () => {
  tf.tidy(() => {
    const x = tf.tensor4d([-3, -1, -2, -5], [1, 2, 2, 1]);
    const y = tf.maxPool(x, 2, 2, 'valid');
    const dy = tf.ones([1, 1, 1, 1]) as tf.Tensor4D;
    const ours = Array.from(tf.grad((v: tf.Tensor) => tf.maxPool(v as tf.Tensor4D, 2, 2, 'valid'))(x, dy).dataSync());
    assert.deepEqual(ours, [0, 1, 0, 0]);
    const builtin = Array.from(builtinMaxPoolGrad(dy, x, y, 2, 2, 'valid').dataSync());
    // The claim of the title: the built-in kernel does not send the gradient to the argmax (2nd cell).
    assert.notDeepEqual(builtin, [0, 1, 0, 0], `built-in WASM MaxPoolGrad on [-3, -1, -2, -5] gave [${builtin}]`);
  });
});
