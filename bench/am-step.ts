/**
 * Cost of one activation-maximisation step vs one forward+backward pass of the same input size
 * (issue #5's target: <= 2x), per gradient engine. The AM step is the real `maximize` loop
 * (jitter, gradient, chain rule through the preprocessing, TV gradient, update, clipping) at one
 * octave of the model's input size; its per-step wall times come from the result. The baseline
 * is the same engine's neuron gradient alone (one forward + one backward at batch 1), timed in
 * the same process right before, on a fixed input.
 */
import { maximize, type NeuronGradient } from '../src/analyses/maximize/maximize.js';
import type { FaceModel } from '../src/models/face-model.js';
import { minMedian, mulberry32 } from './measure.js';

export interface AmStepEngineResult {
  engine: string;
  steps: number;
  fwd_bwd_ms: number;
  am_step_ms: number;
  /** am_step_ms / fwd_bwd_ms; target <= 2. */
  ratio: number;
}

export async function benchAmStep(opts: {
  model: FaceModel;
  layer: string;
  neuron: number;
  engines: Record<string, NeuronGradient>;
  steps?: number;
  warmup?: number;
}): Promise<AmStepEngineResult[]> {
  const steps = opts.steps ?? 30;
  const warmup = opts.warmup ?? 3;
  const { width, height } = opts.model.inputSize;
  const rng = mulberry32(11);
  const z = Float32Array.from({ length: 3 * width * height }, () => rng() * 2 - 1);
  const out: AmStepEngineResult[] = [];
  for (const [engine, gradient] of Object.entries(opts.engines)) {
    for (let i = 0; i < warmup; i++) await gradient(z);
    const base: number[] = [];
    for (let i = 0; i < steps; i++) {
      const t0 = performance.now();
      await gradient(z);
      base.push(performance.now() - t0);
    }
    const r = await maximize({ model: opts.model, layer: opts.layer, neuron: opts.neuron, gradient, steps: steps + warmup, octaves: 1, seed: 0, stop: 'fixed' });
    const am = r.stepMs.slice(warmup);
    const fwd_bwd_ms = minMedian(base).median;
    const am_step_ms = minMedian(am).median;
    out.push({ engine, steps, fwd_bwd_ms, am_step_ms, ratio: am_step_ms / fwd_bwd_ms });
  }
  return out;
}
