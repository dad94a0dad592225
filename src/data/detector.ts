/**
 * Face detection + 68-point landmarks with face-api (SSD MobileNet v1 detector, 68-point
 * landmark net), running on the same TF.js engine as the rest of facelens (WASM backend).
 * Model weights ship inside the @vladmandic/face-api package; nothing is fetched from the network.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { initTf, tf } from '../engine/tf-backend.js';
import type { RgbImage } from './image.js';
import { resizeRgb } from './image-io.js';

export type Point = [number, number];

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One detected face, in the pixel coordinates of the image passed to `detectFaces`. */
export interface Detection {
  box: Box;
  /** Detector confidence, 0..1. */
  score: number;
  /** The 68 iBUG/dlib landmarks (0-based order: jaw 0-16, brows 17-26, nose 27-35, eyes 36-47, mouth 48-67). */
  landmarks: Point[];
}

export interface DetectOptions {
  /** Minimum detector confidence (default 0.5, face-api's default). */
  minConfidence?: number;
  /** At most this many faces (default 10). */
  maxResults?: number;
  /** Second pass on a padded canvas when no large face is found (default true; see LARGE_FACE). */
  padRetry?: boolean;
}

/**
 * Coordinates: continuous pixel coordinates, the image spans [0, width] x [0, height] and pixel
 * (i, j) has its centre at (i + 0.5, j + 0.5). That is what face-api returns (boxes and
 * landmarks are fractions of the input extent scaled by its size); `align.ts` uses the same
 * convention so there is no half-pixel shift between detection and warping.
 */

/**
 * Identifies the detector and its post-processing for the crop cache: change it whenever
 * detection results would change (model, thresholds logic, retry rule), so stale entries miss.
 */
export const DETECTOR_ID = 'face-api@1.7.15 ssdMobilenetv1+faceLandmark68Net, pad-retry 0.3';

/** The same rule run by face-api on TF.js (the reference; keys face-api reference results). */
export const FACEAPI_DETECTOR_ID = 'face-api@1.7.15 ssdMobilenetv1+faceLandmark68Net, pad-retry 0.3';

/** SSD sees a 512x512 resize anyway; bigger inputs only cost memory, so they are shrunk first. */
const MAX_DETECT_SIDE = 2048;

type FaceApi = typeof import('@vladmandic/face-api/dist/face-api.node-wasm.js');

let loading: Promise<FaceApi> | undefined;
let calls = 0;
// face-api calls are serialised: TF.js on WASM is single-threaded anyway, and one call at a time
// keeps peak tensor memory bounded when callers pipeline decoding ahead of detection.
let queue: Promise<unknown> = Promise.resolve();

/** Directory of the weight files bundled with @vladmandic/face-api. */
export function faceApiModelDir(): string {
  const req = createRequire(import.meta.url);
  return join(dirname(req.resolve('@vladmandic/face-api/package.json')), 'model');
}

/** Loads face-api and its two nets once (lazily, on first use). */
export function loadDetector(): Promise<FaceApi> {
  loading ??= (async () => {
    await initTf();
    const mod = (await import('@vladmandic/face-api/dist/face-api.node-wasm.js')) as FaceApi & { default?: FaceApi };
    // The node-wasm build is CommonJS; under ESM its exports arrive as `default`.
    const faceapi = mod.default ?? mod;
    const dir = faceApiModelDir();
    await faceapi.nets.ssdMobilenetv1.loadFromDisk(dir);
    await faceapi.nets.faceLandmark68Net.loadFromDisk(dir);
    return faceapi;
  })();
  // A failed load should be retried by the next caller rather than cached forever.
  loading.catch(() => {
    loading = undefined;
  });
  return loading;
}

/** How many times `detectFaces` has run in this process (tests use it to prove cache hits). */
export function detectorCalls(): number {
  return calls;
}

/**
 * Detects faces and their 68 landmarks. Returns them sorted by score, highest first; an empty
 * array when there is no face.
 */
export async function detectFaces(img: RgbImage, opts: DetectOptions = {}): Promise<Detection[]> {
  return detectFacesFaceApi(img, opts);
}

/** The same detection rule run by face-api itself on TF.js (the reference the ONNX path is tested against). */
export async function detectFacesFaceApi(img: RgbImage, opts: DetectOptions = {}): Promise<Detection[]> {
  const run = queue.then(() => detectNow(img, opts));
  queue = run.catch(() => undefined);
  return run;
}

type FaceApiModule = FaceApi;

/** One SSD + landmark pass; results in `input` pixel coordinates. */
async function ssdPass(faceapi: FaceApiModule, input: RgbImage, opts: { minConfidence: number; maxResults: number }): Promise<Detection[]> {
  const t = tf.tensor3d(Int32Array.from(input.data), [input.height, input.width, 3], 'int32');
  try {
    const options = new faceapi.SsdMobilenetv1Options({
      minConfidence: opts.minConfidence,
      maxResults: opts.maxResults,
    });
    // face-api's TNetInput type names its bundled tfjs Tensor class; it is the same runtime class.
    const results = await faceapi.detectAllFaces(t as never, options).withFaceLandmarks();
    return results.map((r) => {
      const b = r.detection.box;
      return {
        box: { x: b.x, y: b.y, width: b.width, height: b.height },
        score: r.detection.score,
        landmarks: r.landmarks.positions.map((p) => [p.x, p.y] as Point),
      };
    });
  } finally {
    t.dispose();
  }
}

/** `img` centred in a canvas with `pad` pixels of `grey` on every side. */
function padImage(img: RgbImage, pad: number, grey = 128): RgbImage {
  const w = img.width + 2 * pad;
  const h = img.height + 2 * pad;
  const out = new Uint8Array(w * h * 3).fill(grey);
  for (let y = 0; y < img.height; y++) {
    out.set(img.data.subarray(y * img.width * 3, (y + 1) * img.width * 3), ((y + pad) * w + pad) * 3);
  }
  return { width: w, height: h, data: out };
}

function iou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const inter = ix * iy;
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

/** Union of two detection lists; boxes overlapping by IoU > 0.5 are one face (higher score kept). */
function mergeDetections(a: Detection[], b: Detection[]): Detection[] {
  const out = [...a];
  for (const d of b) {
    const k = out.findIndex((e) => iou(e.box, d.box) > 0.5);
    if (k < 0) out.push(d);
    else if (d.score > out[k].score) out[k] = d;
  }
  return out;
}

/**
 * SSD MobileNet v1 (trained on WIDER FACE crowds) under-scores faces that fill much of the frame:
 * on the LFW subset (250x250, face ~half the width) 142 of 1,583 images had no detection at
 * 0.5, and placing such an image in a canvas twice its size lifted typical scores from ~0.4 to
 * ~0.98. So when the first pass finds no face at least LARGE_FACE x the shorter image side wide,
 * a second pass runs on the image centred in a mid-grey canvas (half the longer side of padding
 * on each side) and the two passes are merged. Images with a large face already found, the
 * common case, pay for one pass only.
 */
const LARGE_FACE = 0.3;

/** One detection pass over a whole image: detections in its pixel coordinates. */
export type DetectionPass = (input: RgbImage, opts: { minConfidence: number; maxResults: number }) => Promise<Detection[]>;

async function detectNow(img: RgbImage, opts: DetectOptions): Promise<Detection[]> {
  const faceapi = await loadDetector();
  calls++;
  return detectWithPass(img, opts, (input, o) => ssdPass(faceapi, input, o));
}

/**
 * The detection rule around a pass (shared by the ONNX path and the face-api reference):
 * shrink huge images, one pass, the padded second pass when no large face was found, merge,
 * back to `img` coordinates, sort by score, cap at maxResults.
 */
export async function detectWithPass(img: RgbImage, opts: DetectOptions, pass: DetectionPass): Promise<Detection[]> {
  const passOpts = { minConfidence: opts.minConfidence ?? 0.5, maxResults: opts.maxResults ?? 10 };
  let input = img;
  const side = Math.max(img.width, img.height);
  if (side > MAX_DETECT_SIDE) {
    const k = MAX_DETECT_SIDE / side;
    input = await resizeRgb(img, Math.max(1, Math.round(img.width * k)), Math.max(1, Math.round(img.height * k)));
  }
  let dets = await pass(input, passOpts);
  const minSide = Math.min(input.width, input.height);
  if (opts.padRetry !== false && !dets.some((d) => d.box.width >= LARGE_FACE * minSide)) {
    const pad = Math.ceil(Math.max(input.width, input.height) / 2);
    const shifted = (await pass(padImage(input, pad), passOpts)).map((d) => ({
      box: { ...d.box, x: d.box.x - pad, y: d.box.y - pad },
      score: d.score,
      landmarks: d.landmarks.map(([x, y]) => [x - pad, y - pad] as Point),
    }));
    dets = mergeDetections(dets, shifted);
  }
  // Back to `img` coordinates (continuous coordinates scale exactly by the size ratio).
  const kx = img.width / input.width;
  const ky = img.height / input.height;
  if (kx !== 1 || ky !== 1) {
    dets = dets.map((d) => ({
      box: { x: d.box.x * kx, y: d.box.y * ky, width: d.box.width * kx, height: d.box.height * ky },
      score: d.score,
      landmarks: d.landmarks.map(([x, y]) => [x * kx, y * ky] as Point),
    }));
  }
  dets.sort((a, b) => b.score - a.score);
  return dets.slice(0, opts.maxResults ?? 10);
}

/**
 * Picks the face an analysis should use when an image has several (LFW images often show
 * bystanders). Rule: maximise  area x centrality, where
 *   centrality = 1 - 0.5 * d / r,
 *   d = distance from the box centre to the image centre, r = half the image diagonal,
 * so a box centred in the image keeps its full area and one centred in a corner counts half.
 * A large off-centre face thus still beats a small centred one only if it is more than twice
 * as large. Ties go to the higher detection score. Returns undefined for no detections.
 */
export function pickMainFace(dets: readonly Detection[], img: { width: number; height: number }): Detection | undefined {
  const cx = img.width / 2;
  const cy = img.height / 2;
  const r = Math.hypot(cx, cy) || 1;
  let best: Detection | undefined;
  let bestValue = -Infinity;
  for (const d of dets) {
    const bx = d.box.x + d.box.width / 2;
    const by = d.box.y + d.box.height / 2;
    const centrality = 1 - 0.5 * Math.min(1, Math.hypot(bx - cx, by - cy) / r);
    const value = d.box.width * d.box.height * centrality;
    if (value > bestValue || (value === bestValue && best !== undefined && d.score > best.score)) {
      best = d;
      bestValue = value;
    }
  }
  return best;
}
