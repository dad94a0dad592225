/**
 * Progress reporting for long commands: a cli-progress bar with ETA on a TTY, and a plain line
 * every few seconds otherwise (CI logs). Writes to stderr so stdout stays clean for results.
 */
import cliProgress from 'cli-progress';
import type { OnProgress } from '../core/progress.js';

export interface Progress {
  tick(n?: number, note?: string): void;
  stop(): void;
}

let quiet = false;
export function setQuiet(q: boolean): void {
  quiet = q;
}
export function isQuiet(): boolean {
  return quiet;
}

export function progress(label: string, total: number): Progress {
  if (quiet || total <= 0) return { tick() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {value}/{total} {percentage}% | ETA {eta_formatted} | {note}`,
      stream: process.stderr,
      noTTYOutput: true,
      notTTYSchedule: 5000,
      etaBuffer: 50,
      hideCursor: false,
    },
    cliProgress.Presets.shades_classic,
  );
  const started = Date.now();
  let shown = false;
  let value = 0;
  // Short jobs stay silent: the bar appears only after the first second.
  const ensure = () => {
    if (!shown && Date.now() - started > 1000) {
      bar.start(total, value, { note: '' });
      shown = true;
    }
  };
  return {
    tick(n = 1, note = '') {
      value += n;
      ensure();
      if (shown) bar.update(value, { note });
    },
    stop() {
      if (shown) {
        bar.update(value);
        bar.stop();
      }
    },
  };
}

/** One bar per stage, fed with the analyses' cumulative progress events; shared by every command. */
export function progressBars(): { onProgress: OnProgress; stop: () => void } {
  const bars: Partial<Record<string, { bar: Progress; last: number }>> = {};
  return {
    onProgress({ stage, done, total, note }) {
      const b = (bars[stage] ??= { bar: progress(stage, total), last: 0 });
      b.bar.tick(done - b.last, note);
      b.last = done;
    },
    stop() {
      for (const b of Object.values(bars)) b?.bar.stop();
    },
  };
}
