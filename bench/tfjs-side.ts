/** TF.js WASM side of the benchmark: TfGraph forward passes and input gradients (TfGraph.vjp). */
import { initTf, tf } from '../src/engine/tfjs/backend.js';
import { TfGraph } from '../src/engine/tfjs/graph.js';
import type { FaceModel } from '../src/models/face-model.js';
import { errorText, measure, type IterConfig, type Timing } from './measure.js';

export interface TfjsArgs {
  model: FaceModel;
  output: string;
  checkOutputs: string[];
  /** checkBatch NCHW images; batch b timings use its first b images. */
  input: Float32Array;
  checkBatch: number;
  batches: number[];
  /** Batch of the input-gradient timing (0 = none); its images are the check batch's first. */
  gradBatch: number;
  forwardCfg: IterConfig;
  gradientCfg: IterConfig;
  log: (m: string) => void;
}

export interface TfjsResult {
  forward?: Record<string, Timing>;
  gradient?: Record<string, Timing>;
  /** Check outputs on the whole check batch. */
  outputs?: Record<string, Float32Array>;
  /** d(sum(output))/d(input) of the first gradBatch images of the check batch. */
  inputGradient?: Float32Array;
  errors: Record<string, string>;
}

export function tfjsInfo(): Record<string, unknown> {
  return {
    tfjs: tf.version.tfjs,
    tfjs_backend: tf.getBackend() ?? 'not initialised',
    tfjs_wasm_simd: safeFlag('WASM_HAS_SIMD_SUPPORT'),
    tfjs_wasm_multithread: safeFlag('WASM_HAS_MULTITHREAD_SUPPORT'),
  };
}

function safeFlag(name: string): boolean | null {
  try {
    return tf.env().getBool(name);
  } catch {
    return null;
  }
}

export async function benchTfjs(a: TfjsArgs): Promise<TfjsResult> {
  const res: TfjsResult = { errors: {} };
  const { width, height } = a.model.inputSize;
  const perImage = 3 * width * height;
  const batchTensor = (b: number) => tf.tensor4d(a.input.subarray(0, b * perImage), [b, 3, height, width]);
  let graph: TfGraph | undefined;
  try {
    await initTf();
    const t0 = performance.now();
    graph = await TfGraph.fromOnnx(a.model.onnx);
    a.log(`tfjs: graph prepared in ${((performance.now() - t0) / 1000).toFixed(1)} s (backend ${tf.getBackend()})`);
    const g = graph;
    const name = a.model.inputName;

    // Agreement outputs on the whole check batch.
    {
      const x = batchTensor(a.checkBatch);
      const outs = g.run({ [name]: x }, a.checkOutputs);
      res.outputs = {};
      for (const o of a.checkOutputs) {
        res.outputs[o] = (await outs[o].data()) as Float32Array;
        outs[o].dispose();
      }
      x.dispose();
    }

    res.forward = {};
    // The check run above was a forward pass at checkBatch: it counts as that batch's first warm-up.
    const order = [...a.batches].sort((p, q) => Number(q === a.checkBatch) - Number(p === a.checkBatch));
    for (const b of order) {
      const x = batchTensor(b);
      const cfg = b === a.checkBatch ? { ...a.forwardCfg, warmup: Math.max(0, a.forwardCfg.warmup - 1) } : a.forwardCfg;
      const t = await measure(
        async () => {
          const y = g.run({ [name]: x }, [a.output])[a.output];
          await y.data();
          y.dispose();
        },
        b,
        cfg,
      );
      x.dispose();
      res.forward[b] = { ...t, warmup: a.forwardCfg.warmup };
      a.log(`tfjs forward batch ${b}: ${t.img_per_s.toFixed(2)} img/s (${t.iters} runs)`);
    }
  } catch (e) {
    res.errors.tfjs_forward = errorText(e);
    a.log(`tfjs forward failed: ${res.errors.tfjs_forward}`);
  }

  if (graph && a.gradBatch > 0) {
    const g = graph;
    try {
      const b = a.gradBatch;
      const x = batchTensor(b);
      const sum = (y: tf.Tensor) => tf.sum(y) as tf.Scalar;
      let first = true;
      const t = await measure(
        async () => {
          const dx = g.vjp(x, a.output, sum, 'gradient');
          const data = (await dx.data()) as Float32Array;
          if (first) res.inputGradient = data;
          first = false;
          dx.dispose();
        },
        b,
        a.gradientCfg,
      );
      x.dispose();
      res.gradient = { [b]: t };
      a.log(`tfjs gradient batch ${b}: ${t.img_per_s.toFixed(3)} img/s (${t.iters} runs)`);
    } catch (e) {
      res.errors.tfjs_gradient = errorText(e);
      a.log(`tfjs gradient failed: ${res.errors.tfjs_gradient}`);
    }
  }
  try {
    graph?.dispose();
    const mem = tf.memory() as tf.MemoryInfo & { numBytesInWASM?: number };
    a.log(`tfjs: ${mem.numTensors} tensors left after dispose`);
  } catch {
    /* ignore */
  }
  return res;
}
