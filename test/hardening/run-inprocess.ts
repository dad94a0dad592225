/**
 * Runs the facelens CLI in this process (runCli from src/cli/main.ts) with stdout / stderr
 * captured, so a suite of hundreds of command lines costs milliseconds each instead of a tsx
 * start per case. A case that does not finish within `timeoutMs` counts as a hang.
 *
 * Only writes made from inside the case's own async context are captured (AsyncLocalStorage):
 * the test runner flushes its own events to stdout while a case runs, and those pass through
 * untouched, so the runner's log lists every test.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { runCli } from '../../src/cli/main.ts';

const sinks = new AsyncLocalStorage<{ out: string[]; err: string[] }>();

export interface CliRun {
  code: number | 'hang';
  stdout: string;
  stderr: string;
  ms: number;
}

export async function runInProcess(args: string[], timeoutMs = 60_000): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const so = process.stdout.write.bind(process.stdout);
  const se = process.stderr.write.bind(process.stderr);
  const capture = (which: 'out' | 'err', original: typeof process.stdout.write) =>
    ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const store = sinks.getStore();
      if (!store) return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
      store[which].push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      cb?.();
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = capture('out', so);
  process.stderr.write = capture('err', se);
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const code = await Promise.race([
      sinks.run({ out, err }, () => runCli(['node', 'facelens', '--quiet', ...args])),
      new Promise<'hang'>((r) => {
        timer = setTimeout(() => r('hang'), timeoutMs);
      }),
    ]);
    return { code, stdout: out.join(''), stderr: err.join(''), ms: performance.now() - t0 };
  } finally {
    clearTimeout(timer);
    process.stdout.write = so;
    process.stderr.write = se;
  }
}
