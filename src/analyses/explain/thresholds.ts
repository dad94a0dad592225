/**
 * Per-layer verification thresholds from a `facelens verify` summary.json: each layer's
 * `threshold` (best accuracy over all pairs); summaries without it (older versions) fall back to
 * the median of `fold_thresholds`. A summary of another model is refused.
 */
import { readFile } from 'node:fs/promises';
import { UserError } from '../../core/errors.js';

export interface LayerThreshold {
  threshold: number;
  /** Where the number comes from. */
  source: 'threshold' | 'median of fold_thresholds';
  accuracy?: number;
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function parseVerifyThresholds(text: string, file: string, model?: string): Map<string, LayerThreshold> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${file}: not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const j = json as { command?: unknown; parameters?: { model?: unknown }; layers?: unknown };
  if (j.command !== 'verify' || !Array.isArray(j.layers)) throw new UserError(`${file}: not a facelens verify summary (needs "command": "verify" and a "layers" list)`);
  if (model !== undefined && typeof j.parameters?.model === 'string' && j.parameters.model !== model) {
    throw new UserError(`${file}: verify summary of model ${j.parameters.model}, but explaining with ${model}`);
  }
  const out = new Map<string, LayerThreshold>();
  for (const l of j.layers as { layer?: unknown; threshold?: unknown; fold_thresholds?: unknown; accuracy_mean?: unknown }[]) {
    if (typeof l.layer !== 'string') continue;
    const acc = typeof l.accuracy_mean === 'number' ? { accuracy: l.accuracy_mean } : {};
    if (typeof l.threshold === 'number' && Number.isFinite(l.threshold)) {
      out.set(l.layer, { threshold: l.threshold, source: 'threshold', ...acc });
    } else if (Array.isArray(l.fold_thresholds)) {
      const f = l.fold_thresholds.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
      if (f.length > 0) out.set(l.layer, { threshold: median(f), source: 'median of fold_thresholds', ...acc });
    }
  }
  if (out.size === 0) throw new UserError(`${file}: no layer has a threshold (made by an older facelens? run verify again)`);
  return out;
}

export async function readVerifyThresholds(file: string, model?: string): Promise<Map<string, LayerThreshold>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read verify summary ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  return parseVerifyThresholds(text, file, model);
}
