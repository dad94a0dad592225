/**
 * One face-api-equivalent detection pass (SSD MobileNet v1 + 68-point landmarks) on ONNX
 * Runtime. The graphs are built from face-api's bundled weights (ssd-graph.ts, landmark-graph.ts);
 * pre- and post-processing follow face-api step by step (the SSD's input resize inside its graph,
 * see ssdInput; the landmark crops in preprocess.ts; ssd-post.ts), so the results match
 * face-api's own up to float rounding. The pad-retry rule around passes lives in rule.ts and is
 * shared with the face-api reference path.
 */
import ort from 'onnxruntime-node';
import type { Detection, Point } from '../detector.js';
import type { RgbImage } from '../image.js';
import { buildLandmarkGraph, LANDMARK_INPUT_SIZE, LANDMARK_MEAN_RGB } from './landmark-graph.js';
import { squareResize } from './preprocess.js';
import { buildSsdGraph, SSD_INPUT_SIZE } from './ssd-graph.js';
import { selectBoxes } from './ssd-post.js';

/** The two graphs and the SSD anchors: plain data, so it can be handed to worker threads. */
export interface DetectorGraphs {
  ssd: Uint8Array;
  anchors: Float32Array;
  landmarks: Uint8Array;
}

export async function buildDetectorGraphs(modelDir: string): Promise<DetectorGraphs> {
  const [ssd, landmarks] = await Promise.all([buildSsdGraph(modelDir), buildLandmarkGraph(modelDir)]);
  return { ssd: ssd.onnx, anchors: ssd.anchors, landmarks };
}

export interface PassOptions {
  minConfidence: number;
  maxResults: number;
}

/** `img`'s pixels zero-padded at the end (bottom or right) to a square, as face-api pads the SSD input. */
export function padToSquareEnd(img: RgbImage): Uint8Array {
  const side = Math.max(img.width, img.height);
  if (img.width === side && img.height === side) return img.data;
  const out = new Uint8Array(side * side * 3);
  const row = img.width * 3;
  for (let y = 0; y < img.height; y++) out.set(img.data.subarray(y * row, (y + 1) * row), y * side * 3);
  return out;
}

/** Session options for both nets: CPU, `threads` intra-op threads, all graph optimisations. */
export function sessionOptions(threads: number): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  };
}

export class OnnxFaceNets {
  private constructor(
    private readonly ssd: ort.InferenceSession,
    private readonly lm: ort.InferenceSession,
    private readonly anchors: Float32Array,
  ) {}

  static async create(graphs: DetectorGraphs, threads: number): Promise<OnnxFaceNets> {
    const options = sessionOptions(threads);
    const [ssd, lm] = await Promise.all([ort.InferenceSession.create(graphs.ssd, options), ort.InferenceSession.create(graphs.landmarks, options)]);
    return new OnnxFaceNets(ssd, lm, graphs.anchors);
  }

  /** One SSD + landmark pass over the whole of `img`; detections in `img` pixel coordinates, NMS order. */
  async pass(img: RgbImage, opts: PassOptions): Promise<Detection[]> {
    const n = SSD_INPUT_SIZE;
    const side = Math.max(img.width, img.height);
    const r = await this.ssd.run({ image: new ort.Tensor('uint8', padToSquareEnd(img), [1, side, side, 3]) });
    const raw = selectBoxes(this.anchors, r.boxes.data as Float32Array, r.scores.data as Float32Array, opts.minConfidence, opts.maxResults);
    if (raw.length === 0) return [];
    // face-api: boxes are fractions of the zero-padded square; x/y factors map them to fractions of the image.
    const padX = n / Math.round((img.width * n) / side);
    const padY = n / Math.round((img.height * n) / side);
    const boxes = raw.map((b) => {
      const top = Math.max(0, b.ymin) * padY;
      const bottom = Math.min(1, b.ymax) * padY;
      const left = Math.max(0, b.xmin) * padX;
      const right = Math.min(1, b.xmax) * padX;
      return { x: left * img.width, y: top * img.height, width: (right - left) * img.width, height: (bottom - top) * img.height, score: b.score };
    });
    // Landmark crops: the box clipped to the image and floored (x, y, width, height separately).
    const crops = boxes.map((b) => {
      const x = Math.max(b.x, 0);
      const y = Math.max(b.y, 0);
      const w = Math.min(b.x + b.width - x, img.width - x);
      const h = Math.min(b.y + b.height - y, img.height - y);
      return { x: Math.floor(x), y: Math.floor(y), width: Math.floor(w), height: Math.floor(h) };
    });
    const valid = boxes.map((_, i) => crops[i].width > 0 && crops[i].height > 0);
    const idx = boxes.map((_, i) => i).filter((i) => valid[i]);
    if (idx.length === 0) return [];
    const m = LANDMARK_INPUT_SIZE;
    const batch = new Float32Array(idx.length * 3 * m * m);
    idx.forEach((i, k) => {
      const c = crops[i];
      const diff = Math.abs(c.width - c.height);
      squareResize(img, { ...c, padBefore: diff - Math.round(diff * 0.5) }, m, LANDMARK_MEAN_RGB, 1 / 255, batch, k * 3 * m * m);
    });
    const out = (await this.lm.run({ input: new ort.Tensor('float32', batch, [idx.length, 3, m, m]) })).landmarks.data as Float32Array;
    return idx.map((i, k) => {
      const c = crops[i];
      const b = boxes[i];
      // face-api's postProcess: undo the centring pad in 112-square units, then scale by the crop.
      const s = m / Math.max(c.width, c.height);
      const ws = c.width * s;
      const hs = c.height * s;
      const padL = ws < hs ? Math.abs(ws - hs) / 2 : 0;
      const padT = hs < ws ? Math.abs(ws - hs) / 2 : 0;
      const landmarks: Point[] = [];
      for (let p = 0; p < 68; p++) {
        const rx = (out[k * 136 + 2 * p] * m - padL) / ws;
        const ry = (out[k * 136 + 2 * p + 1] * m - padT) / hs;
        landmarks.push([rx * c.width + b.x, ry * c.height + b.y]);
      }
      return { box: { x: b.x, y: b.y, width: b.width, height: b.height }, score: b.score, landmarks };
    });
  }

  async release(): Promise<void> {
    await Promise.all([this.ssd.release(), this.lm.release()]);
  }
}
