/**
 * Input-space gradients (vector-Jacobian products) for the analyses, behind one interface:
 * - 'onnxruntime': a generated forward + backward ONNX graph (ort/backward.ts) on ONNX Runtime;
 * - 'tfjs': TfGraph + tf.grad (the fallback when the graph has an op the generator does not cover).
 *
 * The upstream signal (d/d probe) is one of:
 * - mask:        the given mask (batch x probe shape);
 * - value-mask:  mask * the probe's forward value (deconvnet projections);
 * - channel-max: per image, 1 at the channel's argmax cell (first maximum in row-major order) or
 *                at its centre cell (row floor(H/2), column floor(W/2)); vector probes: 1 at the unit.
 * Both engines return the probe's forward value and the `capture` tensors from the very forward
 * pass the gradient uses.
 */
import os from 'node:os';
import ort from 'onnxruntime-node';
import type { FaceModel } from '../../models/face-model.js';
import { BACKWARD_IO, buildBackwardModel, inferShapes, shapeNames, UnsupportedOpError, type UpstreamKind } from './backward.js';
import type { HostTensor } from './engine.js';
import { initTf, tf } from '../tfjs/backend.js';
import { TfGraph } from '../tfjs/graph.js';
import type { ReluRule } from '../tfjs/relu-rules.js';

export type Upstream =
  | { kind: 'mask'; mask: Float32Array }
  | { kind: 'value-mask'; mask: Float32Array }
  | { kind: 'channel-max'; channel: number; spatial: 'max' | 'centre' };

export interface VjpResult {
  /** batch x 3 x H x W, model input order. */
  grad: Float32Array;
  /** The probe's forward value, batch x probe shape. */
  value: Float32Array;
  captured: Record<string, HostTensor>;
}

export interface GradientEngine {
  readonly backend: 'onnxruntime' | 'tfjs';
  vjp(input: Float32Array, batch: number, upstream: Upstream): Promise<VjpResult>;
  release(): Promise<void>;
}

export interface GradientEngineOptions {
  /** Probe tensor name (a forward value of the model's graph). */
  output: string;
  rule: ReluRule;
  capture?: string[];
  prefer?: 'onnxruntime' | 'tfjs';
  /** ORT intra-op threads (default: all cores). */
  threads?: number;
  /** ORT only: Conv backward as flipped-kernel Conv where possible ('auto') or always ConvTranspose. */
  conv?: 'auto' | 'transpose';
}

const warned = new Set<string>();

/** The host-side upstream signal for `y` (batch x per-image shape). */
export function hostUpstream(up: Upstream, y: Float32Array, dims: number[]): Float32Array {
  if (up.kind === 'mask' || up.kind === 'value-mask') {
    if (up.mask.length !== y.length) throw new Error(`vjp: mask has ${up.mask.length} values, the probe ${y.length}`);
    return up.kind === 'mask' ? up.mask : up.mask.map((m, i) => m * y[i]);
  }
  const out = new Float32Array(y.length);
  const batch = dims[0];
  const per = y.length / batch;
  const channels = dims[1];
  if (!(Number.isInteger(up.channel) && up.channel >= 0 && up.channel < channels)) {
    throw new RangeError(`vjp: channel ${up.channel} outside 0..${channels - 1}`);
  }
  const cells = dims.length === 4 ? dims[2] * dims[3] : 1;
  for (let k = 0; k < batch; k++) {
    const base = k * per + up.channel * cells;
    let best = 0;
    if (dims.length === 4) {
      if (up.spatial === 'centre') best = (dims[2] >> 1) * dims[3] + (dims[3] >> 1);
      else for (let c = 1; c < cells; c++) if (y[base + c] > y[base + best]) best = c;
    }
    out[base + best] = 1;
  }
  return out;
}

function upstreamKey(up: Upstream): string {
  return up.kind === 'channel-max' ? `channel-max:${up.spatial}` : up.kind;
}

function checkInput(model: FaceModel, input: Float32Array, batch: number): number[] {
  const { width, height } = model.inputSize;
  if (input.length !== batch * 3 * width * height) {
    throw new Error(`vjp: input has ${input.length} values, expected ${batch}x3x${height}x${width}`);
  }
  return [batch, 3, height, width];
}

class OrtGradientEngine implements GradientEngine {
  readonly backend = 'onnxruntime' as const;
  private readonly sessions = new Map<string, Promise<ort.InferenceSession>>();

  constructor(
    private readonly model: FaceModel,
    private readonly opts: GradientEngineOptions,
    private readonly shapes: Map<string, number[]>,
  ) {}

  /** Builds the backward graph for one upstream kind (throws UnsupportedOpError). */
  graphBytes(kind: UpstreamKind, spatial?: 'max' | 'centre'): Uint8Array {
    const { output, rule, capture, conv } = this.opts;
    return buildBackwardModel(this.model.onnx, { input: this.model.inputName, output, rule, upstream: kind, spatial, capture, conv }, this.shapes);
  }

  private session(up: Upstream): Promise<ort.InferenceSession> {
    const key = upstreamKey(up);
    let s = this.sessions.get(key);
    if (!s) {
      const bytes = this.graphBytes(up.kind, up.kind === 'channel-max' ? up.spatial : undefined);
      s = ort.InferenceSession.create(bytes, {
        executionProviders: ['cpu'],
        intraOpNumThreads: this.opts.threads ?? os.availableParallelism(),
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
      });
      this.sessions.set(key, s);
    }
    return s;
  }

  async vjp(input: Float32Array, batch: number, up: Upstream): Promise<VjpResult> {
    const dims = checkInput(this.model, input, batch);
    const session = await this.session(up);
    const feeds: Record<string, ort.Tensor> = { [this.model.inputName]: new ort.Tensor('float32', input, dims) };
    if (up.kind === 'channel-max') {
      const ys = this.shapes.get(this.opts.output)!;
      if (!(Number.isInteger(up.channel) && up.channel >= 0 && up.channel < ys[1])) throw new RangeError(`vjp: channel ${up.channel} outside 0..${ys[1] - 1}`);
      feeds[BACKWARD_IO.channel] = new ort.Tensor('int64', BigInt64Array.from([BigInt(up.channel)]), [1]);
    } else {
      const per = this.shapes.get(this.opts.output)!;
      const perDims = per.slice(1);
      if (up.mask.length !== batch * perDims.reduce((a, b) => a * b, 1)) throw new Error(`vjp: mask has ${up.mask.length} values, expected ${batch}x${perDims.join('x')}`);
      feeds[BACKWARD_IO.mask] = new ort.Tensor('float32', up.mask, [batch, ...perDims]);
    }
    const capture = [...new Set(this.opts.capture ?? [])];
    const res = await session.run(feeds);
    const captured: Record<string, HostTensor> = {};
    for (const c of capture) {
      const t = c === this.model.inputName ? { data: input, dims } : { data: res[c].data as Float32Array, dims: res[c].dims.map(Number) };
      captured[c] = t;
    }
    return { grad: res[BACKWARD_IO.grad].data as Float32Array, value: res[this.opts.output].data as Float32Array, captured };
  }

  async release(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of all) await (await s).release();
  }
}

class TfGradientEngine implements GradientEngine {
  readonly backend = 'tfjs' as const;
  constructor(
    private readonly model: FaceModel,
    private readonly opts: GradientEngineOptions,
    private readonly graph: TfGraph,
  ) {}

  async vjp(input: Float32Array, batch: number, up: Upstream): Promise<VjpResult> {
    const dims = checkInput(this.model, input, batch);
    const { output, rule } = this.opts;
    const capture = [...new Set(this.opts.capture ?? [])].filter((c) => c !== output);
    let value = new Float32Array(0);
    let yDims: number[] = [];
    const captured: Record<string, HostTensor> = {};
    const grad = tf.tidy(() => {
      const x = tf.tensor4d(input, dims as [number, number, number, number]);
      const f = (xv: tf.Tensor): tf.Scalar => {
        const r = this.graph.run({ [this.model.inputName]: xv }, [output, ...capture], { reluRule: rule });
        const y = r[output];
        value = (y.dataSync() as Float32Array).slice();
        yDims = y.shape;
        for (const c of capture) captured[c] = { data: (r[c].dataSync() as Float32Array).slice(), dims: r[c].shape };
        return tf.sum(tf.mul(y, tf.tensor(hostUpstream(up, value, y.shape), y.shape)));
      };
      return tf.grad(f)(x);
    });
    const g = (await grad.data()) as Float32Array;
    grad.dispose();
    if ((this.opts.capture ?? []).includes(output)) captured[output] = { data: value, dims: yDims };
    return { grad: g, value, captured };
  }

  async release(): Promise<void> {
    this.graph.dispose();
  }
}

const shapeCache = new WeakMap<FaceModel, Map<string, Promise<Map<string, number[]>>>>();

function modelShapes(model: FaceModel, output: string): Promise<Map<string, number[]>> {
  let m = shapeCache.get(model);
  if (!m) {
    m = new Map();
    shapeCache.set(model, m);
  }
  let p = m.get(output);
  if (!p) {
    const { width, height } = model.inputSize;
    const names = shapeNames(model.onnx, { input: model.inputName, output });
    p = inferShapes(model.onnx, model.inputName, [1, 3, height, width], names);
    m.set(output, p);
  }
  return p;
}

interface Cached {
  engine: GradientEngine;
  refs: number;
}
const engineCache = new WeakMap<FaceModel, Map<string, Promise<Cached>>>();

async function createUncached(model: FaceModel, opts: GradientEngineOptions): Promise<GradientEngine> {
  if ((opts.prefer ?? 'onnxruntime') === 'onnxruntime') {
    try {
      const eng = new OrtGradientEngine(model, opts, await modelShapes(model, opts.output));
      eng.graphBytes('mask'); // throws UnsupportedOpError before any session exists
      return eng;
    } catch (e) {
      if (!(e instanceof UnsupportedOpError)) throw e;
      if (!warned.has(model.name)) {
        warned.add(model.name);
        process.stderr.write(`facelens: gradients of ${model.name} run on TF.js (slower): ONNX Runtime backward graphs do not cover op ${e.op}\n`);
      }
    }
  }
  await initTf();
  return new TfGradientEngine(model, opts, await TfGraph.fromOnnx(model.onnx));
}

/**
 * A gradient engine for `opts.output` of `model` (ORT by default, TF.js when ORT cannot run the
 * graph's backward pass). Engines are shared per (model, output, rule, capture, prefer, conv);
 * each create() must be matched by one release().
 */
export async function createGradientEngine(model: FaceModel, opts: GradientEngineOptions): Promise<GradientEngine> {
  const key = JSON.stringify([opts.output, opts.rule, [...new Set(opts.capture ?? [])].sort(), opts.prefer ?? 'onnxruntime', opts.threads ?? 0, opts.conv ?? 'auto']);
  let m = engineCache.get(model);
  if (!m) {
    m = new Map();
    engineCache.set(model, m);
  }
  let p = m.get(key);
  if (!p) {
    p = createUncached(model, opts).then((engine) => ({ engine, refs: 0 }));
    m.set(key, p);
    p.catch(() => m.delete(key));
  }
  const cached = await p;
  cached.refs += 1;
  let released = false;
  const map = m;
  return {
    backend: cached.engine.backend,
    vjp: (input, batch, up) => cached.engine.vjp(input, batch, up),
    release: async () => {
      if (released) return;
      released = true;
      cached.refs -= 1;
      if (cached.refs === 0) {
        map.delete(key);
        await cached.engine.release();
      }
    },
  };
}
