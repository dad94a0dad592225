/**
 * End-to-end wall time of per-layer `facelens verify` on ../shared/data/lfw (detection and
 * alignment through the on-disk cache, features of every probe layer, k-fold metrics), in a fresh
 * process, as a user runs it. Run by bench/run.ts (`verify_end_to_end`) or alone:
 *   npx tsx bench/verify-time.ts [pairs-file]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const LFW_DIR = path.resolve(ROOT, '../shared/data/lfw');

export interface VerifyTime {
  dataset: string;
  pairs_file: string;
  seconds: number;
  /** The command's own split (align / features / metrics), when its summary.json has it. */
  summary_seconds?: unknown;
}

/** Times `facelens verify` (all layers); null when the LFW data is absent. */
export function verifyEndToEnd(opts: { pairs?: string; timeoutS?: number } = {}): VerifyTime | null {
  if (!existsSync(path.join(LFW_DIR, 'images'))) return null;
  const out = mkdtempSync(path.join(os.tmpdir(), 'facelens-verify-'));
  try {
    const args = ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'verify', LFW_DIR, '--out', out];
    if (opts.pairs) args.push('--pairs', opts.pairs);
    const t0 = performance.now();
    const res = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', timeout: (opts.timeoutS ?? 1800) * 1000 });
    const seconds = (performance.now() - t0) / 1000;
    if (res.status !== 0) throw new Error(`verify failed (${res.status ?? res.signal}): ${(res.stderr ?? '').slice(-500)}`);
    let summarySeconds: unknown;
    try {
      summarySeconds = (JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')) as { seconds?: unknown }).seconds;
    } catch {
      summarySeconds = undefined;
    }
    return { dataset: LFW_DIR, pairs_file: opts.pairs ?? path.join(LFW_DIR, 'pairs.txt'), seconds, summary_seconds: summarySeconds };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(verifyEndToEnd({ pairs: process.argv[2] })));
}
