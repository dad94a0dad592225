/**
 * Backward rules for rectifiers, for the visualisation methods that change them.
 *
 * - 'gradient': the true gradient, dx = dy * (x > 0).
 * - 'deconv':   Zeiler & Fergus' deconvnet: the backward signal is rectified and the forward
 *               mask ignored, dx = relu(dy).
 * - 'guided':   guided backpropagation (Springenberg et al.): both, dx = relu(dy) * (x > 0).
 *
 * Leaky rectifiers y = x (x > 0), slope * x (x <= 0) (PRelu, LeakyRelu) generalise these so
 * that slope = 0 gives exactly the ReLU rules above:
 * - 'gradient': dx = dy * (x > 0 ? 1 : slope)              (true gradient)
 * - 'deconv':   dx = leaky(dy) = dy > 0 ? dy : slope * dy   (the unit's own nonlinearity applied
 *               to the backward signal, as relu(dy) is for ReLU)
 * - 'guided':   dx = relu(dy) * (x > 0 ? 1 : slope)          (rectified backward signal times
 *               the true local derivative)
 * The slope is treated as a constant: no gradient flows to it under 'deconv'/'guided'.
 *
 * Clipped units y = clip(x, lo, hi) (ReLU6 and the like; either bound may be absent), with
 * inside = lo < x < hi (strict: the kinks count as clipped, as x = 0 does for ReLU):
 * - 'gradient': dx = dy * inside                    (true gradient; here TF.js' own autodiff,
 *               which counts the kinks as inside: they differ only exactly on a bound)
 * - 'deconv':   dx = relu(dy) with a lower bound, else dy (the lower bound acts as deconvnet's
 *               ReLU; the upper bound is ignored, like the forward mask)
 * - 'guided':   dx = (deconv signal) * inside        (forward mask AND rectified signal)
 * Zeiler & Fergus / Springenberg et al. define the rules for ReLU only: this extension is
 * facelens' modelling choice, the same in the ONNX Runtime backward graphs (ort/backward-rules.ts).
 */
import { tf } from './backend.js';

export type ReluRule = 'gradient' | 'deconv' | 'guided';

export const RELU_RULES: readonly ReluRule[] = ['gradient', 'deconv', 'guided'];

/** leaky(x) for a scalar or an (already broadcast-aligned) tensor slope; true gradient. */
function leakyForward(x: tf.Tensor, slope: number | tf.Tensor): tf.Tensor {
  if (typeof slope === 'number') return slope === 0 ? tf.relu(x) : tf.leakyRelu(x, slope);
  const last = x.shape[x.rank - 1];
  const perChannelLast = slope.size === last && slope.shape.slice(0, -1).every((d) => d === 1) && slope.shape[slope.rank - 1] === last;
  if (perChannelLast && x.rank >= 2) return tf.prelu(x, tf.reshape(slope, [last]));
  // General broadcast: relu(x) - slope * relu(-x).
  return tf.sub(tf.relu(x), tf.mul(slope, tf.relu(tf.neg(x))));
}

/** The local derivative of leaky(x): 1 for x > 0, slope otherwise. */
function leakyDerivative(x: tf.Tensor, slope: number | tf.Tensor): tf.Tensor {
  const pos = tf.step(x, 0);
  if (typeof slope === 'number') return slope === 0 ? pos : tf.add(pos, tf.mul(tf.sub(1, pos), slope));
  return tf.add(pos, tf.mul(tf.sub(1, pos), slope));
}

/** `forward(x)` whose backward pass is `backward(dy, x)` instead of autodiff's (tf.customGrad). */
function withBackward(x: tf.Tensor, forward: (v: tf.Tensor) => tf.Tensor, backward: (dy: tf.Tensor, input: tf.Tensor) => tf.Tensor): tf.Tensor {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor;
    (args[1] as tf.GradSaveFunc)([input]);
    return { value: forward(input), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => backward(dy, saved[0]) };
  });
  return f(x);
}

/** A rectifier (slope 0 = ReLU) with the given backward rule. */
export function rectify(x: tf.Tensor, slope: number | tf.Tensor, rule: ReluRule): tf.Tensor {
  if (rule === 'gradient') return leakyForward(x, slope);
  return withBackward(x, (v) => leakyForward(v, slope), (dy, input) =>
    rule === 'deconv' ? leakyForward(dy, slope) : tf.mul(tf.relu(dy), leakyDerivative(input, slope)),
  );
}

/** clip(x, lo, hi) (a bound of +-Infinity = none) with the given backward rule (see the module comment). */
export function clipUnit(x: tf.Tensor, lo: number | tf.Tensor, hi: number | tf.Tensor, rule: ReluRule): tf.Tensor {
  const forward = (v: tf.Tensor) => (typeof lo === 'number' && typeof hi === 'number' ? tf.clipByValue(v, lo, hi) : tf.minimum(tf.maximum(v, lo), hi));
  if (rule === 'gradient') return forward(x);
  const hasLower = typeof lo !== 'number' || Number.isFinite(lo);
  return withBackward(x, forward, (dy, input) => {
    const signal = hasLower ? tf.relu(dy) : dy;
    if (rule === 'deconv') return signal;
    return tf.mul(signal, tf.cast(tf.logicalAnd(tf.greater(input, lo), tf.less(input, hi)), 'float32'));
  });
}
