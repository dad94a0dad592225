/**
 * Where one detector worker's time goes, per stage, on real LFW images (issue 13):
 *
 *   npx tsx bench/front-end-profile.ts [--images 60] [--threads 1]
 *
 * Runs the detection rule in this process on one ORT intra-op thread (what each pool worker
 * does), with the stages of OnnxFaceNets.pass timed one by one, plus the main thread's own
 * stages (read + decode with sharp, warp). Prints ms per image (mean over the images) as JSON.
 * Timings are wall clock on a shared machine: compare stages within one run.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import ort from 'onnxruntime-node';
import { alignFace } from '../src/data/align.js';
import { detectorGraphs } from '../src/data/detect/backend.js';
import { LANDMARK_INPUT_SIZE, LANDMARK_MEAN_RGB } from '../src/data/detect/landmark-graph.js';
import { OnnxFaceNets, padToSquareEnd, sessionOptions } from '../src/data/detect/onnx-detector.js';
import { squareResize } from '../src/data/detect/preprocess.js';
import { listImages } from '../src/data/detect/reference.js';
import { detectWithPass, padImage } from '../src/data/detect/rule.js';
import { SSD_INPUT_SIZE, ssdInput } from '../src/data/detect/ssd-graph.js';
import { GraphBuilder } from '../src/engine/onnx/builder.js';
import { TensorDataType } from '../src/engine/onnx/proto.js';
import { selectBoxes } from '../src/data/detect/ssd-post.js';
import { faceApiModelDir, pickMainFace } from '../src/data/detector.js';
import type { RgbImage } from '../src/data/image.js';
import { decodeImageBuffer } from '../src/data/image-io.js';
import { DLIB_150_TEMPLATE } from '../src/models/templates.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { images: { type: 'string', default: '60' }, threads: { type: 'string', default: '1' } } });
const N = Number(values.images);
const threads = Number(values.threads);

const all = await listImages(path.join(ROOT, '../shared/data/lfw/images'));
const step = all.length / Math.min(N, all.length);
const files = Array.from({ length: Math.min(N, all.length) }, (_, i) => all[Math.floor(i * step)]!);

const graphs = await detectorGraphs(faceApiModelDir());
const opts = sessionOptions(threads);
const ssd = await ort.InferenceSession.create(graphs.ssd, opts);
const lm = await ort.InferenceSession.create(graphs.landmarks, opts);
const nets = await OnnxFaceNets.create(graphs, threads);
const pg = new GraphBuilder('ssd-input');
pg.node('Identity', [ssdInput(pg, pg.input('image', [1, 'S', 'S', 3], TensorDataType.UINT8))], {}, 'out');
pg.output('out', [1, 3, SSD_INPUT_SIZE, SSD_INPUT_SIZE]);
const pre = await ort.InferenceSession.create(pg.build(), opts);

const t: Record<string, number> = {};
const cpu: Record<string, number> = {};
const time = async <T>(k: string, f: () => T | Promise<T>): Promise<T> => {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const r = await f();
  const c = process.cpuUsage(c0);
  t[k] = (t[k] ?? 0) + performance.now() - t0;
  cpu[k] = (cpu[k] ?? 0) + (c.user + c.system) / 1000;
  return r;
};

/** The stages of OnnxFaceNets.pass, timed (same calls, same order). */
async function pass(img: RgbImage, po: { minConfidence: number; maxResults: number }, tag: string): Promise<number> {
  const side = Math.max(img.width, img.height);
  const feeds = { image: new ort.Tensor('uint8', padToSquareEnd(img), [1, side, side, 3]) };
  // The input resize runs inside the SSD graph; timed here on its own (a graph of just that part).
  await time(`${tag}.ssd_input_in_graph`, () => pre.run(feeds));
  const r = await time(`${tag}.ssd_forward_with_input`, () => ssd.run(feeds));
  const raw = await time(`${tag}.decode_nms`, () => selectBoxes(graphs.anchors, r.boxes.data as Float32Array, r.scores.data as Float32Array, po.minConfidence, po.maxResults));
  if (raw.length === 0) return 0;
  const m = LANDMARK_INPUT_SIZE;
  const batch = await time(`${tag}.lm_input`, () => {
    const b = new Float32Array(raw.length * 3 * m * m);
    raw.forEach((_, k) => {
      const c = { x: 0, y: 0, width: Math.min(img.width, 100), height: Math.min(img.height, 110) };
      const diff = Math.abs(c.width - c.height);
      squareResize(img, { ...c, padBefore: diff - Math.round(diff * 0.5) }, m, LANDMARK_MEAN_RGB, 1 / 255, b, k * 3 * m * m);
    });
    return b;
  });
  await time(`${tag}.lm_forward`, () => lm.run({ input: new ort.Tensor('float32', batch, [raw.length, 3, m, m]) }));
  return raw.length;
}

// warm-up
for (const f of files.slice(0, 2)) await nets.pass(await decodeImageBuffer(await readFile(f)), { minConfidence: 0.5, maxResults: 10 });

let second = 0;
let faces = 0;
let lmCalls = 0;
const wall0 = performance.now();
for (const f of files) {
  const img = await time('main.read_decode', async () => decodeImageBuffer(await readFile(f), f));
  // The real rule, timed whole, with the stages replayed below to split it.
  let passes = 0;
  const dets = await time('worker.rule_total', () =>
    detectWithPass(img, {}, async (input, po) => {
      passes++;
      return nets.pass(input, po);
    }),
  );
  const po = { minConfidence: 0.5, maxResults: 10 };
  faces += await pass(img, po, 'pass1');
  if (passes > 1) {
    second++;
    const pad = Math.ceil(Math.max(img.width, img.height) / 2);
    const padded = await time('pass2.pad_image', () => padImage(img, pad));
    const k = await pass(padded, po, 'pass2');
    faces += k;
    if (k > 0) lmCalls++;
  }
  const main = pickMainFace(dets, img);
  if (main) await time('main.warp', () => alignFace(img, main.landmarks, DLIB_150_TEMPLATE));
}
const wall = performance.now() - wall0;
const per: Record<string, number> = {};
for (const [k, v] of Object.entries(t).sort()) per[k] = +(v / files.length).toFixed(2);
const perCpu: Record<string, number> = {};
for (const [k, v] of Object.entries(cpu).sort()) perCpu[k] = +(v / files.length).toFixed(2);
console.log(
  JSON.stringify(
    {
      images: files.length,
      threads,
      second_pass_images: second,
      pass_faces: faces,
      ms_per_image: per,
      // process CPU ms (all threads of this process) per image: what other processes' load distorts least
      cpu_ms_per_image: perCpu,
      note: 'pass1.* / pass2.* replay the stages (pass2 per image of all images, only those that needed it run it); worker.rule_total is the real rule once',
      wall_s: +(wall / 1000).toFixed(1),
    },
    null,
    1,
  ),
);
await nets.release();
