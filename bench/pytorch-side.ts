/**
 * PyTorch reference: makes sure Debian's python3-torch is there (installing it with apt-get when
 * missing and possible), then drives bench/torch_ref.py on the model's ONNX file.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Debian's interpreter (python3-torch installs there, not into pyenv's python3). */
export const PYTHON = process.env.FACELENS_BENCH_PYTHON ?? '/usr/bin/python3';
/**
 * Debian's PyTorch, its ONNX reader, and OpenBLAS: Debian's python3-torch links the generic
 * libblas.so.3, which is the (very slow) reference BLAS unless an optimised one such as
 * libopenblas0 is installed; PyTorch's GEMM paths (fully connected layers, the im2col convolutions
 * it uses for small batch-1 inputs) then run several times slower, which would flatter facelens.
 */
const PACKAGES = ['python3-torch', 'python3-onnx', 'python3-numpy', 'libopenblas0'];
const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'torch_ref.py');

export type TorchStatus =
  | { available: true; python: string; installed_now: string[]; openblas: boolean }
  | { available: false; reason: string };

function importsOk(): boolean {
  if (!fs.existsSync(PYTHON)) return false;
  const r = spawnSync(PYTHON, ['-c', 'import torch, onnx, numpy'], { stdio: 'ignore', timeout: 120_000 });
  return r.status === 0;
}

function hasOpenBlas(): boolean {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', 'libopenblas0-pthread', 'libopenblas0-openmp', 'libopenblas0-serial'], { encoding: 'utf8' });
  return (r.stdout ?? '').includes('install ok installed');
}

function aptInstall(log: (m: string) => void, packages: string[], update: boolean): boolean {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (update) {
    log('apt-get update');
    spawnSync('apt-get', ['update'], { stdio: ['ignore', 2, 2], env, timeout: 300_000 });
  }
  log(`apt-get install -y ${packages.join(' ')}`);
  const r = spawnSync('apt-get', ['install', '-y', ...packages], { stdio: ['ignore', 2, 2], env, timeout: 900_000 });
  return r.status === 0;
}

/**
 * PyTorch is used when /usr/bin/python3 imports torch, onnx and numpy. Missing pieces (OpenBLAS
 * included) are installed with apt-get when we are root and apt-get exists; otherwise PyTorch is
 * recorded as unavailable (or, for OpenBLAS alone, used with a warning in the results).
 */
export function ensureTorch(log: (m: string) => void): TorchStatus {
  const haveTorch = importsOk();
  const haveBlas = hasOpenBlas();
  if (haveTorch && haveBlas) return { available: true, python: PYTHON, installed_now: [], openblas: true };
  const aptGet = ['/usr/bin/apt-get', '/bin/apt-get'].find((p) => fs.existsSync(p));
  const root = process.getuid?.() === 0;
  const missing = haveTorch ? ['libopenblas0'] : PACKAGES;
  if (!aptGet || !root) {
    const why = `apt-get is ${aptGet ? 'not usable (not root)' : 'absent'}`;
    if (haveTorch) {
      log(`WARNING: no OpenBLAS (${why}); PyTorch runs on the reference BLAS and is slower than it should be`);
      return { available: true, python: PYTHON, installed_now: [], openblas: false };
    }
    return { available: false, reason: `${PYTHON} cannot import torch/onnx/numpy and ${why}` };
  }
  log(`installing ${missing.join(' ')} with apt-get`);
  const ok = () => importsOk() && hasOpenBlas();
  if (!(aptInstall(log, missing, false) && ok()) && !(aptInstall(log, missing, true) && ok())) {
    if (importsOk()) {
      log('WARNING: OpenBLAS could not be installed; PyTorch runs on the reference BLAS');
      return { available: true, python: PYTHON, installed_now: [], openblas: false };
    }
    return { available: false, reason: `apt-get install ${missing.join(' ')} failed` };
  }
  return { available: true, python: PYTHON, installed_now: missing, openblas: true };
}

export interface TorchArgs {
  onnxPath: string;
  shape: number[];
  output: string;
  checkOutputs: string[];
  checkInput: string;
  checkBatch: number;
  checkDir: string;
  gradBatch: number;
  /** float64 reference outputs / gradient for the first this many check images. */
  f64Images: number;
  threads: number;
  /** Seconds allowed for loading + the agreement check, and for each timing command. */
  timeoutS: number;
}

export interface TorchTiming {
  img_per_s: number;
  img_per_s_best: number;
  median_ms: number;
  min_ms: number;
  iters: number;
  warmup: number;
  times_ms: number[];
}

export interface TorchCommand {
  op: 'forward' | 'gradient';
  batch: number;
  format: string;
  warmup: number;
  min_iters: number;
  max_iters: number;
  min_time: number;
}

/**
 * torch_ref.py in --serve mode: loads the model once (and writes the agreement outputs), then
 * times one configuration per request, so that its runs can be interleaved with facelens' own.
 * Its stderr (progress) goes to ours.
 */
export class TorchServer {
  info: Record<string, unknown> = {};
  formats: string[] = [];
  private buffered = '';
  private readonly lines: string[] = [];
  private waiter: ((line: string | null) => void) | undefined;
  private exited = false;
  private errTail = '';

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly timeoutS: number,
  ) {
    child.stdout.on('data', (d: Buffer) => {
      this.buffered += d.toString();
      let i: number;
      while ((i = this.buffered.indexOf('\n')) >= 0) {
        const line = this.buffered.slice(0, i).trim();
        this.buffered = this.buffered.slice(i + 1);
        if (!line.startsWith('{')) continue;
        if (this.waiter) {
          const w = this.waiter;
          this.waiter = undefined;
          w(line);
        } else this.lines.push(line);
      }
    });
    child.stderr.on('data', (d: Buffer) => {
      process.stderr.write(d);
      this.errTail = (this.errTail + d.toString()).slice(-2000);
    });
    const onEnd = () => {
      this.exited = true;
      if (this.waiter) {
        const w = this.waiter;
        this.waiter = undefined;
        w(null);
      }
    };
    child.on('close', onEnd);
    child.on('error', onEnd);
  }

  static async start(a: TorchArgs): Promise<TorchServer> {
    const argv = [
      SCRIPT,
      '--serve',
      '--onnx', a.onnxPath,
      '--shape', a.shape.join(','),
      '--output', a.output,
      '--check-outputs', a.checkOutputs.join(','),
      '--check-input', a.checkInput,
      '--check-batch', String(a.checkBatch),
      '--check-dir', a.checkDir,
      '--grad-batch', String(a.gradBatch),
      '--f64-images', String(a.f64Images),
      '--threads', String(a.threads),
    ];
    const env = { ...process.env, OMP_NUM_THREADS: String(a.threads), PYTHONWARNINGS: 'ignore' };
    const child = spawn(PYTHON, argv, { stdio: ['pipe', 'pipe', 'pipe'], env });
    const s = new TorchServer(child, a.timeoutS);
    const ready = JSON.parse(await s.nextLine()) as Record<string, unknown> & { formats: string[] };
    const { ready: _r, formats, ...info } = ready;
    s.formats = formats;
    s.info = info;
    return s;
  }

  private nextLine(): Promise<string> {
    const queued = this.lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.exited) return Promise.reject(this.deadError());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.child.kill('SIGKILL');
      }, this.timeoutS * 1000);
      this.waiter = (line) => {
        clearTimeout(timer);
        if (line === null) reject(this.deadError());
        else resolve(line);
      };
    });
  }

  private deadError(): Error {
    const code = this.child.exitCode ?? this.child.signalCode;
    return new Error(`torch_ref.py exited (${code}): ${this.errTail.trim().split('\n').slice(-3).join(' | ')}`);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  async time(cmd: TorchCommand): Promise<TorchTiming> {
    if (this.exited) throw this.deadError();
    this.child.stdin.write(JSON.stringify(cmd) + '\n');
    const r = JSON.parse(await this.nextLine()) as TorchTiming & { error?: string };
    if (r.error) throw new Error(`torch_ref.py: ${r.error}`);
    return r;
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const done = new Promise<void>((resolve) => this.child.once('close', () => resolve()));
    this.child.stdin.end(JSON.stringify({ op: 'quit' }) + '\n');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await done;
    clearTimeout(timer);
  }
}

/** Reads a raw float32 file written by torch_ref.py. */
export function readF32(file: string): Float32Array {
  const b = fs.readFileSync(file);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}
