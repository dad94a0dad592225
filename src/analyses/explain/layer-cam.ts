/**
 * Similarity Grad-CAM (Selvaraju et al. 2017, adapted to a pair similarity): at a spatial probe
 * layer L (C x h x w) of one face, with g = ds/dL through the ORT backward graph (upstream: the
 * cosine gradient at the scored layer, as for the input gradient),
 *   cam(y, x) = sum_c g_c(y, x) A_c(y, x)
 * (gradient x activation per cell: each cell's first-order contribution to s), bilinearly
 * resized to the input (cell centres at ((i + 1/2) H / h - 1/2)). The overlay and the
 * "positive mass" use its positive part. Unlike pixel gradients it attributes to cells whose
 * receptive fields carry parts (eyes, mouth), not to individual pixels' sensitivity.
 *
 * The backward graph is ort/backward.ts's, differentiated with respect to L instead of the image:
 * the generator keeps the forward pass from the image, so the image is re-added as a graph input
 * and L as an output (its activation, from the same forward pass).
 *
 * Default layer: the deepest spatial probe layer with at least 8 x 8 cells (deep enough to carry
 * identity, fine enough to place it on the face).
 */
import ort from 'onnxruntime-node';
import { decodeModel, encodeModel, TensorDataType } from '../../engine/onnx/proto.js';
import { BACKWARD_IO, buildBackwardModel, inferShapes, shapeNames } from '../../engine/ort/backward.js';
import { findProbe, type FaceModel, type ProbeLayer } from '../../models/face-model.js';

export const CAM_MIN_CELLS = 8;

/** The default CAM layer (see the module comment); undefined when no spatial probe is that fine. */
export async function defaultCamLayer(model: FaceModel): Promise<string | undefined> {
  const { width: W, height: H } = model.inputSize;
  const names = model.probes.map((p) => p.tensor);
  const shapes = await inferShapes(model.onnx, model.inputName, [1, 3, H, W], names);
  let best: string | undefined;
  for (const p of model.probes) {
    const s = shapes.get(p.tensor)!;
    if (s.length === 4 && s[2]! >= CAM_MIN_CELLS && s[3]! >= CAM_MIN_CELLS) best = p.name;
  }
  return best;
}

export class LayerCam {
  private constructor(
    readonly model: FaceModel,
    readonly layer: ProbeLayer,
    /** [1, C, h, w] */
    readonly shape: number[],
    private readonly session: ort.InferenceSession,
    private readonly outDims: number[],
  ) {}

  /** Throws UnsupportedOpError when the ORT backward graph does not cover an op between `layer` and `output`. */
  static async create(model: FaceModel, layer: string, output: ProbeLayer): Promise<LayerCam> {
    const probe = findProbe(model, layer);
    const { width: W, height: H } = model.inputSize;
    const L = probe.tensor;
    const names = [...new Set([...shapeNames(model.onnx, { input: L, output: output.tensor }), L, output.tensor])];
    const shapes = await inferShapes(model.onnx, model.inputName, [1, 3, H, W], names);
    const shape = shapes.get(L)!;
    if (shape.length !== 4) throw new RangeError(`CAM layer ${layer} is not spatial (shape ${shape.join('x')})`);
    const m = decodeModel(buildBackwardModel(model.onnx, { input: L, output: output.tensor, rule: 'gradient', upstream: 'mask' }, shapes));
    const image = (decodeModel(model.onnx).graph?.input ?? []).filter((v) => v.name === model.inputName);
    const graph = m.graph!;
    graph.input = [...image, ...(graph.input ?? [])];
    graph.output = [...(graph.output ?? []), { name: L, type: { tensorType: { elemType: TensorDataType.FLOAT } } }] as typeof graph.output;
    const session = await ort.InferenceSession.create(encodeModel(m), { executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
    return new LayerCam(model, probe, shape, session, shapes.get(output.tensor)!);
  }

  /** The CAM of one model-space input (1 x 3 x H x W) for the upstream `mask` at the scored layer; H x W, signed. */
  async map(input: Float32Array, mask: Float32Array): Promise<Float32Array> {
    const { width: W, height: H } = this.model.inputSize;
    const res = await this.session.run({
      [this.model.inputName]: new ort.Tensor('float32', input, [1, 3, H, W]),
      [BACKWARD_IO.mask]: new ort.Tensor('float32', mask, [1, ...this.outDims.slice(1)]),
    });
    const g = res[BACKWARD_IO.grad]!.data as Float32Array;
    const a = res[this.layer.tensor]!.data as Float32Array;
    const [, c, h, w] = this.shape as [number, number, number, number];
    const cells = new Float64Array(h * w);
    for (let k = 0; k < c; k++) for (let i = 0; i < h * w; i++) cells[i] += g[k * h * w + i]! * a[k * h * w + i]!;
    return resizeBilinear(cells, h, w, H, W);
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** Bilinear resize of an h x w grid to H x W (cell centres aligned, edges clamped). */
export function resizeBilinear(m: ArrayLike<number>, h: number, w: number, H: number, W: number): Float32Array {
  const out = new Float32Array(H * W);
  for (let y = 0; y < H; y++) {
    const fy = Math.min(h - 1, Math.max(0, ((y + 0.5) * h) / H - 0.5));
    const y0 = Math.floor(fy), y1 = Math.min(h - 1, y0 + 1), ay = fy - y0;
    for (let x = 0; x < W; x++) {
      const fx = Math.min(w - 1, Math.max(0, ((x + 0.5) * w) / W - 0.5));
      const x0 = Math.floor(fx), x1 = Math.min(w - 1, x0 + 1), ax = fx - x0;
      out[y * W + x] = (1 - ay) * ((1 - ax) * m[y0 * w + x0]! + ax * m[y0 * w + x1]!) + ay * ((1 - ax) * m[y1 * w + x0]! + ax * m[y1 * w + x1]!);
    }
  }
  return out;
}
