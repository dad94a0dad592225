/**
 * Issue 13's front-end rows (`npm run bench -- --front-end-only` runs just these):
 *   align.images_per_s  detect + align on the same LFW images with face-api (TF.js WASM, the old
 *                       path), the ONNX detector in a worker pool (default) and the ONNX detector
 *                       in-process with N intra-op threads; speedup_vs_faceapi = pool / face-api.
 *   verify_cold_s       `facelens verify ../shared/data/lfw` (all 8 layers) in a fresh process with
 *                       an empty cache.
 *   pose_metrics_share  `facelens pose ../shared/data/cfp` with an empty cache, then again with the
 *                       cache warm: metrics seconds / wall seconds of each.
 * The machine is shared: absolute figures are noisy; the align ratios are taken in one run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDetectorBackend, detectorGraphs } from '../src/data/detect/backend.js';
import { listImages } from '../src/data/detect/reference.js';
import type { DatasetItem } from '../src/data/dataset.js';
import { closeDetector, detectFacesFaceApi, detectorBackend, faceApiModelDir } from '../src/data/detector.js';
import { alignedFaces, type AlignedFacesOptions } from '../src/data/faces.js';
import { DLIB_150_TEMPLATE } from '../src/models/templates.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DATA = path.resolve(ROOT, '../shared/data');

export interface AlignRun {
  images: number;
  faces: number;
  skipped: number;
  seconds: number;
  images_per_s: number;
  /** CPU seconds of this process (all threads, the detector workers included) during the run. */
  cpu_s: number;
  /** Images per CPU second: a throughput figure that other processes' load does not distort. */
  images_per_cpu_s: number;
}

async function timeAlign(items: DatasetItem[], detector: AlignedFacesOptions['detector']): Promise<AlignRun & { ids: string[] }> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const ids: string[] = [];
  let skipped = 0;
  for await (const f of alignedFaces(items, DLIB_150_TEMPLATE, { cache: false, detector, onSkip: () => skipped++ })) ids.push(f.item.id);
  const seconds = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / 1e6;
  return { images: items.length, faces: ids.length, skipped, seconds, images_per_s: items.length / seconds, cpu_s: cpu, images_per_cpu_s: items.length / cpu, ids };
}

/** Evenly spaced `n` LFW images (sorted paths), the same every run. */
export async function lfwSample(n: number): Promise<DatasetItem[]> {
  const all = await listImages(path.join(DATA, 'lfw', 'images'));
  const step = all.length / Math.min(n, all.length);
  return Array.from({ length: Math.min(n, all.length) }, (_, i) => all[Math.floor(i * step)]!).map((p) => ({ id: p, path: p }));
}

export async function benchAlign(opts: { images?: number; faceApiImages?: number; inlineImages?: number; log?: (m: string) => void } = {}): Promise<unknown> {
  const log = opts.log ?? (() => undefined);
  if (!existsSync(path.join(DATA, 'lfw', 'images'))) return { skipped: `no ${DATA}/lfw` };
  const items = await lfwSample(opts.images ?? 200);
  const faceApiItems = items.slice(0, opts.faceApiImages ?? items.length);
  const inlineItems = items.slice(0, opts.inlineImages ?? items.length);
  const t0 = performance.now();
  const pool = await detectorBackend();
  const poolStart = (performance.now() - t0) / 1000;
  // warm-up: one image through each path, so session creation / WASM compilation is not timed
  await timeAlign(items.slice(0, 2), undefined);
  log(`align: ONNX pool (${pool.parallelism} workers x 1 thread) on ${items.length} LFW images...`);
  const onnxPool = await timeAlign(items, undefined);
  const inline = await createDetectorBackend(await detectorGraphs(faceApiModelDir()), { workers: 0 });
  const inlineThreads = os.availableParallelism();
  await timeAlign(items.slice(0, 2), (img, o) => inline.detect(img, o));
  log(`align: ONNX in-process (${inlineThreads} intra-op threads) on ${inlineItems.length} of them...`);
  const onnxInline = await timeAlign(inlineItems, (img, o) => inline.detect(img, o));
  await inline.close();
  await timeAlign(items.slice(0, 1), detectFacesFaceApi);
  log(`align: face-api (TF.js WASM) on ${faceApiItems.length} of them...`);
  const faceapi = await timeAlign(faceApiItems, detectFacesFaceApi);
  await closeDetector();
  const strip = ({ ids: _ids, ...r }: AlignRun & { ids: string[] }): AlignRun => r;
  return {
    images: items.length,
    images_per_s: { faceapi: faceapi.images_per_s, onnx_pool: onnxPool.images_per_s, onnx_inline: onnxInline.images_per_s },
    speedup_vs_faceapi: onnxPool.images_per_s / faceapi.images_per_s,
    pool_vs_inline: onnxPool.images_per_s / onnxInline.images_per_s,
    // Per CPU second: what the machine's other load does not distort (wall rates above are).
    images_per_cpu_s: { faceapi: faceapi.images_per_cpu_s, onnx_pool: onnxPool.images_per_cpu_s, onnx_inline: onnxInline.images_per_cpu_s },
    cpu_speedup_vs_faceapi: onnxPool.images_per_cpu_s / faceapi.images_per_cpu_s,
    runs: { faceapi: strip(faceapi), onnx_pool: strip(onnxPool), onnx_inline: strip(onnxInline) },
    same_faces_pool_inline: JSON.stringify(onnxPool.ids.filter((id) => inlineItems.some((it) => it.id === id))) === JSON.stringify(onnxInline.ids),
    pool_start_s: poolStart,
    settings: `alignedFaces(cache: false) with DLIB_150_TEMPLATE; pool = ${pool.parallelism} piscina workers, 1 ORT intra-op thread each; inline = one session pair, ${inlineThreads} intra-op threads, calls serialised; face-api = detectFacesFaceApi (TF.js WASM, 1 thread)`,
  };
}

/** Runs a facelens command in a fresh process with FACELENS_CACHE = `cache`; returns wall s and summary.json. */
function runCli(args: string[], cache: string, timeoutS: number): { seconds: number; summary: Record<string, unknown> } {
  const out = mkdtempSync(path.join(os.tmpdir(), 'facelens-bench-out-'));
  try {
    const t0 = performance.now();
    const res = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), ...args, '--out', out], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: timeoutS * 1000,
      env: { ...process.env, FACELENS_CACHE: cache },
    });
    const seconds = (performance.now() - t0) / 1000;
    if (res.status !== 0) throw new Error(`${args[0]} failed (${res.status ?? res.signal}): ${(res.stderr ?? '').slice(-500)}`);
    return { seconds, summary: JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')) as Record<string, unknown> };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

export function benchVerifyCold(): unknown {
  const lfw = path.join(DATA, 'lfw');
  if (!existsSync(path.join(lfw, 'images'))) return { skipped: `no ${lfw}` };
  const cache = mkdtempSync(path.join(os.tmpdir(), 'facelens-bench-cache-'));
  try {
    const r = runCli(['verify', lfw], cache, 3600);
    return { seconds: r.seconds, summary_seconds: r.summary.seconds, target_s: 180 };
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}

export function benchPoseMetrics(): unknown {
  const cfp = path.join(DATA, 'cfp');
  if (!existsSync(path.join(cfp, 'images'))) return { skipped: `no ${cfp}` };
  const cache = mkdtempSync(path.join(os.tmpdir(), 'facelens-bench-cache-'));
  try {
    const share = (r: { seconds: number; summary: Record<string, unknown> }) => {
      const s = r.summary.seconds as Record<string, number>;
      return { wall_s: r.seconds, seconds: s, metrics_share: s.metrics / r.seconds };
    };
    const cold = share(runCli(['pose', cfp, '--no-plots'], cache, 3600));
    const warm = share(runCli(['pose', cfp, '--no-plots'], cache, 3600));
    return { cold, warm, target_share: 0.1 };
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}
