/**
 * Writing a command's `summary.json`, with facelens' ONE policy for non-finite numbers in result
 * files: a NaN or +-Infinity in a result (an undefined metric, a 0/0 ratio) becomes `null` and its
 * JSON path is listed under `nonFiniteReplacedByNull`, so a null is never silent and a run never
 * dies at its last write. (Other JSON files go through `writeJsonAtomic`, which refuses non-finite
 * numbers: there they can only be a bug.)
 *
 * Every summary is `{ command, date, parameters, ...result }`: the parameters the run used next to
 * what it found (see the schemas in ./summaries.ts).
 */
import { writeJsonAtomic } from '../io/json.js';

/**
 * A copy of `value` fit for JSON: typed arrays become plain arrays, undefined members are dropped,
 * and every non-finite number becomes null, with its path recorded in `replaced`.
 */
export function jsonSafe(value: unknown, replaced: string[] = [], where = '$'): unknown {
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
    replaced.push(`${where} (${value})`);
    return null;
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return jsonSafe(Array.from(value as unknown as ArrayLike<number>), replaced, where);
  }
  if (Array.isArray(value)) return value.map((v, i) => jsonSafe(v, replaced, `${where}[${i}]`));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = jsonSafe(v, replaced, `${where}.${k}`);
    return out;
  }
  return value;
}

export interface WriteSummaryOptions {
  /**
   * Write `nonFiniteReplacedByNull` even when it is empty (the layer probes always do, so their
   * readers find the list); otherwise it appears only when something was replaced.
   */
  alwaysListNonFinite?: boolean;
}

/** Writes `doc` (atomically) as a summary.json under the non-finite policy above. */
export async function writeSummary<T extends object>(file: string, doc: T, options: WriteSummaryOptions = {}): Promise<void> {
  const replaced: string[] = [];
  const body = jsonSafe(doc, replaced) as Record<string, unknown>;
  await writeJsonAtomic(file, replaced.length > 0 || options.alwaysListNonFinite ? { ...body, nonFiniteReplacedByNull: replaced } : body);
}

/** The common head of every summary.json. */
export function summaryHead<C extends string, P>(command: C, parameters: P): { command: C; date: string; parameters: P } {
  return { command, date: new Date().toISOString(), parameters };
}
