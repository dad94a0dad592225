/**
 * Faster input-gradient kernels for the TF.js WASM backend.
 *
 * WASM's built-in `Conv2DBackpropInput` is a naive loop, 10-20x slower than its XNNPACK
 * `Conv2D`. The input gradient of a convolution is itself a convolution:
 *
 *   dx = conv2d_valid( pad(zero_insert(dy, stride)), rot180(filter) with in/out swapped )
 *
 * so the replacement kernel rotates the filter with a plain loop on the WASM heap, inserts
 * stride-1 zeros between dy's elements (strides > 1 only), and hands the rest, including the
 * padding, to the backend's own Conv2D kernel as explicit pads. Input gradients with very few
 * channels (an RGB stem) instead take GEMM + col2im (see convBackpropOptions). The backend lacks
 * `DepthwiseConv2dNativeBackpropInput` altogether (so `tf.grad` through a depthwise convolution
 * fails); the same construction with the depthwise Conv kernel fills that gap.
 *
 * Filters registered with retainFilterTransforms() (TfGraph does it for its weights) keep their
 * rotated copies between calls; others are transformed per call.
 *
 * `installConvBackpropKernels()` is called once by `initTf()`. The built-in kernel stays
 * reachable through `builtinConv2DBackpropInput()` (for tests and benchmarks).
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type TensorInfo = tf.TensorInfo;
type KernelFunc = tf.KernelFunc;
type Pad = 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

interface BackpropAttrs {
  strides: number | [number, number];
  pad: Pad;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: Rounding;
  inputShape: [number, number, number, number];
  dilations?: number | [number, number];
}

let builtinConfig: tf.KernelConfig | undefined;
let installed = false;

function kernelFunc(name: string): KernelFunc {
  const k = tf.getKernel(name, 'wasm');
  if (!k) throw new Error(`TF.js WASM backend has no ${name} kernel`);
  return k.kernelFunc;
}

/**
 * Geometry of "dy -> zero-inserted, padded dy" shared by both kernels.
 * The transposed convolution reads dy placed at (oy * stride - cropTop) inside a buffer that is
 * then padded by (padTop, padBottom); negative pads (only for exotic explicit pads larger than
 * the kernel) become crops of the buffer.
 */
interface Expansion {
  eh: number; // buffer height
  ew: number;
  cropTop: number;
  cropLeft: number;
  padTop: number;
  padBottom: number;
  padLeft: number;
  padRight: number;
}

function expansion(
  inH: number, inW: number, outH: number, outW: number, kh: number, kw: number,
  sh: number, sw: number, fwdTop: number, fwdLeft: number,
): Expansion {
  const top = kh - 1 - fwdTop;
  const left = kw - 1 - fwdLeft;
  // Total padded height must be inH + kh - 1 so that a valid kh-conv gives inH rows.
  const bottom = inH + fwdTop - 1 - (outH - 1) * sh;
  const right = inW + fwdLeft - 1 - (outW - 1) * sw;
  const cropTop = Math.max(0, -top);
  const cropLeft = Math.max(0, -left);
  const cropBottom = Math.max(0, -bottom);
  const cropRight = Math.max(0, -right);
  return {
    eh: (outH - 1) * sh + 1 - cropTop - cropBottom,
    ew: (outW - 1) * sw + 1 - cropLeft - cropRight,
    cropTop,
    cropLeft,
    padTop: Math.max(0, top),
    padBottom: Math.max(0, bottom),
    padLeft: Math.max(0, left),
    padRight: Math.max(0, right),
  };
}

/** Zero-inserts (and crops) dy into a fresh heap buffer, or returns undefined when dy can be used as is. */
function expandDy(backend: BackendWasm, dy: TensorInfo, sh: number, sw: number, e: Expansion): TensorInfo | undefined {
  const [n, oh, ow, ch] = dy.shape;
  if (sh === 1 && sw === 1 && e.cropTop === 0 && e.cropLeft === 0 && e.eh === oh && e.ew === ow) return undefined;
  const out = backend.makeOutput([n, e.eh, e.ew, ch], 'float32');
  const dst = backend.typedArrayFromHeap(out) as Float32Array; // views taken after the allocation
  const src = backend.typedArrayFromHeap(dy) as Float32Array;
  dst.fill(0);
  const rowLen = ow * ch;
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < oh; y++) {
      const ey = y * sh - e.cropTop;
      if (ey < 0 || ey >= e.eh) continue;
      const srcRow = (b * oh + y) * rowLen;
      const dstRow = (b * e.eh + ey) * e.ew * ch;
      if (sw === 1 && e.cropLeft === 0 && e.ew >= ow) {
        dst.set(src.subarray(srcRow, srcRow + rowLen), dstRow);
        continue;
      }
      for (let x = 0; x < ow; x++) {
        const ex = x * sw - e.cropLeft;
        if (ex < 0 || ex >= e.ew) continue;
        const s = srcRow + x * ch;
        dst.set(src.subarray(s, s + ch), dstRow + ex * ch);
      }
    }
  }
  return out;
}

function explicitPad(e: Expansion): Pad {
  if (e.padTop === 0 && e.padBottom === 0 && e.padLeft === 0 && e.padRight === 0) return 'valid';
  return [[0, 0], [e.padTop, e.padBottom], [e.padLeft, e.padRight], [0, 0]];
}

function zeros(backend: BackendWasm, shape: number[]): TensorInfo {
  const out = backend.makeOutput(shape, 'float32');
  (backend.typedArrayFromHeap(out) as Float32Array).fill(0);
  return out;
}

/**
 * Transformed copies of constant filters (rotated, or re-laid out for the GEMM), kept between
 * calls for the filters registered with retainFilterTransforms(): then neither the copy nor
 * XNNPACK's packing of it (cached by WASM's Conv2D per filter) is redone on every backward pass.
 * That matters most at batch 1 (activation maximisation), where it is most of the kernel's time.
 */
const retained = new WeakMap<object, Map<string, TensorInfo>>();

/** Keeps this constant filter's transformed copies between backward passes (until released). */
export function retainFilterTransforms(filter: tf.Tensor): void {
  if (!retained.has(filter.dataId)) retained.set(filter.dataId, new Map());
}

/** Frees the copies kept for this filter (call before disposing it). */
export function releaseFilterTransforms(filter: tf.Tensor): void {
  const copies = retained.get(filter.dataId);
  if (!copies) return;
  retained.delete(filter.dataId);
  const backend = tf.findBackend('wasm') as BackendWasm | null;
  if (backend) for (const c of copies.values()) backend.disposeData(c.dataId);
}

/**
 * A transformed copy of `filter` (`key` names the transform): cached for retained filters,
 * else fresh (and `temporary`: the caller frees it).
 */
function filterCopy(
  backend: BackendWasm, filter: TensorInfo, key: string, shape: number[],
  fill: (src: Float32Array, dst: Float32Array) => void,
): { info: TensorInfo; temporary: boolean } {
  const copies = retained.get(filter.dataId);
  const hit = copies?.get(key);
  if (hit) return { info: hit, temporary: false };
  const info = backend.makeOutput(shape, 'float32');
  // Views taken after the allocation (it may grow the heap).
  fill(backend.typedArrayFromHeap(filter) as Float32Array, backend.typedArrayFromHeap(info) as Float32Array);
  copies?.set(key, info);
  return { info, temporary: !copies };
}

function freeCopy(backend: BackendWasm, c: { info: TensorInfo; temporary: boolean }): void {
  if (c.temporary) backend.disposeData(c.info.dataId);
}

/**
 * Tuning of the replacement kernel. `col2imMaxChannels`: input gradients with at most this many
 * channels (a network's RGB stem) take the GEMM + col2im route: a transposed convolution with
 * that few output channels runs far below XNNPACK's speed (and zero insertion quadruples its
 * work at stride 2), while the scatter-add of col2im stays cheap for so few channels.
 * Set it to 0 to force the zero-insertion route (tests compare both).
 */
export const convBackpropOptions = { col2imMaxChannels: 4 };

/**
 * dx = col2im(dy [P, M] x filter [kh*kw*C, M]^T), strides and pads applied in the scatter.
 * The product runs as a 1x1 Conv2D (XNNPACK GEMM; WASM's BatchMatMul is several times slower).
 */
function col2imBackprop(backend: BackendWasm, dy: TensorInfo, filter: TensorInfo, info: tf.backend_util.Conv2DInfo): TensorInfo {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: C, outHeight: oh, outWidth: ow, outChannels: M } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  const K = kh * kw * C;
  // Filter [kh, kw, C, M] = [K, M] -> 1x1 filter [1, 1, M, K].
  const ft = filterCopy(backend, filter, 'gemm', [1, 1, M, K], (f, t) => {
    for (let k = 0; k < K; k++) for (let m = 0; m < M; m++) t[m * K + k] = f[k * M + m];
  });
  const cols = kernelFunc('Conv2D')({
    inputs: { x: dy, filter: ft.info },
    backend,
    attrs: { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1] } as unknown as tf.NamedAttrMap,
  }) as TensorInfo;
  freeCopy(backend, ft);
  const out = backend.makeOutput([n, h, w, C], 'float32');
  const dx = backend.typedArrayFromHeap(out) as Float32Array;
  const col = backend.typedArrayFromHeap(cols) as Float32Array;
  dx.fill(0);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const base = ((b * oh + oy) * ow + ox) * K;
        // Taps j in [j0, j1) land inside the row; their kw * C block is contiguous in both arrays.
        const x0 = ox * sw - pl;
        const j0 = Math.max(0, -x0);
        const j1 = Math.min(kw, w - x0);
        if (j1 <= j0) continue;
        const len = (j1 - j0) * C;
        for (let i = 0; i < kh; i++) {
          const y = oy * sh - pt + i;
          if (y < 0 || y >= h) continue;
          const src = base + (i * kw + j0) * C;
          const dst = ((b * h + y) * w + x0 + j0) * C;
          for (let t = 0; t < len; t++) dx[dst + t] += col[src + t];
        }
      }
    }
  }
  backend.disposeData(cols.dataId);
  return out;
}

function fastConv2DBackpropInput(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): TensorInfo {
  const backend = args.backend as BackendWasm;
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const attrs = args.attrs as unknown as BackpropAttrs;
  if (attrs.dataFormat === 'NCHW') {
    if (!builtinConfig) throw new Error('Conv2DBackpropInput: NCHW needs the built-in WASM kernel');
    return builtinConfig.kernelFunc(args as Parameters<KernelFunc>[0]) as TensorInfo;
  }
  const info = tf.backend_util.computeConv2DInfo(
    attrs.inputShape, filter.shape as [number, number, number, number], attrs.strides, 1, attrs.pad,
    attrs.dimRoundingMode, false, 'channelsLast',
  );
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight: kh, filterWidth: kw } = info;
  if (inChannels <= convBackpropOptions.col2imMaxChannels) return col2imBackprop(backend, dy, filter, info);
  const e = expansion(inHeight, inWidth, outHeight, outWidth, kh, kw, info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left);
  if (e.eh <= 0 || e.ew <= 0) return zeros(backend, [batchSize, inHeight, inWidth, inChannels]);

  // Filter [kh, kw, C, M] -> rotated 180 degrees, in/out swapped: [kh, kw, M, C].
  const C = inChannels;
  const M = outChannels;
  const rot = filterCopy(backend, filter, 'rot180', [kh, kw, M, C], (f, r) => {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const src = (i * kw + j) * C * M;
        const dst = ((kh - 1 - i) * kw + (kw - 1 - j)) * M * C;
        for (let c = 0; c < C; c++) {
          const s = src + c * M;
          for (let m = 0; m < M; m++) r[dst + m * C + c] = f[s + m];
        }
      }
    }
  });
  const expanded = expandDy(backend, dy, info.strideHeight, info.strideWidth, e);
  const x = expanded ?? dy;
  const out = kernelFunc('Conv2D')({
    inputs: { x, filter: rot.info },
    backend,
    attrs: { strides: [1, 1], pad: explicitPad(e), dataFormat: 'NHWC', dilations: [1, 1] } as unknown as tf.NamedAttrMap,
  }) as TensorInfo;
  freeCopy(backend, rot);
  if (expanded) backend.disposeData(expanded.dataId);
  return out;
}

function fastDepthwiseBackpropInput(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): TensorInfo {
  const backend = args.backend as BackendWasm;
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const attrs = args.attrs as unknown as BackpropAttrs;
  const dil = attrs.dilations ?? 1;
  const info = tf.backend_util.computeConv2DInfo(
    attrs.inputShape, filter.shape as [number, number, number, number], attrs.strides, dil, attrs.pad,
    attrs.dimRoundingMode, true, 'channelsLast',
  );
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth } = info;
  const [kh, kw, C, mult] = filter.shape;
  const dh = info.dilationHeight;
  const dw = info.dilationWidth;
  const ekh = info.effectiveFilterHeight;
  const ekw = info.effectiveFilterWidth;
  const e = expansion(inHeight, inWidth, outHeight, outWidth, ekh, ekw, info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left);
  if (e.eh <= 0 || e.ew <= 0) return zeros(backend, [batchSize, inHeight, inWidth, inChannels]);

  // Filter [kh, kw, C, mult] -> rotated (and dilated) [ekh, ekw, C * mult, 1].
  const CM = C * mult;
  const rot = filterCopy(backend, filter, `rot180-depthwise-${dh}x${dw}`, [ekh, ekw, CM, 1], (f, r) => {
    if (dh !== 1 || dw !== 1) r.fill(0);
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const src = (i * kw + j) * CM;
        const dst = ((ekh - 1 - i * dh) * ekw + (ekw - 1 - j * dw)) * CM;
        for (let q = 0; q < CM; q++) r[dst + q] = f[src + q];
      }
    }
  });
  const expanded = expandDy(backend, dy, info.strideHeight, info.strideWidth, e);
  const x = expanded ?? dy;
  const full = kernelFunc('DepthwiseConv2dNative')({
    inputs: { x, filter: rot.info },
    backend,
    attrs: { strides: [1, 1], pad: explicitPad(e), dilations: [1, 1] } as unknown as tf.NamedAttrMap,
  }) as TensorInfo;
  freeCopy(backend, rot);
  if (expanded) backend.disposeData(expanded.dataId);
  if (mult === 1) return full;
  // Channel c of dx sums the mult output channels c * mult + k.
  const out = backend.makeOutput([batchSize, inHeight, inWidth, C], 'float32');
  const src = backend.typedArrayFromHeap(full) as Float32Array;
  const dst = backend.typedArrayFromHeap(out) as Float32Array;
  const pixels = batchSize * inHeight * inWidth;
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < C; c++) {
      let s = 0;
      const base = p * CM + c * mult;
      for (let k = 0; k < mult; k++) s += src[base + k];
      dst[p * C + c] = s;
    }
  }
  backend.disposeData(full.dataId);
  return out;
}

/**
 * Replaces WASM's `Conv2DBackpropInput` and adds `DepthwiseConv2dNativeBackpropInput`. Call after
 * the WASM backend is initialised (kernels registered later get no setup call, and these need none).
 * Idempotent.
 */
export function installConvBackpropKernels(): void {
  if (installed) return;
  const builtin = tf.getKernel('Conv2DBackpropInput', 'wasm');
  if (builtin) {
    builtinConfig = { ...builtin };
    tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
  }
  tf.registerKernel({ kernelName: 'Conv2DBackpropInput', backendName: 'wasm', kernelFunc: fastConv2DBackpropInput as KernelFunc });
  if (!tf.getKernel('DepthwiseConv2dNativeBackpropInput', 'wasm')) {
    tf.registerKernel({
      kernelName: 'DepthwiseConv2dNativeBackpropInput',
      backendName: 'wasm',
      kernelFunc: fastDepthwiseBackpropInput as KernelFunc,
    });
  }
  installed = true;
}

/**
 * The WASM backend's own `Conv2DBackpropInput` (NHWC), as a tensor op outside the gradient
 * machinery: same arguments as `tf.conv2dTranspose` (dy, filter [kh, kw, inC, outC], input shape).
 */
export function builtinConv2DBackpropInput(
  inputShape: [number, number, number, number],
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  strides: number | [number, number],
  pad: Pad,
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): tf.Tensor4D {
  if (!builtinConfig) throw new Error('builtinConv2DBackpropInput: call initTf() first');
  const backend = tf.backend();
  const info = builtinConfig.kernelFunc({
    inputs: { dy, filter },
    backend,
    attrs: { inputShape, strides, pad, dataFormat: 'NHWC', dimRoundingMode } as unknown as tf.NamedAttrMap,
  }) as TensorInfo;
  return tf.engine().makeTensorFromTensorInfo(info, backend) as tf.Tensor4D;
}
