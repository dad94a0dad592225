/**
 * The one rule for outputs: a command's `--out` is a real, writable folder on an ordinary file
 * system, is not (and does not lie inside) any of the command's inputs, and every file written
 * for an input gets a unique name inside it (see uniqueOutputNames).
 *
 * Every check answers within seconds: the write probe races a timer, so a path on a file system
 * that blocks (a dead network mount, a FIFO, /proc) becomes an error instead of a hang.
 */
import { constants } from 'node:fs';
import { access, mkdir, open, realpath, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../core/errors.js';

/** Pseudo file systems where results must never go. */
const SPECIAL_ROOTS = ['/proc', '/sys', '/dev'];
const ALLOWED_UNDER_SPECIAL = ['/dev/shm'];

const ERRNO_TEXT: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EEXIST: 'a part of the path is a file, not a folder',
  ENAMETOOLONG: 'name too long',
  ELOOP: 'too many symbolic links',
  EIO: 'input/output error',
  ENOENT: 'no such folder',
};

export function errnoText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  return code && ERRNO_TEXT[code] ? `${ERRNO_TEXT[code]} (${code})` : e instanceof Error ? e.message.split('\n')[0]! : String(e);
}

/**
 * `mkdir -p` without Node's recursive mode: Node's recursive mkdir loops forever on file systems
 * that answer ENOENT for a folder that cannot be created under an existing parent (/proc does),
 * which is the hang the hardening run found. Here each missing level is created once, top down.
 */
export async function mkdirp(dir: string): Promise<void> {
  const abs = path.resolve(dir);
  const missing: string[] = [];
  let cur = abs;
  for (;;) {
    const st = await stat(cur).catch(() => undefined);
    if (st) {
      if (!st.isDirectory()) throw Object.assign(new Error(`${cur} is not a folder`), { code: 'ENOTDIR', path: cur });
      break;
    }
    missing.push(cur);
    const parent = path.dirname(cur);
    if (parent === cur) break;
    cur = parent;
  }
  for (const d of missing.reverse()) {
    await mkdir(d).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    });
  }
}

/** Rejects with `what` after `ms` unless `p` settles first. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new UserError(what)), ms);
    timer.unref();
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/**
 * The real path of `p`, also when `p` (or a tail of it) does not exist yet: the real path of its
 * nearest existing ancestor joined with the missing tail.
 */
export async function realpathLoose(p: string): Promise<string> {
  let cur = path.resolve(p);
  const tail: string[] = [];
  for (;;) {
    try {
      const real = await realpath(cur);
      return path.join(real, ...tail.reverse());
    } catch {
      const parent = path.dirname(cur);
      if (parent === cur) return path.resolve(p);
      tail.push(path.basename(cur));
      cur = parent;
    }
  }
}

/** True when `inner` is `outer` or lies below it (both absolute, normalised). */
export function isInsideOrEqual(inner: string, outer: string): boolean {
  if (inner === outer) return true;
  const o = outer.endsWith(path.sep) ? outer : outer + path.sep;
  return inner.startsWith(o);
}

export function isSpecialPath(real: string): boolean {
  if (ALLOWED_UNDER_SPECIAL.some((a) => isInsideOrEqual(real, a))) return false;
  return SPECIAL_ROOTS.some((r) => isInsideOrEqual(real, r));
}

/**
 * Refuses `out` when it equals or lies inside one of `inputs` (folders or files, as given on the
 * command line), compared by real path so `./a/../a` or a symlink do not slip through.
 */
export async function assertOutsideInputs(out: string, inputs: readonly string[], flag = '--out'): Promise<void> {
  const realOut = await realpathLoose(out);
  for (const input of inputs) {
    if (!input) continue;
    const realIn = await realpathLoose(input);
    if (isInsideOrEqual(realOut, realIn)) {
      throw new UserError(`${flag} ${out} ${realOut === realIn ? 'is' : 'lies inside'} the input ${input}; results would mix with (or replace) it: choose another ${flag}`);
    }
  }
}

/** True when a file can be created (and removed) in `dir` within `ms`. Never throws. */
export async function canWriteIn(dir: string, ms = 5000): Promise<{ ok: true } | { ok: false; why: string }> {
  const probe = path.join(dir, `.facelens-write-probe-${process.pid}-${Math.random().toString(36).slice(2)}`);
  try {
    await withTimeout(
      (async () => {
        const fh = await open(probe, 'wx');
        await fh.close();
        await rm(probe, { force: true });
      })(),
      ms,
      `no answer within ${ms / 1000} s`,
    );
    return { ok: true };
  } catch (e) {
    await rm(probe, { force: true }).catch(() => undefined);
    return { ok: false, why: errnoText(e) };
  }
}

export interface PrepareOutOptions {
  /** The command's inputs (datasets, files, sweeps) that `out` must stay out of. */
  inputs?: readonly string[];
  /** How the option is spelt in messages (default --out). */
  flag?: string;
  /** Create the folder (default true). */
  create?: boolean;
  /** Seconds the write probe may take (default 5). */
  timeoutSeconds?: number;
}

/**
 * Checks and creates an output folder; returns its absolute path. One-line UserErrors for: a
 * pseudo file system (/proc, /sys, /dev), an existing file of that name, a folder that cannot
 * be created or written (permissions, read-only, full), an input it would overwrite.
 */
export async function prepareOut(out: string, opts: PrepareOutOptions = {}): Promise<string> {
  const flag = opts.flag ?? '--out';
  if (typeof out !== 'string' || out.trim() === '') throw new UserError(`${flag} must name a folder, got an empty value`);
  if (out.includes('\0')) throw new UserError(`${flag} contains a NUL character`);
  const abs = path.resolve(out);
  const real = await realpathLoose(abs);
  if (isSpecialPath(real)) throw new UserError(`${flag} ${out} lies on a system pseudo file system (${real}); choose a normal folder`);
  await assertOutsideInputs(abs, opts.inputs ?? [], flag);
  const st = await stat(abs).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? undefined : e));
  if (st instanceof Error) throw new UserError(`${flag} ${out}: ${errnoText(st)}`);
  if (st && !st.isDirectory()) throw new UserError(`${flag} ${out} is a file, not a folder`);
  if (opts.create === false) return abs;
  const ms = (opts.timeoutSeconds ?? 5) * 1000;
  try {
    await withTimeout(mkdirp(abs), ms, `no answer within ${ms / 1000} s`);
  } catch (e) {
    throw new UserError(`${flag} ${out}: cannot create the folder: ${errnoText(e)}`);
  }
  const w = await canWriteIn(abs, ms);
  if (!w.ok) throw new UserError(`${flag} ${out}: cannot write there: ${w.why}`);
  return abs;
}

/** The input files (existing, readable) as a set of real paths, for "never replace an input". */
export async function realPathSet(files: Iterable<string>): Promise<Set<string>> {
  const out = new Set<string>();
  for (const f of files) {
    try {
      await access(f, constants.F_OK);
      out.add(await realpath(f));
    } catch {
      out.add(path.resolve(f));
    }
  }
  return out;
}

/**
 * A relative path that stays inside a folder, made from an item id that may be absolute or
 * contain `..` (CSV lists): separators normalised, empty / `.` / `..` segments and a drive
 * prefix dropped, control characters replaced.
 */
export function containedRelative(id: string): string {
  const segs = id
    .replace(/^[A-Za-z]:/, '')
    .split(/[\\/]+/)
    .map((s) => s.replace(/[\x00-\x1f\x7f]/g, '_').trim())
    .filter((s) => s !== '' && s !== '.' && s !== '..');
  return segs.join('/') || 'item';
}

/**
 * Unique output names (relative, '/'-separated, ending in `ext`) for a list of item ids: the id
 * made safe (containedRelative) with its extension replaced by `ext`; ids that would collide
 * (x.jpg and x.png -> x.png) keep their own extension in the name (x.jpg.png, x.png.png), and
 * any remaining clash gets -2, -3, ... Names are compared case-insensitively (macOS, Windows
 * file systems). `taken` holds names that must not be produced (e.g. inputs inside out).
 */
export function uniqueOutputNames(ids: readonly string[], ext: string, taken: (rel: string) => boolean = () => false): string[] {
  const stem = (rel: string) => rel.replace(/\.[^./]+$/, '');
  const plain = ids.map((id) => stem(containedRelative(id)) + ext);
  const count = new Map<string, number>();
  for (const p of plain) count.set(p.toLowerCase(), (count.get(p.toLowerCase()) ?? 0) + 1);
  const used = new Set<string>();
  return ids.map((id, i) => {
    const name = count.get(plain[i]!.toLowerCase())! > 1 ? containedRelative(id) + ext : plain[i]!;
    let candidate = name;
    for (let k = 2; used.has(candidate.toLowerCase()) || taken(candidate); k++) candidate = `${stem(name)}-${k}${ext}`;
    used.add(candidate.toLowerCase());
    return candidate;
  });
}

/**
 * `out`/`rel` after checking that it resolves inside `out` (real paths: a symlinked sub-folder
 * pointing elsewhere is refused). Creates the parent folders.
 */
export async function outputPathInside(out: string, rel: string): Promise<string> {
  await mkdir(out, { recursive: true });
  const root = await realpath(out);
  const target = path.resolve(root, rel);
  if (!isInsideOrEqual(target, root) || target === root) throw new UserError(`output name ${rel} would leave ${out}`);
  await mkdir(path.dirname(target), { recursive: true });
  const realParent = await realpath(path.dirname(target));
  if (!isInsideOrEqual(realParent, root)) throw new UserError(`output ${rel}: ${path.dirname(rel)} links outside ${out}`);
  return path.join(realParent, path.basename(target));
}
