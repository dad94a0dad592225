/**
 * Activation maximisation (paper Fig. 7; regularisation after Nguyen et al. 2016): gradient
 * ascent in RGB pixel space (0..255) on one neuron of a probe layer.
 *
 * Each step: roll the image by a seeded random jitter (|dx|,|dy| <= jitter px), forward it
 * (bilinearly resized to the model's input size when the octave is smaller), take the gradient
 * of the neuron w.r.t. the pixels (through the roll, so it lands back un-rolled), normalise it by
 * its mean |g|, subtract `tvWeight` times the mean-|g|-normalised gradient of the total
 * variation, move by `stepSize` pixel units, clip to [0, 255]. Octaves: optimisation starts on a
 * smaller image (size * octaveScale^-(octaves-1)) which is bilinearly up-scaled between octaves.
 *
 * Optional Gaussian blur every `blurEvery` steps (Yosinski et al. 2015's blur prior; off by default).
 *
 * Stopping rule (`stop: 'plateau'`, the default): each octave runs until the activation plateaus,
 * at most `steps` steps. With b_t the best activation of the octave up to step t and a_0 its first
 * value, the octave stops after step t (t >= plateauWindow) when the best value gained less than
 * `plateauTol` of its rise over the last `plateauWindow` steps:
 *     b_t - b_{t-W} <= plateauTol * max(0, b_t - a_0)
 * (the best-so-far is monotone and ignores the jitter's step-to-step noise; a run that never rose
 * stops once W steps bring no gain at all). The step where the last octave stopped this way is
 * the run's plateau step; a run that reaches the cap records none. `stop: 'fixed'` runs exactly
 * `steps` steps per octave.
 *
 * Neuron value: spatial layers use the centre cell (row floor(H/2), column floor(W/2)) by
 * default, or the spatial max with `spatial: 'max'`; vector layers use the unit itself.
 */
import { UserError } from '../../core/errors.js';
import { initTf, tf } from '../../engine/tfjs/backend.js';
import { TfGraph } from '../../engine/tfjs/graph.js';
import { createGradientEngine, type GradientEngine } from '../../engine/ort/grad-engine.js';
import type { RgbImage } from '../../data/image.js';
import { rgbImage } from '../../data/image.js';
import { findProbe, type FaceModel, type ProbeLayer } from '../../models/face-model.js';
import { mulberry32 } from '../../core/random.js';

export type SpatialRule = 'centre' | 'max';

export interface MaximizeParams {
  /** Steps per octave. */
  steps: number;
  octaves: number;
  /** Linear size ratio between consecutive octaves. */
  octaveScale: number;
  /** Mean |pixel change| per step, 0..255 units. */
  stepSize: number;
  /** Max jitter (roll) in pixels of the current octave, each axis. */
  jitter: number;
  /** Weight of the normalised TV gradient relative to the normalised activation gradient. */
  tvWeight: number;
  spatial: SpatialRule;
  seed: number;
  /** Std of the seeded Gaussian noise around grey 128 for init 'noise'. */
  noiseStd: number;
  /** Number of intermediate snapshots in the strip (evenly spaced, including the last step). */
  snapshots: number;
  /** Gaussian blur of the image every `blurEvery` steps with this std in pixels (0 = off). */
  blurSigma: number;
  blurEvery: number;
  /** 'plateau': each octave stops when the activation plateaus (`steps` = cap); 'fixed': `steps` per octave. */
  stop: 'plateau' | 'fixed';
  /** Steps over which the plateau gain is measured. */
  plateauWindow: number;
  /** Relative gain (of the octave's rise so far) below which the activation has plateaued. */
  plateauTol: number;
}

export const MAXIMIZE_DEFAULTS: MaximizeParams = {
  steps: 100,
  octaves: 2,
  octaveScale: 1.5,
  stepSize: 2,
  jitter: 4,
  tvWeight: 0.3,
  spatial: 'centre',
  seed: 0,
  noiseStd: 8,
  snapshots: 8,
  blurSigma: 0,
  blurEvery: 4,
  stop: 'plateau',
  plateauWindow: 15,
  plateauTol: 0.01,
};

/**
 * True when the activations `a` of one octave (a[0] = its first value, a[t] = the value before
 * step t + 1) have plateaued after step t = a.length - 1 under the module's rule (module comment).
 */
export function plateaued(a: readonly number[], window: number, tol: number): boolean {
  const t = a.length - 1;
  if (t < window || window < 1) return false;
  let best = -Infinity;
  let bestBefore = -Infinity;
  for (let i = 0; i <= t; i++) {
    best = Math.max(best, a[i]!);
    if (i === t - window) bestBefore = best;
  }
  return best - bestBefore <= tol * Math.max(0, best - a[0]!);
}

/** First t at which `plateaued(a.slice(0, t + 1))` holds, or undefined (the reference for tests and post-hoc reading). */
export function plateauIndex(a: readonly number[], window: number, tol: number): number | undefined {
  for (let t = window; t < a.length; t++) if (plateaued(a.slice(0, t + 1), window, tol)) return t;
  return undefined;
}

export interface MaximizeOptions extends Partial<MaximizeParams> {
  model: FaceModel;
  layer: string;
  neuron: number;
  /** 'noise' (seeded grey + Gaussian noise), 'grey' (flat 128) or an image (resized to the octave size). */
  init?: 'noise' | 'grey' | RgbImage;
  /** How an image init is named in the result (e.g. 'mean-topn 9 of sweep DIR'). */
  initLabel?: string;
  /** The facet (t-SNE cluster, facets.ts) the init image comes from, recorded in the result. */
  facet?: number;
  /** Use TF.js autodiff through this graph (tests, or models ONNX Runtime cannot differentiate). */
  graph?: TfGraph;
  /**
   * A gradient engine for the probe's tensor with the 'gradient' relu rule, kept open by the
   * caller across runs (otherwise each run makes and releases its own).
   */
  engine?: GradientEngine;
  /** The neuron's value and input gradient, any way the caller likes (overrides `engine` and `graph`). */
  gradient?: NeuronGradient;
}

/**
 * Value of the neuron and its gradient w.r.t. the preprocessed model input `z` (1 x 3 x H x W,
 * the model's channel order), for one image.
 */
export type NeuronGradient = (z: Float32Array) => Promise<{ value: number; grad: Float32Array }>;

/** The neuron's value read from a probe tensor of one image, as `readout` does. */
function readValue(y: Float32Array, probe: ProbeLayer, neuron: number, rule: SpatialRule): number {
  if (probe.shape.length !== 3) return y[neuron];
  const [, hh, ww] = probe.shape;
  const base = neuron * hh * ww;
  if (rule === 'centre') return y[base + Math.floor(hh / 2) * ww + Math.floor(ww / 2)];
  let m = -Infinity;
  for (let c = 0; c < hh * ww; c++) m = Math.max(m, y[base + c]);
  return m;
}

/**
 * NeuronGradient from a GradientEngine (ONNX Runtime backward graph by default) made for the
 * probe's tensor with the plain 'gradient' relu rule: upstream = 1 at the readout cell.
 */
export function engineNeuronGradient(engine: GradientEngine, probe: ProbeLayer, neuron: number, spatial: SpatialRule): NeuronGradient {
  return async (z) => {
    const r = await engine.vjp(z, 1, { kind: 'channel-max', channel: neuron, spatial });
    return { value: readValue(r.value, probe, neuron, spatial), grad: r.grad };
  };
}

/** NeuronGradient by TF.js autodiff through TfGraph. */
export function tfGraphNeuronGradient(graph: TfGraph, model: FaceModel, probe: ProbeLayer, neuron: number, spatial: SpatialRule): NeuronGradient {
  const read = readout(probe, neuron, spatial);
  const { width: W, height: H } = model.inputSize;
  const inputName = graph.inputNames[0];
  const vg = tf.valueAndGrad((z: tf.Tensor) => read(graph.run({ [inputName]: z }, [probe.tensor])[probe.tensor]));
  return async (z) =>
    tf.tidy(() => {
      const { value, grad } = vg(tf.tensor4d(z, [1, 3, H, W]));
      return { value: value.dataSync()[0], grad: grad.dataSync() as Float32Array };
    });
}

export interface MaximizeResult {
  params: MaximizeParams;
  init: string;
  layer: string;
  neuron: number;
  /** Facet of the init (null: not a facet init). */
  facet: number | null;
  /** How the neuron value is read. */
  readout: string;
  image: RgbImage;
  /** Snapshots at model input size, in step order. */
  snapshots: { step: number; image: RgbImage }[];
  /** The starting image (after noise / resizing), at model input size. */
  initImage?: RgbImage;
  /** Neuron value before each step (at the current octave), then after the last one. */
  activations: number[];
  /** Mean |neighbour difference| per step (0..255 units), same indexing as activations. */
  tv: number[];
  initialActivation: number;
  finalActivation: number;
  /** Neuron value of the final image after 8-bit quantisation. */
  finalActivationUint8: number;
  seconds: number;
  /** Wall time of each step in ms (gradient, update, regularisers): for benchmarks. */
  stepMs: number[];
  /**
   * Where the run stopped: per octave the steps run and whether it plateaued; `step` = the global
   * step (index into `activations`) where the last octave plateaued, null when it hit the cap
   * (or with stop 'fixed').
   */
  plateau: { step: number | null; rule: string; octaves: { octave: number; steps: number; plateaued: boolean }[] };
}


function gauss(rng: () => number): number {
  const u = Math.max(rng(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

function octaveSizes(p: MaximizeParams, w: number, h: number): [number, number][] {
  const out: [number, number][] = [];
  for (let o = 0; o < p.octaves; o++) {
    const s = Math.pow(p.octaveScale, -(p.octaves - 1 - o));
    out.push([Math.max(8, Math.round(w * s)), Math.max(8, Math.round(h * s))]);
  }
  return out;
}

/** Circular shift of an NCHW tensor by (dy, dx). */
function roll(x: tf.Tensor4D, dy: number, dx: number): tf.Tensor4D {
  const [, , h, w] = x.shape;
  let y = x;
  const sy = ((dy % h) + h) % h;
  const sx = ((dx % w) + w) % w;
  if (sy) y = tf.concat([tf.slice(y, [0, 0, h - sy, 0], [-1, -1, sy, -1]), tf.slice(y, [0, 0, 0, 0], [-1, -1, h - sy, -1])], 2);
  if (sx) y = tf.concat([tf.slice(y, [0, 0, 0, w - sx], [-1, -1, -1, sx]), tf.slice(y, [0, 0, 0, 0], [-1, -1, -1, w - sx])], 3);
  return y;
}

/** Anisotropic total variation: mean |neighbour difference| over horizontal and vertical pairs. */
export function totalVariation(x: tf.Tensor4D): tf.Scalar {
  const [, , h, w] = x.shape;
  const dv = tf.sub(tf.slice(x, [0, 0, 1, 0], [-1, -1, h - 1, -1]), tf.slice(x, [0, 0, 0, 0], [-1, -1, h - 1, -1]));
  const dh = tf.sub(tf.slice(x, [0, 0, 0, 1], [-1, -1, -1, w - 1]), tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, w - 1]));
  return tf.div(tf.add(tf.sum(tf.abs(dv)), tf.sum(tf.abs(dh))), dv.size + dh.size) as tf.Scalar;
}

/** Normalised 1-D Gaussian of std `sigma`, radius ceil(3 sigma). */
export function gaussianKernel(sigma: number): Float32Array {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float32Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) sum += k[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  return k;
}

/** Separable Gaussian blur of an NCHW image, edges mirrored (no darkening at the border). */
export function gaussianBlur(x: tf.Tensor4D, sigma: number): tf.Tensor4D {
  if (sigma <= 0) return x;
  return tf.tidy(() => {
    const k = gaussianKernel(sigma);
    const r = (k.length - 1) / 2;
    const [, c, h, w] = x.shape;
    const ry = Math.min(r, h - 1);
    const rx = Math.min(r, w - 1);
    const ky = k.subarray(r - ry, r + ry + 1);
    const kx = k.subarray(r - rx, r + rx + 1);
    const sy = ky.reduce((a, b) => a + b, 0);
    const sx = kx.reduce((a, b) => a + b, 0);
    let y = tf.transpose(x, [0, 2, 3, 1]) as tf.Tensor4D;
    y = tf.mirrorPad(y, [[0, 0], [ry, ry], [rx, rx], [0, 0]], 'reflect');
    const fy = tf.tile(tf.tensor4d(ky.map((v) => v / sy), [ky.length, 1, 1, 1]), [1, 1, c, 1]) as tf.Tensor4D;
    const fx = tf.tile(tf.tensor4d(kx.map((v) => v / sx), [1, kx.length, 1, 1]), [1, 1, c, 1]) as tf.Tensor4D;
    y = tf.depthwiseConv2d(y, fy, 1, 'valid');
    y = tf.depthwiseConv2d(y, fx, 1, 'valid');
    return tf.transpose(y, [0, 3, 1, 2]) as tf.Tensor4D;
  });
}

/** TV of an 8-bit image (same definition as `totalVariation`). */
export function imageTv(img: RgbImage): number {
  const { width: w, height: h, data } = img;
  let s = 0;
  let n = 0;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++) {
        const v = data[(y * w + x) * 3 + c];
        if (x + 1 < w) (s += Math.abs(data[(y * w + x + 1) * 3 + c] - v)), n++;
        if (y + 1 < h) (s += Math.abs(data[((y + 1) * w + x) * 3 + c] - v)), n++;
      }
  return s / n;
}

function toNchw(img: RgbImage): tf.Tensor4D {
  const { width: w, height: h, data } = img;
  const out = new Float32Array(3 * w * h);
  for (let i = 0; i < w * h; i++) for (let c = 0; c < 3; c++) out[c * w * h + i] = data[i * 3 + c];
  return tf.tensor4d(out, [1, 3, h, w]);
}

function toRgb(x: tf.Tensor4D): RgbImage {
  const [, , h, w] = x.shape;
  const d = x.dataSync();
  const out = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++) for (let c = 0; c < 3; c++) out[i * 3 + c] = Math.max(0, Math.min(255, Math.round(d[c * w * h + i])));
  return rgbImage(w, h, out);
}

function resizeNchw(x: tf.Tensor4D, h: number, w: number): tf.Tensor4D {
  if (x.shape[2] === h && x.shape[3] === w) return x;
  const nhwc = tf.transpose(x, [0, 2, 3, 1]) as tf.Tensor4D;
  return tf.transpose(tf.image.resizeBilinear(nhwc, [h, w], true), [0, 3, 1, 2]) as tf.Tensor4D;
}

/** The neuron's value (a scalar) from the probe output. */
function readout(probe: ProbeLayer, neuron: number, rule: SpatialRule): (y: tf.Tensor) => tf.Scalar {
  if (probe.shape.length === 3) {
    const [, hh, ww] = probe.shape;
    if (rule === 'max') return (y) => tf.max(tf.slice(y, [0, neuron, 0, 0], [1, 1, hh, ww])) as tf.Scalar;
    const cy = Math.floor(hh / 2);
    const cx = Math.floor(ww / 2);
    return (y) => tf.reshape(tf.slice(y, [0, neuron, cy, cx], [1, 1, 1, 1]), []) as tf.Scalar;
  }
  return (y) => tf.reshape(tf.slice(tf.reshape(y, [1, -1]), [0, neuron], [1, 1]), []) as tf.Scalar;
}

export function resolveParams(opts: Partial<MaximizeParams>): MaximizeParams {
  const p: MaximizeParams = { ...MAXIMIZE_DEFAULTS };
  for (const k of Object.keys(MAXIMIZE_DEFAULTS) as (keyof MaximizeParams)[]) {
    if (opts[k] !== undefined) (p as unknown as Record<string, unknown>)[k] = opts[k];
  }
  if (!Number.isInteger(p.steps) || p.steps < 0) throw new Error(`maximize: steps must be a non-negative integer, got ${p.steps}`);
  if (!Number.isInteger(p.octaves) || p.octaves < 1) throw new Error(`maximize: octaves must be >= 1, got ${p.octaves}`);
  if (!(p.octaveScale >= 1)) throw new Error(`maximize: octaveScale must be >= 1`);
  if (!(p.stepSize > 0)) throw new Error(`maximize: stepSize must be > 0`);
  if (!Number.isInteger(p.jitter) || p.jitter < 0) throw new Error(`maximize: jitter must be a non-negative integer`);
  if (!(p.tvWeight >= 0)) throw new Error(`maximize: tvWeight must be >= 0`);
  if (p.spatial !== 'centre' && p.spatial !== 'max') throw new Error(`maximize: spatial must be centre|max`);
  if (!(p.blurSigma >= 0)) throw new Error(`maximize: blurSigma must be >= 0`);
  if (!Number.isInteger(p.blurEvery) || p.blurEvery < 1) throw new Error(`maximize: blurEvery must be a positive integer`);
  if (p.stop !== 'plateau' && p.stop !== 'fixed') throw new Error(`maximize: stop must be plateau|fixed`);
  if (!Number.isInteger(p.plateauWindow) || p.plateauWindow < 1) throw new Error(`maximize: plateauWindow must be a positive integer`);
  if (!(p.plateauTol >= 0)) throw new Error(`maximize: plateauTol must be >= 0`);
  return p;
}

export async function maximize(opts: MaximizeOptions): Promise<MaximizeResult> {
  const t0 = performance.now();
  await initTf();
  const { model } = opts;
  const p = resolveParams(opts);
  const probe = findProbe(model, opts.layer);
  const units = probe.shape[0];
  if (!Number.isInteger(opts.neuron) || opts.neuron < 0 || opts.neuron >= units) {
    throw new UserError(`maximize: neuron ${opts.neuron} out of range 0..${units - 1} for ${probe.name}`);
  }
  // default: the generated backward graph on ONNX Runtime (falls back to TF.js by itself)
  const ownEngine = !opts.gradient && !opts.engine && !opts.graph ? await createGradientEngine(model, { output: probe.tensor, rule: 'gradient' }) : undefined;
  const engine = opts.engine ?? ownEngine;
  const gradient =
    opts.gradient ??
    (engine ? engineNeuronGradient(engine, probe, opts.neuron, p.spatial) : tfGraphNeuronGradient(opts.graph!, model, probe, opts.neuron, p.spatial));
  const { width: W, height: H } = model.inputSize;
  const { mean, std, channelOrder } = model.preprocessing;
  const order = channelOrder === 'RGB' ? [0, 1, 2] : [2, 1, 0];
  const meanT = tf.keep(tf.tensor4d(order.map((c) => mean[c]), [1, 3, 1, 1]));
  const invStdT = tf.keep(tf.tensor4d(order.map((c) => 1 / std[c]), [1, 3, 1, 1]));
  const rng = mulberry32(p.seed);
  const sizes = octaveSizes(p, W, H);

  /** Pixel image (any size, RGB 0..255) -> preprocessed model input, differentiable. */
  const pre = (x: tf.Tensor4D): tf.Tensor4D => {
    let z = resizeNchw(x, H, W);
    if (channelOrder === 'BGR') z = tf.reverse(z, 1);
    return tf.mul(tf.sub(z, meanT), invStdT) as tf.Tensor4D;
  };
  const valueOf = async (x: tf.Tensor4D): Promise<number> => {
    const z = tf.tidy(() => pre(x));
    const d = z.dataSync() as Float32Array;
    z.dispose();
    return (await gradient(d)).value;
  };

  const initName = opts.init === undefined ? 'noise' : typeof opts.init === 'string' ? opts.init : (opts.initLabel ?? `image ${opts.init.width}x${opts.init.height}`);
  let x: tf.Tensor4D;
  {
    const [w0, h0] = sizes[0];
    if (opts.init === undefined || opts.init === 'noise' || opts.init === 'grey') {
      const d = new Float32Array(3 * w0 * h0);
      const noisy = opts.init !== 'grey';
      for (let i = 0; i < d.length; i++) d[i] = Math.max(0, Math.min(255, 128 + (noisy ? p.noiseStd * gauss(rng) : 0)));
      x = tf.keep(tf.tensor4d(d, [1, 3, h0, w0]));
    } else {
      const img = opts.init;
      x = tf.keep(tf.tidy(() => resizeNchw(toNchw(img), h0, w0)));
    }
  }

  const activations: number[] = [];
  const tv: number[] = [];
  const total = p.steps * p.octaves;
  const snapAt = new Set<number>();
  for (let i = 1; i <= p.snapshots; i++) snapAt.add(Math.round((i * total) / Math.max(1, p.snapshots)));
  const snapshots: { step: number; image: RgbImage }[] = [];
  const gradTv = tf.grad((z: tf.Tensor) => totalVariation(z as tf.Tensor4D));
  const stepMs: number[] = [];
  let step = 0;
  let initImage: RgbImage | undefined;
  const octaveStops: { octave: number; steps: number; plateaued: boolean }[] = [];
  let plateauStep: number | null = null;
  try {
    initImage = toRgb(tf.tidy(() => resizeNchw(x, H, W)));
    if (total === 0 || snapAt.has(0)) snapshots.push({ step: 0, image: initImage });
    for (let o = 0; o < p.octaves; o++) {
      if (o > 0) {
        const [w, h] = sizes[o];
        const up = tf.keep(tf.tidy(() => resizeNchw(x, h, w)));
        x.dispose();
        x = up;
      }
      const octaveStart = activations.length;
      let stopped = false;
      let s = 0;
      for (; s < p.steps && !stopped; s++) {
        const ts = performance.now();
        const dy = p.jitter ? Math.floor(rng() * (2 * p.jitter + 1)) - p.jitter : 0;
        const dx = p.jitter ? Math.floor(rng() * (2 * p.jitter + 1)) - p.jitter : 0;
        const cur = x;
        const zT = tf.tidy(() => pre(roll(cur, dy, dx)));
        const z = zT.dataSync() as Float32Array;
        zT.dispose();
        // value and gradient at the jittered image, w.r.t. the model input
        const { value: a0, grad } = await gradient(z);
        const [next, t] = tf.tidy(() => {
          const G = tf.tensor4d(grad, [1, 3, H, W]);
          // chain rule back through preprocessing, resizing and the roll: the gradient lands
          // on the un-rolled pixels of the current octave
          const gBack = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(pre(roll(xx as tf.Tensor4D, dy, dx)), G)))(cur) as tf.Tensor4D;
          const gn = tf.div(gBack, tf.add(tf.mean(tf.abs(gBack)), 1e-12));
          let upd = gn;
          if (p.tvWeight > 0) {
            const gt = gradTv(cur);
            upd = tf.sub(gn, tf.mul(tf.div(gt, tf.add(tf.mean(tf.abs(gt)), 1e-12)), p.tvWeight));
          }
          let n = tf.clipByValue(tf.add(cur, tf.mul(upd, p.stepSize)), 0, 255) as tf.Tensor4D;
          if (p.blurSigma > 0 && (step + 1) % p.blurEvery === 0) n = gaussianBlur(n, p.blurSigma);
          return [tf.keep(n), totalVariation(cur)] as const;
        });
        activations.push(a0);
        tv.push(t.dataSync()[0]);
        t.dispose();
        x.dispose();
        x = next;
        step++;
        stepMs.push(performance.now() - ts);
        if (snapAt.has(step)) snapshots.push({ step, image: toRgb(tf.tidy(() => resizeNchw(x, H, W))) });
        if (p.stop === 'plateau' && plateaued(activations.slice(octaveStart), p.plateauWindow, p.plateauTol)) stopped = true;
      }
      octaveStops.push({ octave: o, steps: s, plateaued: stopped });
      if (o === p.octaves - 1) plateauStep = stopped ? step - 1 : null;
    }
    // the last image is always in the strip, also when the run stopped before the planned snapshot steps
    if (snapshots.length === 0 || snapshots[snapshots.length - 1]!.step !== step) snapshots.push({ step, image: toRgb(tf.tidy(() => resizeNchw(x, H, W))) });
    const finalT = tf.tidy(() => resizeNchw(x, H, W).clone());
    activations.push(await valueOf(finalT));
    tv.push(tf.tidy(() => totalVariation(finalT)).dataSync()[0]);
    const image = toRgb(finalT);
    finalT.dispose();
    const q = tf.tidy(() => toNchw(image));
    const finalActivationUint8 = await valueOf(q);
    q.dispose();
    return {
      params: p,
      init: initName,
      layer: probe.name,
      neuron: opts.neuron,
      facet: opts.facet ?? null,
      readout:
        probe.shape.length === 3
          ? p.spatial === 'centre'
            ? `centre cell (row ${Math.floor(probe.shape[1] / 2)}, col ${Math.floor(probe.shape[2] / 2)}) of channel ${opts.neuron}`
            : `spatial max of channel ${opts.neuron}`
          : `unit ${opts.neuron}`,
      image,
      snapshots,
      ...(initImage ? { initImage } : {}),
      activations,
      tv,
      initialActivation: activations[0],
      finalActivation: activations[activations.length - 1],
      finalActivationUint8,
      seconds: (performance.now() - t0) / 1000,
      stepMs,
      plateau: {
        step: plateauStep,
        rule:
          p.stop === 'plateau'
            ? `per octave: stop after step t >= ${p.plateauWindow} when best(t) - best(t - ${p.plateauWindow}) <= ${p.plateauTol} * max(0, best(t) - first value of the octave), at most ${p.steps} steps`
            : `fixed: ${p.steps} steps per octave`,
        octaves: octaveStops,
      },
    };
  } finally {
    x.dispose();
    meanT.dispose();
    invStdT.dispose();
    await ownEngine?.release();
  }
}

/** Snapshots side by side (all at the model input size). */
export function stripImage(snaps: RgbImage[], gap = 2): RgbImage {
  if (snaps.length === 0) throw new Error('stripImage: no snapshots');
  const h = snaps[0].height;
  const w = snaps.reduce((s, im) => s + im.width, 0) + gap * (snaps.length - 1);
  const out = new Uint8Array(w * h * 3).fill(255);
  let ox = 0;
  for (const im of snaps) {
    for (let y = 0; y < im.height; y++) out.set(im.data.subarray(y * im.width * 3, (y + 1) * im.width * 3), (y * w + ox) * 3);
    ox += im.width + gap;
  }
  return rgbImage(w, h, out);
}
