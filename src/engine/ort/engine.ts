/**
 * Forward engine: ONNX Runtime (CPU, or CUDA with `--device cuda`), one batched run returning any set of probe tensors.
 * Probe tensors must be graph outputs of the model's ONNX bytes (the model layer ensures it).
 */
import os from 'node:os';
import ort from 'onnxruntime-node';
import type { FaceModel } from '../../models/face-model.js';
import { executionProviders, type Device } from './device.js';

export interface HostTensor {
  data: Float32Array;
  /** Full dims including the batch dimension. */
  dims: number[];
}

export interface OrtEngineOptions {
  /** Intra-op threads; default = number of cores. */
  threads?: number;
  /** Default: the process's device (`--device`, engine/ort/device.ts). */
  device?: Device;
}

export class OrtEngine {
  private constructor(
    readonly model: FaceModel,
    private readonly session: ort.InferenceSession,
  ) {}

  static async create(model: FaceModel, opts: OrtEngineOptions = {}): Promise<OrtEngine> {
    const session = await ort.InferenceSession.create(model.onnx, {
      executionProviders: executionProviders(opts.device),
      intraOpNumThreads: opts.threads ?? os.availableParallelism(),
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    });
    return new OrtEngine(model, session);
  }

  /** Runs `batch` NCHW images (float32, already preprocessed) and returns the named probe tensors. */
  async run(input: Float32Array, batch: number, probes: string[]): Promise<Record<string, HostTensor>> {
    const { width, height } = this.model.inputSize;
    if (input.length !== batch * 3 * width * height) {
      throw new Error(`OrtEngine.run: input has ${input.length} values, expected ${batch}x3x${height}x${width}`);
    }
    const tensors = probes.map((p) => {
      const probe = this.model.probes.find((q) => q.name === p);
      if (!probe) throw new Error(`model ${this.model.name} has no probe ${p}`);
      return probe.tensor;
    });
    const feeds = { [this.model.inputName]: new ort.Tensor('float32', input, [batch, 3, height, width]) };
    const result = await this.session.run(feeds, tensors);
    const out: Record<string, HostTensor> = {};
    probes.forEach((p, i) => {
      const t = result[tensors[i]];
      out[p] = { data: t.data as Float32Array, dims: t.dims.map(Number) };
    });
    return out;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
