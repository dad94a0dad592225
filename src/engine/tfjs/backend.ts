/**
 * One place that prepares TensorFlow.js for facelens: the WASM backend (SIMD; Node runs it
 * single-threaded) plus facelens' own kernel overrides: a fast Conv2DBackpropInput, the missing
 * DepthwiseConv2dNativeBackpropInput (tfjs/conv-backprop-kernel.ts), a MaxPoolGrad that routes
 * to the true argmax (tfjs/maxpool-grad-kernel.ts) and a zero-copy Identity (tfjs/identity-kernel.ts). Every module that uses TF.js awaits
 * `initTf()` first; it is idempotent.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { installConvBackpropKernels } from './conv-backprop-kernel.js';
import { installIdentityKernel } from './identity-kernel.js';
import { installMaxPoolGradKernel } from './maxpool-grad-kernel.js';

let ready: Promise<typeof tf> | undefined;

export function initTf(): Promise<typeof tf> {
  ready ??= (async () => {
    const ok = await tf.setBackend('wasm');
    if (!ok) throw new Error('TensorFlow.js WASM backend failed to initialise');
    await tf.ready();
    installConvBackpropKernels();
    installMaxPoolGradKernel();
    installIdentityKernel();
    return tf;
  })();
  return ready;
}

export { tf };
