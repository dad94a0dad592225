/**
 * How close the ONNX face detector runs to this CPU's limit (issue 13's ceiling, measured):
 *   gmac_per_pass        multiply-accumulates of one SSD pass, counted from the graph's Conv nodes
 *                        (512x512 input, TF 'same' padding: output side = ceil(side / stride))
 *   ms_per_pass          one SSD session run on one intra-op thread (what each pool worker does),
 *                        mean over evenly spaced LFW images after a warm-up
 *   peak_conv_gmac_per_s the SSD's most regular layers alone (five 1x1 convs 512 -> 512 on 32 x 32),
 *                        one thread: the best float32 rate ORT's kernels reach on this CPU for this
 *                        net's work (the full-resolution early layers are memory-bound and slower)
 *   efficiency           achieved GMAC/s of the SSD pass / peak_conv_gmac_per_s
 *   ms_per_pass_at_peak  what a pass would take if every layer ran at that rate
 * Near 1, no session setting or graph rewrite that keeps the arithmetic can make the detector much
 * faster; only fewer operations (or more cores) can.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { detectorGraphs } from '../src/data/detect/backend.js';
import { padToSquareEnd, sessionOptions } from '../src/data/detect/onnx-detector.js';
import { SSD_INPUT_SIZE } from '../src/data/detect/ssd-graph.js';
import { faceApiModelDir } from '../src/data/detector.js';
import { decodeImage } from '../src/data/image-io.js';
import { GraphBuilder } from '../src/engine/onnx/builder.js';
import { attrInts, decodeModel } from '../src/engine/onnx/proto.js';
import { DATA, lfwSample } from './front-end.js';

/** MACs of every Conv in `onnx`, given that the first Conv sees a 512 x 512 map. */
export function convMacs(onnx: Uint8Array): number {
  const model = decodeModel(onnx);
  const dims = new Map((model.graph?.initializer ?? []).map((t) => [t.name ?? '', (t.dims ?? []).map(Number)]));
  const side = new Map<string, number>();
  let macs = 0;
  for (const n of model.graph?.node ?? []) {
    const x = n.input?.[0] ?? '';
    if (n.opType === 'Resize') side.set(n.output?.[0] ?? '', SSD_INPUT_SIZE);
    else if (n.opType === 'Conv') {
      const s = side.get(x);
      const w = dims.get(n.input?.[1] ?? '');
      if (s === undefined || !w) throw new Error(`Conv ${n.name}: input side or weights unknown`);
      const stride = attrInts(n, 'strides')?.[0] ?? 1;
      const out = Math.ceil(s / stride);
      side.set(n.output?.[0] ?? '', out);
      const [co, ciPerGroup, kh, kw] = w;
      macs += co * ciPerGroup * kh * kw * out * out;
    } else if (side.has(x) && n.opType === 'Clip') side.set(n.output?.[0] ?? '', side.get(x)!);
  }
  return macs;
}

async function meanMs(run: () => Promise<unknown>, reps: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) await run();
  return (performance.now() - t0) / reps;
}

const LAYERS = 5;

/**
 * The best rate ORT reaches here on this net's own work: its most regular layers alone, LAYERS 1x1
 * convs 512 -> 512 on a 32 x 32 map, each + relu6 (five such layers hold 43% of the SSD's MACs).
 */
async function peakConvGmacs(): Promise<number> {
  const [c, side] = [512, 32];
  const g = new GraphBuilder('pointwise');
  const x = g.input('x', [1, c, side, side]);
  const w = g.weight('w', [c, c, 1, 1], Float32Array.from({ length: c * c }, (_, i) => ((i * 7919) % 1000) / 20000 - 0.025));
  const [b, lo, hi] = [g.weight('b', [c], new Float32Array(c)), g.weight('lo', [], new Float32Array([0])), g.weight('hi', [], new Float32Array([6]))];
  // A chain of LAYERS, as in the net, so ORT's layout reorders at the ends weigh little.
  let y = x;
  for (let i = 0; i < LAYERS; i++) y = g.node('Clip', [g.node('Conv', [y, w, b], { kernel_shape: [1, 1] }), lo, hi], {}, i === LAYERS - 1 ? 'y' : undefined);
  g.output('y', [1, c, side, side]);
  const s = await ort.InferenceSession.create(g.build(), sessionOptions(1));
  const t = new ort.Tensor('float32', Float32Array.from({ length: c * side * side }, (_, i) => ((i * 104729) % 1000) / 200), [1, c, side, side]);
  await meanMs(() => s.run({ x: t }), 5);
  const ms = await meanMs(() => s.run({ x: t }), 40);
  await s.release();
  return (LAYERS * c * c * side * side) / ms / 1e6;
}

export async function benchSsdRoofline(images = 20): Promise<unknown> {
  const lfwImages = path.join(DATA, 'lfw', 'images');
  if (!existsSync(lfwImages)) return { skipped: `no ${lfwImages}` };
  const graphs = await detectorGraphs(faceApiModelDir());
  const macs = convMacs(graphs.ssd);
  const ssd = await ort.InferenceSession.create(graphs.ssd, sessionOptions(1));
  const tensors: ort.Tensor[] = [];
  for (const item of await lfwSample(images)) {
    const img = await decodeImage(item.path);
    const side = Math.max(img.width, img.height);
    tensors.push(new ort.Tensor('uint8', padToSquareEnd(img), [1, side, side, 3]));
  }
  await ssd.run({ image: tensors[0]! });
  let k = 0;
  const ms = await meanMs(() => ssd.run({ image: tensors[k++ % tensors.length]! }), tensors.length);
  await ssd.release();
  const peak = await peakConvGmacs();
  const achieved = macs / ms / 1e6;
  return {
    images: tensors.length,
    gmac_per_pass: macs / 1e9,
    ms_per_pass: ms,
    achieved_gmac_per_s: achieved,
    peak_conv_gmac_per_s: peak,
    efficiency: achieved / peak,
    ms_per_pass_at_peak: macs / peak / 1e6,
    settings: 'one ORT CPU session, 1 intra-op thread, graph optimisation all; evenly spaced LFW images',
  };
}
