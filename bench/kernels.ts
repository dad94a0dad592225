/**
 * TF.js WASM gradient kernels facelens replaces (src/engine/tfjs/conv-backprop-kernel.ts,
 * tfjs/maxpool-grad-kernel.ts): each replacement timed against the built-in kernel on the same
 * tensors in the same process (best of a few runs; the ratio built-in / ours is the number to
 * read). Moved here from the unit tests, where the timings were printed but asserted nothing.
 */
import { initTf, tf } from '../src/engine/tfjs/backend.js';
import { builtinConv2DBackpropInput } from '../src/engine/tfjs/conv-backprop-kernel.js';
import { builtinMaxPoolGrad } from '../src/engine/tfjs/maxpool-grad-kernel.js';
import { mulberry32 } from './measure.js';

export interface KernelTiming {
  case: string;
  ours_ms: number;
  builtin_ms: number;
  /** builtin_ms / ours_ms: the speed-up of the replacement. */
  speedup: number;
  /** The forward op on the same shapes, for scale (absent where not timed). */
  forward_ms?: number;
}

function randn(rng: () => number, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  return out;
}

/** Best of `reps` timed runs after one warm-up. */
function best(f: () => tf.Tensor, reps: number): number {
  tf.dispose(f());
  let b = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const r = f();
    r.dataSync();
    r.dispose();
    b = Math.min(b, performance.now() - t0);
  }
  return b;
}

export async function benchKernels(opts: { reps?: number } = {}): Promise<KernelTiming[]> {
  await initTf();
  const reps = opts.reps ?? 3;
  const rng = mulberry32(7);
  const rand = (shape: number[]) => tf.tensor(randn(rng, shape.reduce((a, b) => a * b, 1)), shape);
  const out: KernelTiming[] = [];
  const conv = (name: string, xShape: [number, number, number, number], fShape: [number, number, number, number], stride: number) => {
    const filter = rand(fShape) as tf.Tensor4D;
    const x = rand(xShape) as tf.Tensor4D;
    const dy = rand([...tf.tidy(() => tf.conv2d(x, filter, stride, 'same').shape)]) as tf.Tensor4D;
    const forward = best(() => tf.conv2d(x, filter, stride, 'same'), reps);
    const ours = best(() => tf.conv2dTranspose(dy, filter, xShape, stride, 'same'), reps);
    const builtin = best(() => builtinConv2DBackpropInput(xShape, dy, filter, stride, 'same'), Math.max(1, reps - 1));
    out.push({ case: name, ours_ms: ours, builtin_ms: builtin, speedup: builtin / ours, forward_ms: forward });
    tf.dispose([filter, x, dy]);
  };
  conv('Conv2DBackpropInput batch 8, 56x56x64, 3x3 s1', [8, 56, 56, 64], [3, 3, 64, 64], 1);
  // A face net's stem: 7x7/2 conv on 150x150 RGB (input gradient with 3 channels, col2im route).
  conv('Conv2DBackpropInput batch 4, 150x150x3 <- 32, 7x7 s2 (stem)', [4, 150, 150, 3], [7, 7, 3, 32], 2);

  const x = tf.tensor4d(randn(rng, 8 * 56 * 56 * 64), [8, 56, 56, 64]);
  const y = tf.maxPool(x, 3, 2, 'same');
  const dy = tf.onesLike(y) as tf.Tensor4D;
  const ours = best(() => tf.grad((v: tf.Tensor) => tf.maxPool(v as tf.Tensor4D, 3, 2, 'same'))(x, dy), reps);
  const builtin = best(() => builtinMaxPoolGrad(dy, x, y as tf.Tensor4D, 3, 2, 'same'), reps);
  out.push({ case: 'MaxPoolGrad 3x3/2 on 8x56x56x64', ours_ms: ours, builtin_ms: builtin, speedup: builtin / ours });
  tf.dispose([x, y, dy]);
  return out;
}
