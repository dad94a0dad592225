/**
 * The demo's results folder: what it may replace and when.
 * - It only writes into a folder that is new, empty, or holds an earlier facelens run (its
 *   marker is run.json, format RUN_FORMAT); a folder of other files is refused and nothing in
 *   it is touched.
 * - An earlier run is not deleted up front: its parts are moved into `.facelens-previous/`
 *   (a rename, instant) and removed only once the new report is written (commitDemoOut). A run
 *   killed half-way leaves the previous results there intact; the next run keeps them and clears
 *   the killed run's partial parts instead.
 */
import { readdir, readFile, rename, rm, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import { LOCK_NAME } from '../io/lock.js';
import { RUN_FORMAT } from './run-log.js';

export const PREVIOUS_DIR = '.facelens-previous';

/** Names facelens itself may leave in a results folder besides the RESULT_PARTS. */
const OWN_NAMES = new Set([LOCK_NAME, PREVIOUS_DIR]);

async function isFacelensRun(dir: string): Promise<boolean> {
  try {
    const run = JSON.parse(await readFile(path.join(dir, 'run.json'), 'utf8')) as { format?: unknown; command?: unknown } | null;
    return run !== null && typeof run === 'object' && run.format === RUN_FORMAT;
  } catch {
    return false;
  }
}

/** Refuses `dir` unless it is missing, empty, or an earlier facelens results folder. */
export async function checkDemoOut(dir: string): Promise<void> {
  const st = await stat(dir).catch(() => undefined);
  if (!st) return;
  if (!st.isDirectory()) throw new UserError(`--out ${dir} is a file, not a folder`);
  const names = (await readdir(dir)).filter((n) => !OWN_NAMES.has(n) && !n.startsWith('.facelens-write-probe-'));
  if (names.length === 0) return;
  if (await isFacelensRun(dir)) return;
  if (await isFacelensRun(path.join(dir, PREVIOUS_DIR))) return; // a killed run before its run.json
  const shown = names.slice(0, 3).join(', ') + (names.length > 3 ? `, ... (${names.length} entries)` : '');
  throw new UserError(`--out ${dir} is not empty and holds no facelens results (no run.json): ${shown}; choose a new or empty folder (nothing was changed)`);
}

/**
 * Moves the parts of an earlier run out of the way (into PREVIOUS_DIR), or, when PREVIOUS_DIR
 * already holds the last complete run, removes the partial parts of the run that was killed.
 * Returns a line for the log, or undefined when there was nothing.
 */
export async function setAsidePrevious(dir: string, parts: readonly string[]): Promise<string | undefined> {
  const prev = path.join(dir, PREVIOUS_DIR);
  const present: string[] = [];
  for (const p of parts) if (await stat(path.join(dir, p)).then(() => true, () => false)) present.push(p);
  if (await stat(prev).then(() => true, () => false)) {
    for (const p of present) await rm(path.join(dir, p), { recursive: true, force: true });
    return `kept the last complete results in ${prev} (the run after them was interrupted); they are replaced once this run's report is written`;
  }
  if (present.length === 0) return undefined;
  await mkdir(prev, { recursive: true });
  for (const p of present) await rename(path.join(dir, p), path.join(prev, p));
  return `previous results moved to ${prev} until this run's report is written`;
}

/** The new run is complete (report written): drop the previous one. */
export async function commitDemoOut(dir: string): Promise<void> {
  await rm(path.join(dir, PREVIOUS_DIR), { recursive: true, force: true });
}
