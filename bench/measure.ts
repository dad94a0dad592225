/** Timing and comparison helpers shared by the benchmark's engines. */
import fs from 'node:fs';

export interface IterConfig {
  /** Untimed runs first. */
  warmup: number;
  /** Timed runs: at least minIters and at least minTime seconds, at most maxIters. */
  minIters: number;
  maxIters: number;
  minTime: number;
}

export interface Timing {
  /** batch / median run time. */
  img_per_s: number;
  /** batch / fastest run time (less sensitive to other processes on a shared machine). */
  img_per_s_best: number;
  median_ms: number;
  min_ms: number;
  /** Timed runs (over all rounds). */
  iters: number;
  /** Untimed warm-up runs (over all rounds). */
  warmup: number;
  /** Rounds the runs were spread over (interleaved with the other engines'). */
  rounds: number;
  /** CPU cores other processes used on average meanwhile (see CpuMeter); 0 = a quiet machine. */
  background_cores?: number;
}

/** Warm-up runs, then timed runs per `cfg`; returns the run times in ms. */
export async function timeRuns(fn: () => unknown, cfg: IterConfig): Promise<number[]> {
  for (let i = 0; i < cfg.warmup; i++) await fn();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < cfg.maxIters && (times.length < cfg.minIters || performance.now() - start < cfg.minTime * 1000)) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return times;
}

/** Fastest and median of run times. */
export function minMedian(times: number[]): { min: number; median: number } {
  const s = [...times].sort((a, b) => a - b);
  const m = s.length >> 1;
  return { min: s[0], median: s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2 };
}

/** Median-based throughput from run times (ms) of batches of `batch` images. */
export function summarize(times: number[], batch: number, warmup: number, rounds = 1): Timing {
  if (times.length === 0) throw new Error('summarize: no runs');
  const { min, median } = minMedian(times);
  return {
    img_per_s: (batch * 1000) / median,
    img_per_s_best: (batch * 1000) / min,
    median_ms: median,
    min_ms: min,
    iters: times.length,
    warmup,
    rounds,
  };
}

/** Median-based throughput of `fn` (one call = one batch of `batch` images), with background load. */
export async function measure(fn: () => unknown, batch: number, cfg: IterConfig): Promise<Timing> {
  const meter = new CpuMeter();
  const s = meter.start();
  const times = await timeRuns(fn, cfg);
  const bg = new BackgroundLoad();
  bg.add('x', meter.stop(s));
  return { ...summarize(times, batch, cfg.warmup), background_cores: bg.cores('x') };
}

/** The share of `cfg` for round `r` of `rounds`: full warm-up first, one warm-up run after. */
export function roundConfig(cfg: IterConfig, r: number, rounds: number): IterConfig {
  return {
    warmup: r === 0 ? cfg.warmup : Math.min(cfg.warmup, 1),
    minIters: Math.max(1, Math.ceil(cfg.minIters / rounds)),
    maxIters: Math.max(1, Math.ceil(cfg.maxIters / rounds)),
    minTime: cfg.minTime / rounds,
  };
}

export interface Diff {
  /** max |a - b| */
  max_abs: number;
  /** max |b| (the reference's scale) */
  max_ref: number;
  /** max_abs / max_ref */
  rel: number;
  /** ||a - b||_2 / ||b||_2 */
  rel_l2: number;
  n: number;
}

export function diff(a: ArrayLike<number>, b: ArrayLike<number>): Diff {
  if (a.length !== b.length) throw new Error(`compare: ${a.length} vs ${b.length} values`);
  let d = 0;
  let s = 0;
  let e2 = 0;
  let b2 = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i] - b[i]);
    if (!(e <= d)) d = Number.isNaN(e) ? Infinity : e;
    s = Math.max(s, Math.abs(b[i]));
    e2 += e * e;
    b2 += b[i] * b[i];
  }
  return { max_abs: d, max_ref: s, rel: s === 0 ? d : d / s, rel_l2: b2 === 0 ? Math.sqrt(e2) : Math.sqrt(e2 / b2), n: a.length };
}

export { mulberry32 } from '../src/core/random.js';

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message.split('\n')[0] : String(e);
}

/**
 * How much CPU other processes used while something ran: machine-wide busy time (/proc/stat,
 * steal included) minus this process's and the given child processes' own CPU time. On a shared
 * machine this says which measurements were contaminated, and by how much (in cores).
 */
export class CpuMeter {
  private readonly tick: number;

  constructor() {
    this.tick = 100; // USER_HZ: 100 on every Linux ABI Node supports
  }

  private static machineBusyTicks(): number | undefined {
    try {
      const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0];
      const f = line.trim().split(/\s+/).slice(1).map(Number);
      // user nice system idle iowait irq softirq steal (guest time is already in user)
      return f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] ?? 0);
    } catch {
      return undefined;
    }
  }

  private static pidTicks(pid: number): number {
    try {
      const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      return Number(f[11]) + Number(f[12]); // utime stime
    } catch {
      return 0;
    }
  }

  start(pids: number[] = []): CpuSample {
    const own = process.cpuUsage();
    return {
      t: performance.now(),
      busy: CpuMeter.machineBusyTicks(),
      ownUs: own.user + own.system,
      pids,
      pidTicks: pids.map((p) => CpuMeter.pidTicks(p)),
    };
  }

  /** CPU seconds other processes used since `s`, and the elapsed seconds. */
  stop(s: CpuSample): { elapsed_s: number; other_cpu_s: number } | undefined {
    const busy = CpuMeter.machineBusyTicks();
    if (busy === undefined || s.busy === undefined) return undefined;
    const own = process.cpuUsage();
    const ownS = (own.user + own.system - s.ownUs) / 1e6;
    const childS = s.pids.reduce((acc, p, i) => acc + (CpuMeter.pidTicks(p) - s.pidTicks[i]) / this.tick, 0);
    const elapsed = (performance.now() - s.t) / 1000;
    return { elapsed_s: elapsed, other_cpu_s: Math.max(0, (busy - s.busy) / this.tick - ownS - childS) };
  }
}

export interface CpuSample {
  t: number;
  busy: number | undefined;
  ownUs: number;
  pids: number[];
  pidTicks: number[];
}

/** Accumulates CpuMeter readings per key; `cores(key)` = other processes' average CPU use. */
export class BackgroundLoad {
  private readonly acc = new Map<string, { elapsed: number; other: number }>();
  add(key: string, r: { elapsed_s: number; other_cpu_s: number } | undefined): void {
    if (!r) return;
    const a = this.acc.get(key) ?? { elapsed: 0, other: 0 };
    a.elapsed += r.elapsed_s;
    a.other += r.other_cpu_s;
    this.acc.set(key, a);
  }
  cores(key: string): number | undefined {
    const a = this.acc.get(key);
    return a && a.elapsed > 0 ? +(a.other / a.elapsed).toFixed(2) : undefined;
  }
}
