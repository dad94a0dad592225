/**
 * `npm run bench`: forward and input-gradient throughput of facelens' engines (ONNX Runtime,
 * TF.js WASM via TfGraph) against PyTorch CPU on the same architecture and the same weights
 * (bench/torch_ref.py runs the very ONNX bytes facelens runs), plus an outputs agreement check.
 *
 *   npm run bench [-- --models dlib-resnet,vgg16-random] [--quick] [--no-pytorch] [--no-tfjs]
 *
 * Writes bench/results.json and bench/results.md; progress goes to stderr.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createGradientEngine, type GradientEngine } from '../src/engine/ort/grad-engine.js';
import { OrtEngine } from '../src/engine/ort/engine.js';
import type { FaceModel } from '../src/models/face-model.js';
import { loadDlibResnet } from '../src/models/builtin/dlib-resnet.js';
import { BackgroundLoad, CpuMeter, diff, errorText, mulberry32, roundConfig, summarize, timeRuns, type Diff, type IterConfig, type Timing } from './measure.js';
import { ensureTorch, PYTHON, readF32, TorchServer, type TorchStatus } from './pytorch-side.js';
import { benchTfjs, tfjsInfo, type TfjsResult } from './tfjs-side.js';
import { loadVgg16Random } from './vgg16-random.js';
import { benchProjection } from './projection.js';
import { sweepPeakRss } from './sweep-rss.js';
import { verifyEndToEnd } from './verify-time.js';
import { benchAmStep } from './am-step.js';
import { benchKernels } from './kernels.js';
import { engineNeuronGradient, tfGraphNeuronGradient } from '../src/analyses/maximize/maximize.js';
import { TfGraph } from '../src/engine/tfjs/graph.js';
import { findProbe } from '../src/models/face-model.js';
import { loadModel } from '../src/models/registry.js';
import { writeMarkdown } from './report.js';
import { benchAlign, benchPoseMetrics, benchVerifyCold } from './front-end.js';
import { benchSsdRoofline } from './ssd-roofline.js';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const T0 = performance.now();

function log(msg: string): void {
  const s = ((performance.now() - T0) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[bench ${s}s] ${msg}\n`);
}

interface ModelSpec {
  name: string;
  load: () => Promise<FaceModel> | FaceModel;
  /** Output that is timed, differentiated (sum) and compared. */
  output: string;
  /** Outputs compared across engines. */
  checkOutputs: string[];
  /** Iterations for the fast engines (ORT, PyTorch) and for TF.js forward / gradient. */
  fast: IterConfig;
  /** Rounds the ORT / PyTorch runs are spread over (alternating engines). */
  rounds: number;
  tfjsForward: IterConfig;
  tfjsGradient: IterConfig;
  /** Batch of TF.js' input-gradient timing (GRAD_BATCH unless it does not fit WASM's heap). */
  tfjsGradBatch: number;
  /** Why tfjsGradBatch differs from GRAD_BATCH. */
  tfjsGradNote?: string;
  /** Images of the check batch that PyTorch also runs in float64 (ground truth for every engine). */
  f64Images: number;
}

const MODELS: ModelSpec[] = [
  {
    name: 'dlib-resnet',
    load: loadDlibResnet,
    output: 'embedding',
    checkOutputs: ['embedding', 'res128'],
    fast: { warmup: 3, minIters: 6, maxIters: 500, minTime: 3 },
    rounds: 3,
    tfjsForward: { warmup: 1, minIters: 3, maxIters: 100, minTime: 3 },
    tfjsGradient: { warmup: 1, minIters: 3, maxIters: 50, minTime: 3 },
    tfjsGradBatch: 8,
    f64Images: 2,
  },
  {
    name: 'vgg16-random',
    load: () => loadVgg16Random(),
    output: 'fc7',
    checkOutputs: ['fc7', 'pool5'],
    // ~30 GFLOP per image: few runs, one round (batch-level alternation only).
    fast: { warmup: 1, minIters: 2, maxIters: 20, minTime: 3 },
    rounds: 1,
    // Well under 1 img/s in TF.js: one warm-up, then few timed runs.
    tfjsForward: { warmup: 1, minIters: 1, maxIters: 3, minTime: 3 },
    tfjsGradient: { warmup: 1, minIters: 1, maxIters: 3, minTime: 3 },
    tfjsGradBatch: 1,
    tfjsGradNote:
      'TF.js batch-8 input gradient not attempted: it fails with "memory access out of bounds" (WASM heap, 4 GB: ~553 MB of weights plus batch-8 activations); timed at batch 1 instead',
    f64Images: 1,
  },
];

const BATCHES = [1, 8];
const GRAD_BATCH = 8;
const CHECK_BATCH = 8;

function warmupTotalOf(c: IterConfig, rounds: number): number {
  return c.warmup + (rounds - 1) * Math.min(c.warmup, 1);
}

function quick(c: IterConfig): IterConfig {
  return { warmup: Math.min(c.warmup, 1), minIters: Math.min(c.minIters, 2), maxIters: Math.min(c.maxIters, 20), minTime: c.minTime / 3 };
}

/** A seeded batch of random images (uniform pixels 0..255), preprocessed as the model wants. */
function randomBatch(model: FaceModel, batch: number, seed: number): Float32Array {
  const rng = mulberry32(seed);
  const { width, height } = model.inputSize;
  const { mean, std } = model.preprocessing;
  const plane = width * height;
  const out = new Float32Array(batch * 3 * plane);
  for (let b = 0; b < batch; b++)
    for (let c = 0; c < 3; c++) {
      const base = (b * 3 + c) * plane;
      for (let i = 0; i < plane; i++) out[base + i] = (rng() * 255 - mean[c]) / std[c];
    }
  return out;
}

function cpuFlags(): string[] {
  try {
    const info = fs.readFileSync('/proc/cpuinfo', 'utf8');
    const flags = new Set((/^flags\s*:\s*(.*)$/m.exec(info)?.[1] ?? '').split(/\s+/));
    return ['avx2', 'fma', 'avx512f', 'avx512_vnni', 'avx512_bf16', 'amx_tile'].filter((f) => flags.has(f));
  } catch {
    return [];
  }
}

function pkgVersion(name: string): string {
  try {
    const require = createRequire(import.meta.url);
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

type PerBatch<T> = Record<string, T>;

interface TorchEntry {
  img_per_s: number;
  best: string;
  [fmt: string]: unknown;
}

interface ModelResult {
  input_shape: number[];
  output: string;
  build_s: number;
  wall_s: number;
  forward: { onnxruntime?: PerBatch<Timing>; tfjs_wasm?: PerBatch<Timing>; pytorch?: PerBatch<TorchEntry> };
  gradient: { onnxruntime?: PerBatch<Timing>; tfjs_wasm?: PerBatch<Timing>; pytorch?: PerBatch<TorchEntry> };
  /** ORT img/s / PyTorch img/s at batch 8. */
  forward_vs_pytorch: number | null;
  /** Same ratio with the fastest run of each (robust to other processes on the machine). */
  forward_vs_pytorch_best_run: number | null;
  /** facelens' best gradient img/s / PyTorch's at batch 8. */
  gradient_vs_pytorch: number | null;
  gradient_best_engine: string | null;
  agreement: {
    onnxruntime_vs_pytorch?: Record<string, Record<string, Diff>>;
    tfjs_vs_onnxruntime?: Record<string, Diff>;
    /** Against PyTorch float64 on the first spec.f64Images check images. */
    onnxruntime_vs_float64?: Record<string, Diff>;
    gradient_vs_float64?: Record<string, Diff>;
  };
  pytorch_info?: Record<string, unknown>;
  errors: Record<string, string>;
}

async function benchModel(spec: ModelSpec, opts: { quick: boolean; torch: TorchStatus; tfjs: boolean; threads: number }): Promise<ModelResult> {
  const t0 = performance.now();
  const cfg = (c: IterConfig) => (opts.quick ? quick(c) : c);
  log(`${spec.name}: building the model`);
  const model = await spec.load();
  const buildS = (performance.now() - t0) / 1000;
  const shape = [3, model.inputSize.height, model.inputSize.width];
  const perImage = shape[0] * shape[1] * shape[2];
  log(`${spec.name}: built in ${buildS.toFixed(1)} s (${(model.onnx.length / 1e6).toFixed(1)} MB of ONNX)`);

  const res: ModelResult = {
    input_shape: shape,
    output: spec.output,
    build_s: buildS,
    wall_s: 0,
    forward: {},
    gradient: {},
    forward_vs_pytorch: null,
    forward_vs_pytorch_best_run: null,
    gradient_vs_pytorch: null,
    gradient_best_engine: null,
    agreement: {},
    errors: {},
  };

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `facelens-bench-${spec.name}-`));
  try {
    const onnxPath = path.join(tmp, 'model.onnx');
    fs.writeFileSync(onnxPath, model.onnx);
    const input = randomBatch(model, CHECK_BATCH, 1234);
    const inputPath = path.join(tmp, 'input.f32');
    fs.writeFileSync(inputPath, new Uint8Array(input.buffer, input.byteOffset, input.byteLength));
    const slice = (b: number) => input.subarray(0, b * perImage);

    // --- ONNX Runtime and PyTorch, interleaved in rounds ------------------------------------------
    // The machine is shared: spreading each engine's runs over rounds that alternate with the
    // other engine's exposes both to the same background load.
    let ortOut: Record<string, Float32Array> = {};
    let engine: OrtEngine | undefined;
    try {
      engine = await OrtEngine.create(model, { threads: opts.threads });
      const check = await engine.run(input, CHECK_BATCH, spec.checkOutputs);
      ortOut = Object.fromEntries(spec.checkOutputs.map((o) => [o, check[o].data]));
    } catch (e) {
      res.errors.onnxruntime = errorText(e);
      log(`${spec.name}: onnxruntime failed: ${res.errors.onnxruntime}`);
      engine = undefined;
    }
    // ORT input gradient: the generated backward graph (ort/backward.ts), upstream = ones.
    let gradEngine: GradientEngine | undefined;
    let ortGrad: Float32Array | undefined;
    const ones = new Float32Array(GRAD_BATCH * model.probes.find((p) => p.tensor === spec.output)!.shape.reduce((a, b) => a * b, 1)).fill(1);
    try {
      const tg = performance.now();
      gradEngine = await createGradientEngine(model, { output: spec.output, rule: 'gradient', threads: opts.threads });
      if (gradEngine.backend !== 'onnxruntime') throw new Error(`the backward graph fell back to ${gradEngine.backend}`);
      ortGrad = (await gradEngine.vjp(slice(GRAD_BATCH), GRAD_BATCH, { kind: 'mask', mask: ones })).grad.slice();
      log(`${spec.name}: onnxruntime backward graph ready in ${((performance.now() - tg) / 1000).toFixed(1)} s`);
    } catch (e) {
      res.errors.onnxruntime_gradient = errorText(e);
      log(`${spec.name}: onnxruntime gradient failed: ${res.errors.onnxruntime_gradient}`);
      await gradEngine?.release();
      gradEngine = undefined;
    }
    let torch: TorchServer | undefined;
    const torchGrad: Record<string, Float32Array> = {};
    if (opts.torch.available) {
      try {
        log(`${spec.name}: starting PyTorch (${PYTHON} bench/torch_ref.py --serve)`);
        torch = await TorchServer.start({
          onnxPath,
          shape,
          output: spec.output,
          checkOutputs: spec.checkOutputs,
          checkInput: inputPath,
          checkBatch: CHECK_BATCH,
          checkDir: tmp,
          gradBatch: GRAD_BATCH,
          f64Images: spec.f64Images,
          threads: opts.threads,
          timeoutS: 900,
        });
        res.pytorch_info = torch.info;
        if (Object.keys(ortOut).length > 0) {
          res.agreement.onnxruntime_vs_pytorch = {};
          for (const o of spec.checkOutputs) {
            res.agreement.onnxruntime_vs_pytorch[o] = {};
            for (const fmt of torch.formats) {
              const file = path.join(tmp, `${o}.${fmt}.f32`);
              if (fs.existsSync(file)) res.agreement.onnxruntime_vs_pytorch[o][fmt] = diff(ortOut[o], readF32(file));
            }
          }
          const worst = Math.max(...Object.values(res.agreement.onnxruntime_vs_pytorch[spec.output] ?? {}).map((d) => d.max_abs));
          log(`${spec.name}: max |ORT - PyTorch| on ${spec.output}: ${worst.toExponential(2)}`);
        }
        for (const fmt of [...torch.formats, 'float64']) {
          const file = path.join(tmp, `grad.${fmt}.f32`);
          if (fs.existsSync(file)) torchGrad[fmt] = readF32(file);
        }
        if (Object.keys(ortOut).length > 0) {
          res.agreement.onnxruntime_vs_float64 = {};
          for (const o of spec.checkOutputs) {
            const file = path.join(tmp, `${o}.float64.f32`);
            if (!fs.existsSync(file)) continue;
            const ref = readF32(file);
            res.agreement.onnxruntime_vs_float64[o] = diff(ortOut[o].subarray(0, ref.length), ref);
          }
        }
        if (torchGrad.float64) {
          const ref = torchGrad.float64;
          res.agreement.gradient_vs_float64 = {};
          for (const fmt of torch.formats) {
            if (torchGrad[fmt]) res.agreement.gradient_vs_float64[`pytorch_${fmt}`] = diff(torchGrad[fmt].subarray(0, ref.length), ref);
          }
          if (ortGrad) res.agreement.gradient_vs_float64.onnxruntime = diff(ortGrad.subarray(0, ref.length), ref);
        }
      } catch (e) {
        res.errors.pytorch = errorText(e);
        log(`${spec.name}: PyTorch failed: ${res.errors.pytorch}`);
        await torch?.close().catch(() => undefined);
        torch = undefined;
      }
    } else {
      res.errors.pytorch = `unavailable: ${opts.torch.reason}`;
    }

    const fast = cfg(spec.fast);
    const rounds = opts.quick ? 1 : spec.rounds;
    const ortTimes = new Map<number, number[]>();
    const ortGradTimes: number[] = [];
    const torchTimes = new Map<string, number[]>();
    const push = <K>(m: Map<K, number[]>, k: K, v: number[]) => m.set(k, [...(m.get(k) ?? []), ...v]);
    const meter = new CpuMeter();
    const bg = new BackgroundLoad();
    // The agreement run at CHECK_BATCH (forward, every engine and format) counts as a warm-up run.
    const afterCheck = (c: IterConfig, op: 'forward' | 'gradient', b: number, r: number): IterConfig =>
      r === 0 && op === 'forward' && b === CHECK_BATCH ? { ...c, warmup: Math.max(0, c.warmup - 1) } : c;
    const timeTorch = async (op: 'forward' | 'gradient', batch: number, c0: IterConfig, r: number) => {
      if (!torch) return;
      const c = afterCheck(c0, op, batch, r);
      for (const fmt of torch.formats) {
        try {
          const s = meter.start(torch.pid ? [torch.pid] : []);
          const t = await torch.time({ op, batch, format: fmt, warmup: c.warmup, min_iters: c.minIters, max_iters: c.maxIters, min_time: c.minTime });
          bg.add(`pytorch/${op}/${batch}/${fmt}`, meter.stop(s));
          push(torchTimes, `${op}/${batch}/${fmt}`, t.times_ms);
        } catch (e) {
          res.errors[`pytorch_${op}_${batch}_${fmt}`] = errorText(e);
          log(`${spec.name}: PyTorch ${op} batch ${batch} ${fmt} failed: ${errorText(e)}`);
        }
      }
    };
    for (let r = 0; r < rounds; r++) {
      const c = roundConfig(fast, r, rounds);
      log(`${spec.name}: round ${r + 1}/${rounds} (onnxruntime and PyTorch)`);
      for (const b of BATCHES) {
        if (engine) {
          const e = engine;
          const x = slice(b);
          try {
            const s = meter.start();
            const times = await timeRuns(() => e.run(x, b, [spec.output]), afterCheck(c, 'forward', b, r));
            bg.add(`onnxruntime/${b}`, meter.stop(s));
            push(ortTimes, b, times);
            log(`${spec.name}: onnxruntime forward batch ${b}: ${summarize(times, b, c.warmup).img_per_s.toFixed(2)} img/s (${times.length} runs)`);
          } catch (err) {
            res.errors[`onnxruntime_forward_${b}`] = errorText(err);
            log(`${spec.name}: onnxruntime forward batch ${b} failed: ${errorText(err)}`);
          }
        }
        await timeTorch('forward', b, c, r);
      }
      if (gradEngine) {
        const e = gradEngine;
        const x = slice(GRAD_BATCH);
        try {
          const s = meter.start();
          const times = await timeRuns(() => e.vjp(x, GRAD_BATCH, { kind: 'mask', mask: ones }), c);
          bg.add('onnxruntime/gradient', meter.stop(s));
          ortGradTimes.push(...times);
          log(`${spec.name}: onnxruntime gradient batch ${GRAD_BATCH}: ${summarize(times, GRAD_BATCH, c.warmup).img_per_s.toFixed(2)} img/s (${times.length} runs)`);
        } catch (err) {
          res.errors.onnxruntime_gradient = errorText(err);
          log(`${spec.name}: onnxruntime gradient failed: ${errorText(err)}`);
        }
      }
      await timeTorch('gradient', GRAD_BATCH, c, r);
    }
    if (gradEngine) {
      if (ortGradTimes.length) {
        res.gradient.onnxruntime = {
          [GRAD_BATCH]: { ...summarize(ortGradTimes, GRAD_BATCH, warmupTotalOf(fast, rounds), rounds), background_cores: bg.cores('onnxruntime/gradient') },
        };
      }
      await gradEngine.release();
    }
    const warmupTotal = (c: IterConfig) => warmupTotalOf(c, rounds);
    if (engine) {
      res.forward.onnxruntime = {};
      for (const [b, times] of ortTimes) {
        res.forward.onnxruntime[b] = { ...summarize(times, b, warmupTotal(fast), rounds), background_cores: bg.cores(`onnxruntime/${b}`) };
      }
      await engine.release();
    }
    if (torch) {
      const entry = (op: string, b: number): TorchEntry | undefined => {
        const byFmt: Record<string, Timing> = {};
        for (const fmt of torch!.formats) {
          const times = torchTimes.get(`${op}/${b}/${fmt}`);
          if (times?.length) byFmt[fmt] = { ...summarize(times, b, warmupTotal(fast), rounds), background_cores: bg.cores(`pytorch/${op}/${b}/${fmt}`) };
        }
        const fmts = Object.keys(byFmt);
        if (fmts.length === 0) return undefined;
        const best = fmts.reduce((p, q) => (byFmt[q].img_per_s > byFmt[p].img_per_s ? q : p));
        return { img_per_s: byFmt[best].img_per_s, best, ...byFmt };
      };
      res.forward.pytorch = {};
      for (const b of BATCHES) {
        const e = entry('forward', b);
        if (e) res.forward.pytorch[b] = e;
      }
      const g = entry('gradient', GRAD_BATCH);
      if (g) res.gradient.pytorch = { [GRAD_BATCH]: g };
      await torch.close();
    }

    // --- TF.js WASM (TfGraph) -------------------------------------------------------------------
    if (opts.tfjs) {
      const r: TfjsResult = await benchTfjs({
        model,
        output: spec.output,
        checkOutputs: spec.checkOutputs,
        input,
        checkBatch: CHECK_BATCH,
        batches: BATCHES,
        gradBatch: spec.tfjsGradBatch,
        forwardCfg: cfg(spec.tfjsForward),
        gradientCfg: cfg(spec.tfjsGradient),
        log: (m) => log(`${spec.name}: ${m}`),
      });
      if (r.forward) res.forward.tfjs_wasm = r.forward;
      if (r.gradient) res.gradient.tfjs_wasm = r.gradient;
      Object.assign(res.errors, r.errors);
      if (r.outputs && Object.keys(ortOut).length > 0) {
        res.agreement.tfjs_vs_onnxruntime = {};
        for (const o of spec.checkOutputs) {
          if (r.outputs[o]) res.agreement.tfjs_vs_onnxruntime[o] = diff(r.outputs[o], ortOut[o]);
        }
      }
      if (r.inputGradient && torchGrad.float64) {
        const ref = torchGrad.float64;
        const n = Math.min(ref.length, r.inputGradient.length);
        res.agreement.gradient_vs_float64 ??= {};
        res.agreement.gradient_vs_float64.tfjs_wasm = diff(r.inputGradient.subarray(0, n), ref.subarray(0, n));
      }
      if (spec.tfjsGradNote) res.errors.tfjs_gradient_batch_8 = spec.tfjsGradNote;
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }

  // --- Ratios ----------------------------------------------------------------------------------
  const b = String(GRAD_BATCH);
  const ortF = res.forward.onnxruntime?.[b];
  const ptF = res.forward.pytorch?.[b];
  if (ortF && ptF) {
    res.forward_vs_pytorch = ortF.img_per_s / ptF.img_per_s;
    const ptBest = ptF[ptF.best] as Timing | undefined;
    const ptBestRun = ptBest?.img_per_s_best ?? (ptBest ? ptF.img_per_s : undefined);
    if (ptBestRun) res.forward_vs_pytorch_best_run = ortF.img_per_s_best / ptBestRun;
  }
  const facelensGrads = Object.entries({ onnxruntime: res.gradient.onnxruntime?.[b], tfjs_wasm: res.gradient.tfjs_wasm?.[b] }).filter(
    (e): e is [string, Timing] => e[1] !== undefined,
  );
  const bestGrad = facelensGrads.sort((p, q) => q[1].img_per_s - p[1].img_per_s)[0];
  if (bestGrad) res.gradient_best_engine = bestGrad[0];
  const ptG = res.gradient.pytorch?.[b];
  if (bestGrad && ptG) res.gradient_vs_pytorch = bestGrad[1].img_per_s / ptG.img_per_s;
  res.wall_s = (performance.now() - t0) / 1000;
  log(`${spec.name}: done in ${res.wall_s.toFixed(0)} s; forward_vs_pytorch ${res.forward_vs_pytorch?.toFixed(2) ?? 'n/a'}, gradient_vs_pytorch ${res.gradient_vs_pytorch?.toFixed(3) ?? 'n/a'}`);
  return res;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      models: { type: 'string' },
      quick: { type: 'boolean', default: false },
      'no-pytorch': { type: 'boolean', default: false },
      'no-tfjs': { type: 'boolean', default: false },
      'no-verify': { type: 'boolean', default: false },
      'verify-pairs': { type: 'string' },
      threads: { type: 'string' },
      'out-dir': { type: 'string' },
      'front-end-only': { type: 'boolean', default: false },
      'no-front-end': { type: 'boolean', default: false },
      'align-images': { type: 'string' },
      'faceapi-images': { type: 'string' },
      'inline-images': { type: 'string' },
      'front-end': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      'npm run bench -- [--models dlib-resnet,vgg16-random] [--quick] [--no-pytorch] [--no-tfjs] [--no-verify] [--verify-pairs FILE] [--threads N] [--out-dir DIR]\n' +
        '                 [--no-front-end | --front-end-only] [--front-end align,ssd_roofline,verify_cold,pose_metrics] [--align-images N] [--faceapi-images N] [--inline-images N]\n' +
        '  --front-end-only runs just issue 13\'s front-end rows and merges them into an existing results.json\n',
    );
    return;
  }
  const frontEnd = async (): Promise<Record<string, unknown>> => {
    const parts = (values['front-end'] ?? 'align,ssd_roofline,verify_cold,pose_metrics').split(',').map((x) => x.trim());
    const fe: Record<string, unknown> = { loadavg_start: os.loadavg() };
    const guard = async (name: string, f: () => unknown): Promise<void> => {
      if (!parts.includes(name)) return;
      log(`front end: ${name}...`);
      try {
        fe[name] = await f();
      } catch (e) {
        fe[name] = { failed: errorText(e) };
      }
      log(`front end: ${name}: ${JSON.stringify(fe[name])}`);
    };
    await guard('align', () =>
      benchAlign({
        images: values['align-images'] ? Number(values['align-images']) : 200,
        faceApiImages: values['faceapi-images'] ? Number(values['faceapi-images']) : undefined,
        inlineImages: values['inline-images'] ? Number(values['inline-images']) : undefined,
        log,
      }),
    );
    await guard('ssd_roofline', () => benchSsdRoofline());
    await guard('verify_cold', () => benchVerifyCold());
    await guard('pose_metrics', () => benchPoseMetrics());
    fe.loadavg_end = os.loadavg();
    fe.note = 'shared 2-vCPU machine: absolute times are noisy; compare the ratios taken within one run';
    return fe;
  };
  if (values['front-end-only']) {
    const outDir = values['out-dir'] ?? BENCH_DIR;
    const file = path.join(outDir, 'results.json');
    const fe = await frontEnd();
    let prev: Record<string, unknown> = {};
    try {
      prev = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch {
      prev = {};
    }
    const merged = { ...prev, front_end: { date: new Date().toISOString(), ...((prev.front_end as object) ?? {}), ...fe } };
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(file, JSON.stringify(merged, null, 2) + '\n');
    log(`wrote front_end rows to ${file}`);
    return;
  }
  const names = values.models ? values.models.split(',').map((s) => s.trim()).filter(Boolean) : MODELS.map((m) => m.name);
  const unknown = names.filter((n) => !MODELS.some((m) => m.name === n));
  if (unknown.length > 0) throw new Error(`unknown model(s) ${unknown.join(', ')}; known: ${MODELS.map((m) => m.name).join(', ')}`);
  const threads = values.threads ? Number(values.threads) : os.availableParallelism();
  const outDir = values['out-dir'] ?? BENCH_DIR;

  const started = new Date();
  const loadStart = os.loadavg();
  log(`facelens bench: models ${names.join(', ')}; ${threads} threads; ${os.cpus()[0]?.model ?? '?'}; load ${loadStart.map((l) => l.toFixed(2)).join(' ')}`);
  const torch: TorchStatus = values['no-pytorch'] ? { available: false, reason: 'disabled with --no-pytorch' } : ensureTorch(log);
  if (!torch.available) log(`PyTorch unavailable: ${torch.reason}`);

  const models: Record<string, ModelResult> = {};
  for (const name of names) {
    const spec = MODELS.find((m) => m.name === name)!;
    try {
      models[name] = await benchModel(spec, { quick: values.quick, torch, tfjs: !values['no-tfjs'], threads });
    } catch (e) {
      log(`${name}: failed: ${errorText(e)}`);
      models[name] = { failed: errorText(e) } as unknown as ModelResult;
    }
  }

  // Issue 3's target: one deconvnet projection costs <= 2x the forward pass of the same image.
  let projection: Awaited<ReturnType<typeof benchProjection>> | { failed: string } | undefined;
  if (names.includes('dlib-resnet') && !values['no-tfjs']) {
    log('dlib-resnet: projection vs forward (TF.js engine)...');
    try {
      projection = await benchProjection({ rounds: values.quick ? 3 : 7 });
      log(`projection / forward-to-layer: ${projection.ratio.median.toFixed(2)} (median), ${projection.ratio.min.toFixed(2)} (fastest runs)`);
    } catch (e) {
      projection = { failed: errorText(e) };
    }
  }

  // Issue 5's target: one activation-maximisation step costs <= 2x a forward+backward pass.
  let amStep: Awaited<ReturnType<typeof benchAmStep>> | { failed: string } | undefined;
  if (names.includes('dlib-resnet')) {
    log('dlib-resnet: AM step vs forward+backward (res256 #138, spatial max)...');
    try {
      const model = await loadModel('dlib-resnet');
      const probe = findProbe(model, 'res256');
      const engine = await createGradientEngine(model, { output: probe.tensor, rule: 'gradient', threads });
      const engines: Parameters<typeof benchAmStep>[0]['engines'] = { onnxruntime: engineNeuronGradient(engine, probe, 138, 'max') };
      const graph = values['no-tfjs'] ? undefined : await TfGraph.fromOnnx(model.onnx);
      if (graph) engines.tfjs = tfGraphNeuronGradient(graph, model, probe, 138, 'max');
      amStep = await benchAmStep({ model, layer: 'res256', neuron: 138, engines, steps: values.quick ? 10 : 30 });
      await engine.release();
      graph?.dispose();
      for (const r of amStep) log(`AM step ${r.engine}: ${r.am_step_ms.toFixed(1)} ms vs forward+backward ${r.fwd_bwd_ms.toFixed(1)} ms (x${r.ratio.toFixed(2)})`);
    } catch (e) {
      amStep = { failed: errorText(e) };
    }
  }

  // The TF.js WASM gradient kernels facelens replaces, against the built-in ones.
  let kernels: Awaited<ReturnType<typeof benchKernels>> | { failed: string } | undefined;
  if (!values['no-tfjs']) {
    log('TF.js gradient kernels: ours vs built-in...');
    try {
      kernels = await benchKernels({ reps: values.quick ? 2 : 3 });
      for (const k of kernels) log(`${k.case}: ours ${k.ours_ms.toFixed(1)} ms, built-in ${k.builtin_ms.toFixed(1)} ms (x${k.speedup.toFixed(1)})`);
    } catch (e) {
      kernels = { failed: errorText(e) };
    }
  }

  // Issue 8's memory target: a sweep's peak RSS is flat in the number of images.
  if (names.includes('dlib-resnet') && models['dlib-resnet'] && !('failed' in models['dlib-resnet'])) {
    const rss: Record<string, number> = {};
    for (const n of [200, 2000]) {
      log(`dlib-resnet: peak RSS of a ${n}-image sweep...`);
      try {
        const r = sweepPeakRss(n);
        if (r) rss[String(n)] = +r.peak_rss_mb.toFixed(1);
      } catch (e) {
        log(`sweep RSS ${n}: failed: ${errorText(e)}`);
      }
    }
    (models['dlib-resnet'] as unknown as Record<string, unknown>).sweep_rss_mb = rss;
    log(`sweep peak RSS (MB): ${JSON.stringify(rss)}`);
  }

  // Issue 8: end-to-end time of per-layer `verify` on ../shared/data/lfw (a fresh CLI process).
  if (names.includes('dlib-resnet') && models['dlib-resnet'] && !('failed' in models['dlib-resnet']) && !values['no-verify']) {
    log('dlib-resnet: end-to-end `facelens verify` on ../shared/data/lfw...');
    let v: unknown;
    try {
      v = verifyEndToEnd({ pairs: values['verify-pairs'] }) ?? { skipped: 'no ../shared/data/lfw' };
    } catch (e) {
      v = { failed: errorText(e) };
    }
    (models['dlib-resnet'] as unknown as Record<string, unknown>).verify_end_to_end = v;
    log(`verify end to end: ${JSON.stringify(v)}`);
  }

  const frontEndRows = values['no-front-end'] ? undefined : await frontEnd();

  const torchInfo = Object.values(models).find((m) => m.pytorch_info)?.pytorch_info;
  // How contaminated were the measurements by other processes?
  const bgs: number[] = [];
  const collect = (v: unknown): void => {
    if (!v || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v)) {
      if (k === 'background_cores' && typeof x === 'number') bgs.push(x);
      else collect(x);
    }
  };
  for (const m of Object.values(models)) collect({ f: m.forward, g: m.gradient });
  const maxBg = bgs.length ? Math.max(...bgs) : null;
  const meanBg = bgs.length ? bgs.reduce((a, b) => a + b, 0) / bgs.length : null;
  const quality = {
    background_cores_max: maxBg,
    background_cores_mean: meanBg === null ? null : +meanBg.toFixed(2),
    warning:
      maxBg !== null && maxBg > 0.25 * os.availableParallelism()
        ? `Other processes used ${meanBg!.toFixed(2)} of ${os.availableParallelism()} cores on average (up to ${maxBg.toFixed(2)}) while this ran: every figure is depressed, PyTorch's most (its OpenMP threads wait at spin barriers for descheduled peers), so the ratios favour facelens. Rerun on a quiet machine before relying on them.`
        : null,
  };
  if (quality.warning) log(`WARNING: ${quality.warning}`);
  const results = {
    date: started.toISOString(),
    duration_s: (performance.now() - T0) / 1000,
    quality,
    settings: {
      batches: BATCHES,
      gradient_batch: GRAD_BATCH,
      check_batch: CHECK_BATCH,
      float64_images: Object.fromEntries(names.map((n) => [n, MODELS.find((m) => m.name === n)!.f64Images])),
      threads,
      quick: values.quick,
      method:
        'per engine and batch: warm-up runs (the forward agreement run at the check batch counts as one), then timed runs until >= minIters and >= minTime s (<= maxIters); img/s = batch / median run time (img_per_s_best: batch / fastest run). ONNX Runtime and PyTorch (one persistent torch_ref.py --serve process) alternate in `rounds` rounds, each with its share of the runs and one warm-up run after the first round, so both see the same background load; TF.js runs afterwards. Forward = one output read back to host. Gradient = d(sum(output))/d(input) (ONNX Runtime: the generated forward+backward graph of src/engine/ort/backward.ts, upstream mask of ones, rule "gradient"). Same seeded input batch for every engine.',
      iterations: Object.fromEntries(names.map((n) => [n, MODELS.find((m) => m.name === n)])),
      onnxruntime: `intraOpNumThreads ${threads}, interOpNumThreads 1, graphOptimizationLevel all (OrtEngine)`,
      pytorch: `torch.set_num_threads(${threads}), set_num_interop_threads(1), OMP_NUM_THREADS=${threads}, eval, no_grad for forward; NCHW-contiguous and channels_last both timed, the faster reported`,
      tfjs: 'WASM backend (single-threaded under Node), TfGraph.run / TfGraph.vjp (reluRule "gradient")',
    },
    machine: {
      cores: os.availableParallelism(),
      cpu_model: os.cpus()[0]?.model ?? 'unknown',
      cpu_flags: cpuFlags(),
      total_mem_gb: +(os.totalmem() / 2 ** 30).toFixed(1),
      platform: `${os.platform()} ${os.release()} ${os.arch()}`,
      loadavg_start: loadStart,
      loadavg_end: os.loadavg(),
      node: process.version,
      onnxruntime_node: pkgVersion('onnxruntime-node'),
      ...tfjsInfo(),
      pytorch: torch.available
        ? {
            version: torchInfo?.torch_version ?? 'unknown',
            python: torchInfo?.python,
            numpy: torchInfo?.numpy_version,
            onnx: torchInfo?.onnx_version,
            mkldnn: torchInfo?.mkldnn,
            blas: torchInfo?.blas,
            installed_now: torch.installed_now,
          }
        : { unavailable: torch.reason },
    },
    models,
    projection,
    am_step: amStep,
    kernels,
    front_end: frontEndRows,
  };
  // settings.iterations carries the load functions; keep only the numbers.
  const json = JSON.stringify(results, (k, v) => (k === 'load' ? undefined : v), 2);
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'results.json'), json + '\n');
  fs.writeFileSync(path.join(outDir, 'results.md'), writeMarkdown(JSON.parse(json)));
  log(`wrote ${path.join(outDir, 'results.json')} and results.md in ${results.duration_s.toFixed(0)} s`);
  process.stdout.write(fs.readFileSync(path.join(outDir, 'results.md'), 'utf8'));
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
