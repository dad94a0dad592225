/**
 * A zero-copy `Identity` for the TF.js WASM backend.
 *
 * TF.js clones through the Identity kernel, and inside `tf.grad` it clones every tensor a
 * kernel saves for the backward pass. WASM's built-in Identity copies the data, so a gradient
 * pass copied every activation once more (about 10% of a ResNet's vjp time, and that much more
 * heap). Tensors are immutable, so the clone can share the data buffer with a reference count,
 * exactly as WASM's own Reshape and the CPU backend's Identity do.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

let installed = false;

function identity(args: { inputs: tf.NamedTensorInfoMap; backend: unknown }): tf.TensorInfo {
  const backend = args.backend as BackendWasm;
  const { x } = args.inputs as { x: tf.TensorInfo };
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** Replaces WASM's Identity. Call after the WASM backend is initialised. Idempotent. */
export function installIdentityKernel(): void {
  if (installed) return;
  if (tf.getKernel('Identity', 'wasm')) tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({ kernelName: 'Identity', backendName: 'wasm', kernelFunc: identity as tf.KernelFunc });
  installed = true;
}
