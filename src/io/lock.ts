/**
 * One writer per output folder: `<out>/.facelens.lock` holds the writer's pid. A second run into
 * the same folder gets a one-line error naming that pid; a lock whose pid is no longer alive
 * (a killed run) is taken over. The file is created with O_EXCL, so two runs starting at the
 * same moment cannot both win. Hand-written: proper-lockfile & co. lock by mtime polling and
 * would not name the holder.
 */
import { readFileSync, unlinkSync } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../core/errors.js';

export const LOCK_NAME = '.facelens.lock';

interface LockInfo {
  pid: number;
  command: string;
  started: string;
}

export interface OutLock {
  file: string;
  release(): Promise<void>;
}

const held = new Map<string, number>();
let exitHook = false;

function releaseAllSync(): void {
  for (const file of held.keys()) {
    try {
      const info = JSON.parse(readFileSync(file, 'utf8')) as LockInfo;
      if (info.pid === process.pid) unlinkSync(file);
    } catch {
      // already gone
    }
  }
  held.clear();
}

/** True when a process with this pid exists (EPERM: exists, owned by someone else). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readLock(file: string): Promise<LockInfo | undefined> {
  try {
    const info = JSON.parse(await readFile(file, 'utf8')) as LockInfo;
    return typeof info?.pid === 'number' ? info : undefined;
  } catch {
    return undefined;
  }
}

/** Takes the lock of folder `dir` (which must exist) for `command`. Re-entrant within a process. */
export async function acquireOutLock(dir: string, command: string): Promise<OutLock> {
  const file = path.join(path.resolve(dir), LOCK_NAME);
  const mine = held.get(file);
  if (mine !== undefined) {
    held.set(file, mine + 1);
    return { file, release: () => releaseOne(file) };
  }
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(file, 'wx');
      const info: LockInfo = { pid: process.pid, command, started: new Date().toISOString() };
      await fh.writeFile(JSON.stringify(info) + '\n');
      await fh.close();
      held.set(file, 1);
      if (!exitHook) {
        exitHook = true;
        process.on('exit', releaseAllSync);
      }
      return { file, release: () => releaseOne(file) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new UserError(`${dir}: cannot create the lock file ${LOCK_NAME} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    const info = await readLock(file);
    if (info && info.pid !== process.pid && pidAlive(info.pid)) {
      throw new UserError(`${dir} is being written by another facelens run (pid ${info.pid}, ${info.command}, since ${info.started}); wait for it to finish or choose another --out`);
    }
    if (!info) {
      // Being written this very moment by a starting run, or garbage: give a starter time.
      await new Promise((r) => setTimeout(r, 100));
      const again = await readLock(file);
      if (again && again.pid !== process.pid && pidAlive(again.pid)) {
        throw new UserError(`${dir} is being written by another facelens run (pid ${again.pid}, ${again.command}); wait for it to finish or choose another --out`);
      }
    }
    // Stale (dead pid, unreadable) or our own leftover: take it over.
    await rm(file, { force: true });
  }
  throw new UserError(`${dir}: cannot take the lock ${LOCK_NAME}; another run keeps taking it`);
}

async function releaseOne(file: string): Promise<void> {
  const n = held.get(file);
  if (n === undefined) return;
  if (n > 1) {
    held.set(file, n - 1);
    return;
  }
  held.delete(file);
  const info = await readLock(file);
  if (info?.pid === process.pid) await rm(file, { force: true });
}

/** Runs `fn` holding the lock of `dir`. */
export async function withOutLock<T>(dir: string, command: string, fn: () => Promise<T>): Promise<T> {
  const lock = await acquireOutLock(dir, command);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}
