/**
 * Face detection + 68-point landmarks: face-api's SSD MobileNet v1 detector and 68-point landmark
 * net, rebuilt as ONNX graphs from the weights that ship inside @vladmandic/face-api and run on
 * ONNX Runtime in a pool of worker threads (detect/). face-api itself (TF.js, WASM backend, one
 * thread) stays available as `detectFacesFaceApi`, the reference the ONNX path is tested against.
 * Nothing is fetched from the network.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { initTf, tf } from '../engine/tfjs/backend.js';
import { createDetectorBackend, detectorGraphs, type DetectorBackend } from './detect/backend.js';
import { detectWithPass } from './detect/rule.js';
import type { RgbImage } from './image.js';

export type { Box, DetectOptions, Detection, Point } from './detect/types.js';
import type { DetectOptions, Detection, Point } from './detect/types.js';

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
// v2: the SSD input resize runs inside the graph (ONNX Resize); results move by float rounding only.
export const DETECTOR_ID = 'onnx(face-api@1.7.15 ssdMobilenetv1+faceLandmark68Net), pad-retry 0.3, v2';

/** The same rule run by face-api on TF.js (the reference; keys face-api reference results). */
export const FACEAPI_DETECTOR_ID = 'face-api@1.7.15 ssdMobilenetv1+faceLandmark68Net, pad-retry 0.3';

type FaceApi = typeof import('@vladmandic/face-api/dist/face-api.node-wasm.js');

let loading: Promise<FaceApi> | undefined;
let calls = 0;
let backend: Promise<DetectorBackend> | undefined;
// face-api calls are serialised: TF.js on WASM is single-threaded anyway, and one call at a time
// keeps peak tensor memory bounded when callers pipeline decoding ahead of detection.
let queue: Promise<unknown> = Promise.resolve();

/** Directory of the weight files bundled with @vladmandic/face-api. */
export function faceApiModelDir(): string {
  const req = createRequire(import.meta.url);
  return join(dirname(req.resolve('@vladmandic/face-api/package.json')), 'model');
}

/** Loads face-api (the TF.js reference) and its two nets once (lazily, on first use). */
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
  calls++;
  return (await detectorBackend()).detect(img, opts);
}

/** The ONNX detector backend, created on first use (worker pool by default, see detect/backend.ts). */
export function detectorBackend(): Promise<DetectorBackend> {
  backend ??= (async () => createDetectorBackend(await detectorGraphs(faceApiModelDir())))();
  backend.catch(() => {
    backend = undefined;
  });
  return backend;
}

/** Stops the detector's worker threads (they also end by themselves when idle). */
export async function closeDetector(): Promise<void> {
  const b = backend;
  backend = undefined;
  if (b) await (await b).close();
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

async function detectNow(img: RgbImage, opts: DetectOptions): Promise<Detection[]> {
  const faceapi = await loadDetector();
  return detectWithPass(img, opts, (input, o) => ssdPass(faceapi, input, o));
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
