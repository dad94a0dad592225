/**
 * Runs the facelens CLI in this process (runCli from src/cli/main.ts) with stdout / stderr
 * captured, so a suite of hundreds of command lines costs milliseconds each instead of a tsx
 * start per case. A case that does not finish within `timeoutMs` counts as a hang.
 */
import { runCli } from '../../src/cli/main.ts';

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
  const capture = (sink: string[]) =>
    ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      sink.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      cb?.();
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = capture(out);
  process.stderr.write = capture(err);
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const code = await Promise.race([
      runCli(['node', 'facelens', '--quiet', ...args]),
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
