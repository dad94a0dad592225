/**
 * Worker-thread side of the detector pool (see backend.ts): one ONNX Runtime session pair with
 * one intra-op thread per worker, the whole detection rule (pre-processing, SSD, NMS,
 * landmarks, padded retry) run here so the main thread stays free for decoding, warping and
 * the recognition net.
 */
import { workerData } from 'node:worker_threads';
import type { RgbImage } from '../image.js';
import { OnnxFaceNets, type DetectorGraphs } from './onnx-detector.js';
import { detectWithPass } from './rule.js';
import type { DetectOptions, Detection } from './types.js';

const { graphs, threads } = workerData as { graphs: DetectorGraphs; threads: number };
const nets = await OnnxFaceNets.create(graphs, threads);

export default async function detect(task: { img: RgbImage; opts: DetectOptions }): Promise<Detection[]> {
  return detectWithPass(task.img, task.opts, (input, o) => nets.pass(input, o));
}
