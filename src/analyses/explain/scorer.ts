/**
 * The pair similarity that `explain` attributes: s(A, B) = cos(f(A), f(B)), f = the flattened
 * probe layer (default the embedding). A `PairScorer` scores many variants of one face against a
 * fixed reference vector in forward batches (occlusion, deletion / insertion curves) and takes
 * the input gradient of s through the ORT backward graph (ort/grad-engine.ts).
 *
 * Gradient of the cosine w.r.t. a = f(A), with b^ = f(B)/|f(B)|, a^ = a/|a|, s = a^ . b^:
 *   ds/da = (b^ - s a^) / |a|
 * (the component of b^ along a^ is projected out: scaling a does not change s). That vector is
 * the upstream signal ("mask") of the vector-Jacobian product, which gives ds/dx' in the model's
 * input space x' = (p - mean) / std (model channel order); ds/dp = ds/dx' / std in RGB pixel order.
 */
import type { RgbImage } from '../../data/image.js';
import { createGradientEngine, type GradientEngine } from '../../engine/ort/grad-engine.js';
import { OrtEngine } from '../../engine/ort/engine.js';
import { findProbe, type FaceModel, type ProbeLayer } from '../../models/face-model.js';
import { toInputBatch } from '../../models/preprocess.js';
import { cosineSimilarity } from '../metrics/cosine.js';
import { defaultCamLayer, LayerCam } from './layer-cam.js';

export interface FaceGradient {
  /** ds/dp per pixel and RGB channel, H x W x 3 interleaved (pixel values on the 0..255 scale). */
  grad: Float32Array;
  /** (p - mean) per pixel and RGB channel: the input relative to the model's mean colour. */
  centred: Float32Array;
  /** s at the face itself (from the gradient's own forward pass). */
  similarity: number;
}

export class PairScorer {
  private grad?: Promise<GradientEngine>;
  private readonly cams = new Map<string, Promise<LayerCam>>();
  private camDefault?: Promise<string | undefined>;

  private constructor(
    readonly model: FaceModel,
    readonly layer: ProbeLayer,
    private readonly engine: OrtEngine,
    readonly batch: number,
  ) {}

  static async create(model: FaceModel, layer: string, opts: { batch?: number } = {}): Promise<PairScorer> {
    const probe = findProbe(model, layer);
    return new PairScorer(model, probe, await OrtEngine.create(model), opts.batch ?? 16);
  }

  /** Flattened probe features of each face (the layer named at creation, or `probe`). */
  async features(faces: RgbImage[], probe = this.layer.name): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let s = 0; s < faces.length; s += this.batch) {
      const part = faces.slice(s, s + this.batch);
      const res = await this.engine.run(toInputBatch(this.model, part), part.length, [probe]);
      const t = res[probe]!;
      const per = t.data.length / part.length;
      for (let i = 0; i < part.length; i++) out.push(t.data.slice(i * per, (i + 1) * per));
    }
    return out;
  }

  /** Every probe layer's features of each face: result[layer][face]. */
  async allLayers(faces: RgbImage[]): Promise<Map<string, Float32Array[]>> {
    const names = this.model.probes.map((p) => p.name);
    const res = await this.engine.run(toInputBatch(this.model, faces), faces.length, names);
    return new Map(names.map((n) => {
      const t = res[n]!;
      const per = t.data.length / faces.length;
      return [n, faces.map((_, i) => t.data.slice(i * per, (i + 1) * per))];
    }));
  }

  /** cos(f(face), ref) for every face. */
  async similarities(faces: RgbImage[], ref: Float32Array): Promise<Float64Array> {
    const f = await this.features(faces);
    return Float64Array.from(f.map((v) => cosineSimilarity(v, ref)));
  }

  private async gradEngine(): Promise<GradientEngine> {
    this.grad ??= createGradientEngine(this.model, { output: this.layer.tensor, rule: 'gradient' });
    return this.grad;
  }

  /**
   * ds/dx' for each of `rows` model-space inputs (rows x 3 x H x W, model channel order), and
   * each row's s from the same forward pass.
   */
  async inputGradients(input: Float32Array, rows: number, ref: Float32Array): Promise<{ grad: Float32Array; similarity: number[] }> {
    const engine = await this.gradEngine();
    const per = input.length / rows;
    const grads = new Float32Array(input.length);
    const similarity: number[] = [];
    for (let s = 0; s < rows; s += this.batch) {
      const n = Math.min(this.batch, rows - s);
      const x = input.slice(s * per, (s + n) * per);
      const feats = await this.engine.run(x, n, [this.layer.name]);
      const f = feats[this.layer.name]!.data;
      const d = f.length / n;
      const mask = new Float32Array(f.length);
      for (let r = 0; r < n; r++) mask.set(cosineUpstream(f.subarray(r * d, (r + 1) * d), ref), r * d);
      const res = await engine.vjp(x, n, { kind: 'mask', mask });
      grads.set(res.grad, s * per);
      for (let r = 0; r < n; r++) similarity.push(cosineSimilarity(res.value.subarray(r * d, (r + 1) * d), ref));
    }
    return { grad: grads, similarity };
  }

  /** Model-space ds/dx' (one image) -> pixel-space ds/dp, H x W x 3 RGB interleaved. */
  toPixelSpace(g: Float32Array): Float32Array {
    const { width: w, height: h } = this.model.inputSize;
    const { std, channelOrder } = this.model.preprocessing;
    const order = channelOrder === 'RGB' ? [0, 1, 2] : [2, 1, 0];
    const plane = w * h;
    const out = new Float32Array(plane * 3);
    for (let c = 0; c < 3; c++) {
      const rgb = order[c]!;
      for (let i = 0; i < plane; i++) out[i * 3 + rgb] = g[c * plane + i]! / std[rgb]!;
    }
    return out;
  }

  /** ds/dp of s = cos(f(face), ref) (see the module comment). */
  async gradient(face: RgbImage, ref: Float32Array): Promise<FaceGradient> {
    const r = await this.inputGradients(toInputBatch(this.model, [face]), 1, ref);
    const { mean } = this.model.preprocessing;
    const centred = new Float32Array(face.data.length);
    for (let i = 0; i < centred.length; i++) centred[i] = face.data[i]! - mean[i % 3]!;
    return { grad: this.toPixelSpace(r.grad), centred, similarity: r.similarity[0]! };
  }

  /**
   * Integrated gradients (Sundararajan et al. 2017) from `baseline` to `face`: per pixel and RGB
   * channel (p - p0) x the mean of ds/dp at the midpoints p0 + (k - 1/2)/steps (p - p0),
   * k = 1..steps. Their sum approximates s(face) - s(baseline) (completeness), returned too.
   */
  async integratedGradients(face: RgbImage, baseline: RgbImage, ref: Float32Array, steps: number): Promise<{ attribution: Float32Array; similarityGap: number; attributionSum: number }> {
    const x = toInputBatch(this.model, [face]);
    const x0 = toInputBatch(this.model, [baseline]);
    const per = x.length;
    const batch = new Float32Array(per * steps);
    for (let k = 0; k < steps; k++) {
      const a = (k + 0.5) / steps;
      for (let i = 0; i < per; i++) batch[k * per + i] = x0[i]! + a * (x[i]! - x0[i]!);
    }
    const r = await this.inputGradients(batch, steps, ref);
    const mean = new Float32Array(per);
    for (let k = 0; k < steps; k++) for (let i = 0; i < per; i++) mean[i] += r.grad[k * per + i]! / steps;
    const g = this.toPixelSpace(mean);
    const attribution = new Float32Array(g.length);
    let sum = 0;
    for (let i = 0; i < g.length; i++) {
      attribution[i] = g[i]! * (face.data[i]! - baseline.data[i]!);
      sum += attribution[i]!;
    }
    const [s1, s0] = await this.similarities([face, baseline], ref);
    return { attribution, similarityGap: s1! - s0!, attributionSum: sum };
  }

  /** The default similarity Grad-CAM layer of the model (layer-cam.ts), computed once. */
  defaultCamLayer(): Promise<string | undefined> {
    this.camDefault ??= defaultCamLayer(this.model);
    return this.camDefault;
  }

  /** Similarity Grad-CAM of s = cos(f(face), ref) at probe layer `layer` (layer-cam.ts), H x W. */
  async layerCam(face: RgbImage, ref: Float32Array, layer: string): Promise<Float32Array> {
    let c = this.cams.get(layer);
    if (!c) {
      c = LayerCam.create(this.model, layer, this.layer);
      this.cams.set(layer, c);
    }
    const cam = await c;
    const f = (await this.features([face]))[0]!;
    return cam.map(toInputBatch(this.model, [face]), cosineUpstream(f, ref));
  }

  async release(): Promise<void> {
    for (const c of this.cams.values()) await (await c.catch(() => undefined))?.release();
    this.cams.clear();
    await this.engine.release();
    if (this.grad) await (await this.grad).release();
  }
}

/** ds/da of s = cos(a, b): (b^ - s a^) / |a|; zero when either vector is zero (s is flat there). */
export function cosineUpstream(a: ArrayLike<number>, b: ArrayLike<number>): Float32Array {
  if (a.length !== b.length) throw new RangeError(`cosine gradient: ${a.length} vs ${b.length} values`);
  let aa = 0, bb = 0, ab = 0;
  for (let i = 0; i < a.length; i++) {
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
    ab += a[i]! * b[i]!;
  }
  const out = new Float32Array(a.length);
  if (aa === 0 || bb === 0) return out;
  const na = Math.sqrt(aa), nb = Math.sqrt(bb);
  const s = ab / (na * nb);
  for (let i = 0; i < a.length; i++) out[i] = (b[i]! / nb - (s * a[i]!) / na) / na;
  return out;
}
