/**
 * A byte-counting progress bar (downloads, extraction): size done / total in MB, speed and ETA,
 * on stderr; a plain line every few seconds when stderr is not a terminal.
 */
import cliProgress from 'cli-progress';
import { formatBytes } from '../data/fetch/catalog.js';
import { isQuiet } from './progress.js';

export interface ByteProgress {
  update(done: number): void;
  stop(): void;
}

export function byteProgress(label: string, total: number, start = 0): ByteProgress {
  if (isQuiet()) return { update() {}, stop() {} };
  const t0 = Date.now();
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {done} / {size} | {speed} | ETA {eta_formatted}`,
      stream: process.stderr,
      noTTYOutput: true,
      notTTYSchedule: 5000,
      etaBuffer: 200,
      hideCursor: false,
    },
    cliProgress.Presets.shades_classic,
  );
  const size = total > 0 ? formatBytes(total) : '?';
  bar.start(Math.max(total, 1), start, { done: formatBytes(start), size, speed: '-' });
  return {
    update(done) {
      const s = (Date.now() - t0) / 1000;
      bar.update(done, { done: formatBytes(done), size, speed: s > 0.5 ? `${formatBytes((done - start) / s)}/s` : '-' });
    },
    stop() {
      bar.stop();
    },
  };
}
