/**
 * Where face detection runs. Two ways to use more than one core, both measured on the project's
 * 2-vCPU machine by `npm run bench` (rows align.images_per_s.*):
 *   pool   (default) one worker thread per core (piscina), each with its own ONNX Runtime
 *          sessions on ONE intra-op thread and the whole per-image rule; calls from
 *          `alignedFaces`' prefetch window run side by side.
 *   inline one session pair in the main thread with N intra-op threads; calls run one at a time
 *          (onnxruntime-node's run() is synchronous on the JS thread, so N threads only split
 *          each conv, and pre/post-processing, the padded retry and everything else in the
 *          main thread stay serial).
 * The pool won, so it is the default: on the project's shared 2-vCPU machine, detect + align of
 * the same LFW images ran 2.1x (and in an earlier, busier run 3.9x) faster in wall time than
 * inline, and did 2.2x more images per CPU second (the small depthwise convs of MobileNet split
 * poorly across intra-op threads, whose spinning also wastes CPU, while the pool overlaps whole
 * images, pre/post-processing included). `npm run bench` rows front_end.align.
 * FACELENS_DETECT_WORKERS=<n> sets the pool size; 0 selects inline (FACELENS_DETECT_THREADS
 * intra-op threads, default all cores).
 */
import os from 'node:os';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { RgbImage } from '../image.js';
import { buildDetectorGraphs, OnnxFaceNets, type DetectorGraphs } from './onnx-detector.js';
import { detectWithPass } from './rule.js';
import type { DetectOptions, Detection } from './types.js';

export interface DetectorBackendOptions {
  /** Worker threads; 0 = run in the main thread. Default: FACELENS_DETECT_WORKERS or all cores. */
  workers?: number;
  /** Intra-op threads per session (default 1 in workers, all cores inline). */
  threads?: number;
}

export interface DetectorBackend {
  readonly kind: 'pool' | 'inline';
  readonly parallelism: number;
  detect(img: RgbImage, opts: DetectOptions): Promise<Detection[]>;
  close(): Promise<void>;
}

function envInt(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name}=${v}: expected a whole number >= 0`);
  return n;
}

export async function createDetectorBackend(graphs: DetectorGraphs, opts: DetectorBackendOptions = {}): Promise<DetectorBackend> {
  const cores = os.availableParallelism();
  const workers = opts.workers ?? envInt('FACELENS_DETECT_WORKERS') ?? cores;
  if (workers === 0) {
    const threads = opts.threads ?? envInt('FACELENS_DETECT_THREADS') ?? cores;
    const nets = await OnnxFaceNets.create(graphs, threads);
    let queue: Promise<unknown> = Promise.resolve();
    return {
      kind: 'inline',
      parallelism: 1,
      detect(img, o) {
        const run = queue.then(() => detectWithPass(img, o, (input, po) => nets.pass(input, po)));
        queue = run.catch(() => undefined);
        return run;
      },
      close: () => nets.release(),
    };
  }
  // Compiled: worker.js; from TypeScript sources under tsx: a tiny .mjs entry that registers tsx.
  const ts = extname(fileURLToPath(import.meta.url)) === '.ts';
  const filename = fileURLToPath(new URL(ts ? './worker-tsx.mjs' : './worker.js', import.meta.url));
  const pool = new Piscina({
    filename,
    // Under tsx the entry registers tsx itself; the parent's own `--import tsx` would be resolved
    // again in each worker against the current directory, which fails when that is not the checkout.
    execArgv: ts ? withoutTsxLoader(process.execArgv) : process.execArgv,
    minThreads: workers,
    maxThreads: workers,
    // One image per worker at a time: a queued second task would only wait behind the first.
    concurrentTasksPerWorker: 1,
    workerData: { graphs, threads: opts.threads ?? 1 },
    idleTimeout: 30_000,
  });
  return {
    kind: 'pool',
    parallelism: workers,
    detect: (img, o) => pool.run({ img, opts: o }) as Promise<Detection[]>,
    close: () => pool.destroy(),
  };
}

let graphsPromise: Promise<DetectorGraphs> | undefined;

/** The detector graphs, built once per process from face-api's bundled weights. */
export function detectorGraphs(modelDir: string): Promise<DetectorGraphs> {
  graphsPromise ??= buildDetectorGraphs(modelDir);
  graphsPromise.catch(() => {
    graphsPromise = undefined;
  });
  return graphsPromise;
}

/** Node flags minus those that load tsx (`--import tsx`, `--require …/tsx/…`, in either spelling). */
export function withoutTsxLoader(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const m = /^--(import|require|loader|experimental-loader)(?:=(.*))?$/.exec(a);
    if (!m) {
      out.push(a);
      continue;
    }
    const value = m[2] ?? argv[i + 1] ?? '';
    if (m[2] === undefined) i++;
    if (!/(^|[\\/@])tsx([\\/]|$)/.test(value)) out.push(a, ...(m[2] === undefined ? [value] : []));
  }
  return out;
}
