/**
 * JSON files: atomic, stably formatted writes and reads whose errors name the file.
 *
 * Written by hand: it is JSON.stringify plus the one atomic write (./atomic.ts).
 */
import * as fs from 'node:fs/promises';
import { writeFileAtomic } from './atomic.js';
import { UserError } from '../core/errors.js';

export interface WriteJsonOptions {
  /** Sort object keys recursively (arrays keep their order). Default false: insertion order. */
  sortKeys?: boolean;
}

function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    const src = value as Record<string, unknown>;
    if (typeof (src as { toJSON?: unknown }).toJSON === 'function') return value;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(src).sort()) out[k] = sortKeysDeep(src[k]);
    return out;
  }
  return value;
}

/**
 * Serialise as JSON.stringify(value, null, 2) + '\n' (identical value -> identical bytes).
 * Non-finite numbers (NaN, +-Infinity), which JSON.stringify silently turns into null, are an
 * error naming their location, since a silently nulled metric is worse than a failed write.
 */
export function formatJson(value: unknown, options: WriteJsonOptions = {}, source = 'value'): string {
  const input = options.sortKeys ? sortKeysDeep(value) : value;
  const text = JSON.stringify(
    input,
    function (this: unknown, key: string, v: unknown) {
      if (typeof v === 'number' && !Number.isFinite(v)) {
        throw new Error(`writeJson: ${source}: non-finite number ${v} at key ${JSON.stringify(key)}`);
      }
      return v;
    },
    2,
  );
  if (text === undefined) throw new Error(`writeJson: ${source}: value is not serialisable to JSON`);
  return text + '\n';
}

/**
 * Write `value` as JSON to `file`: parent folders created, content written to a temp file in
 * the same folder, fsynced and renamed over `file`, so readers see the old or the new content,
 * never a partial one.
 */
export async function writeJsonAtomic(file: string, value: unknown, options: WriteJsonOptions = {}): Promise<void> {
  await writeFileAtomic(file, formatJson(value, options, file), { label: 'writeJson' });
}

/**
 * Read and parse a JSON file. The type parameter is not checked at run time. A file that cannot
 * be read or is not JSON is the user's input (a missing, truncated or hand-edited result file),
 * so both are UserErrors naming the file.
 */
export async function readJson<T = unknown>(file: string): Promise<T> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`cannot read ${file}${code ? ` (${code})` : `: ${(err as Error).message}`}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new UserError(`invalid JSON in ${file}: ${(err as Error).message}`);
  }
}
