/**
 * A correct `MaxPoolGrad` for the TF.js WASM backend.
 *
 * The built-in WASM kernel (tfjs 4.22) starts its running maximum at 0 instead of -infinity:
 * when every value of a pooling window is <= 0 the gradient goes to the window's first cell even
 * if that cell is not the maximum (e.g. [-3, -1, -2, -5] sends it to -3), and ties among positive
 * values go to the last cell. For deconvnet "switches" the gradient must go to the argmax. This
 * replacement routes each output's gradient to the first maximum of its window in row-major
 * order (as TF's CPU kernels and Caffe do); padded cells never win.
 *
 * Installed once by `initTf()`; the built-in stays reachable via `builtinMaxPoolGrad()`.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type TensorInfo = tf.TensorInfo;
type Pad = 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];

interface MaxPoolGradAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: Pad;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

let builtinConfig: tf.KernelConfig | undefined;
let installed = false;

function maxPoolGrad(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): TensorInfo {
  const backend = args.backend as BackendWasm;
  const { dy, input } = args.inputs as { dy: TensorInfo; input: TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as MaxPoolGradAttrs;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode,
  );
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = info;
  const kh = info.effectiveFilterHeight;
  const kw = info.effectiveFilterWidth;
  const dh = info.dilationHeight;
  const dw = info.dilationWidth;
  const dx = backend.makeOutput(input.shape, 'float32');
  // Heap views after the allocation (it may grow the heap).
  const out = backend.typedArrayFromHeap(dx) as Float32Array;
  const x = backend.typedArrayFromHeap(input) as Float32Array;
  const g = backend.typedArrayFromHeap(dy) as Float32Array;
  out.fill(0);
  const best = new Float32Array(c);
  const at = new Int32Array(c);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      const y0 = oy * sh - info.padInfo.top;
      for (let ox = 0; ox < ow; ox++) {
        const x0 = ox * sw - info.padInfo.left;
        best.fill(-Infinity);
        at.fill(-1);
        for (let ky = 0; ky < kh; ky += dh) {
          const y = y0 + ky;
          if (y < 0 || y >= h) continue;
          for (let kx = 0; kx < kw; kx += dw) {
            const xx = x0 + kx;
            if (xx < 0 || xx >= w) continue;
            const base = ((b * h + y) * w + xx) * c;
            for (let ch = 0; ch < c; ch++) {
              const v = x[base + ch];
              if (v > best[ch]) {
                best[ch] = v;
                at[ch] = base + ch;
              }
            }
          }
        }
        const gBase = ((b * oh + oy) * ow + ox) * c;
        for (let ch = 0; ch < c; ch++) if (at[ch] >= 0) out[at[ch]] += g[gBase + ch];
      }
    }
  }
  return dx;
}

/** Replaces WASM's MaxPoolGrad. Call after the WASM backend is initialised. Idempotent. */
export function installMaxPoolGradKernel(): void {
  if (installed) return;
  const builtin = tf.getKernel('MaxPoolGrad', 'wasm');
  if (builtin) {
    builtinConfig = { ...builtin };
    tf.unregisterKernel('MaxPoolGrad', 'wasm');
  }
  tf.registerKernel({ kernelName: 'MaxPoolGrad', backendName: 'wasm', kernelFunc: maxPoolGrad as tf.KernelFunc });
  installed = true;
}

/** The WASM backend's own MaxPoolGrad (NHWC), for tests: dy, the pool's input and output. */
export function builtinMaxPoolGrad(
  dy: tf.Tensor4D, input: tf.Tensor4D, output: tf.Tensor4D,
  filterSize: number | [number, number], strides: number | [number, number], pad: Pad,
): tf.Tensor4D {
  if (!builtinConfig) throw new Error('builtinMaxPoolGrad: call initTf() first');
  const backend = tf.backend();
  const info = builtinConfig.kernelFunc({
    inputs: { dy, input, output },
    backend,
    attrs: { filterSize, strides, pad } as unknown as tf.NamedAttrMap,
  }) as TensorInfo;
  return tf.engine().makeTensorFromTensorInfo(info, backend) as tf.Tensor4D;
}
