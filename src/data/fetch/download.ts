/**
 * One file over HTTP(S), resumable and verified: bytes go to `<dest>.part`; a cut connection is
 * resumed with an HTTP Range request (in the same call, and in a later call from what the last
 * one left); the file is renamed to `dest` only after its size and SHA-256 match. A wrong checksum
 * deletes the partial file and is a `UserError` naming the URL and both digests.
 *
 * Timeouts, so a dead network never hangs: `connectTimeoutMs` until the response headers arrive,
 * `idleTimeoutMs` between two chunks of the body. Retries only follow an attempt the server
 * answered (a cut connection); a failure to connect at all (no network, DNS, refused, timeout) is
 * reported at once, so callers can fall back within seconds.
 *
 * Built on Node's own `fetch` (undici: redirects, TLS, proxies-free); the Range/resume/verify
 * logic is the few lines below, since no maintained package does resume + checksum + timeouts
 * together without pulling a large HTTP client.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, rm, stat, truncate } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { UserError } from '../../core/errors.js';

export interface DownloadSpec {
  url: string;
  /** Final path; the partial download lives at `<dest>.part`. */
  dest: string;
  /** Expected SHA-256, lower-case hex. */
  sha256: string;
  /** Expected size in bytes, when known. */
  size?: number;
}

export interface DownloadOptions {
  /** Milliseconds until the response headers must have arrived (default 10,000). */
  connectTimeoutMs?: number;
  /** Milliseconds of silence allowed between two body chunks (default 30,000). */
  idleTimeoutMs?: number;
  /** Resume attempts after a cut connection (default 5). */
  retries?: number;
  /** Called as bytes arrive: (bytes on disk, total bytes or undefined). */
  onProgress?: (done: number, total: number | undefined) => void;
}

export interface DownloadResult {
  path: string;
  bytes: number;
  sha256: string;
  /** True when the file was already complete on disk (nothing fetched). */
  cached: boolean;
  /** Number of Range requests that continued a partial file. */
  resumed: number;
}

/** SHA-256 of a file, streamed. */
export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(file), h);
  return h.digest('hex');
}

async function sizeOf(file: string): Promise<number | undefined> {
  try {
    return (await stat(file)).size;
  } catch {
    return undefined;
  }
}

/** A network failure: the connection could not be made, was cut or timed out. */
export class NetworkError extends UserError {
  constructor(message: string, readonly afterAnswer: boolean) {
    super(message);
    this.name = 'NetworkError';
  }
}

function describe(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = (e as { cause?: unknown }).cause;
  const c = cause instanceof Error ? `: ${(cause as NodeJS.ErrnoException).code ?? cause.message}` : '';
  return `${e.message}${c}`;
}

/** start of a `Content-Range: bytes a-b/n` header, or undefined. */
function rangeStart(h: string | null): number | undefined {
  const m = h ? /^bytes\s+(\d+)-/.exec(h) : null;
  return m ? Number(m[1]) : undefined;
}

/** One HTTP attempt appending to (or restarting) `part`. Returns when the body ended. */
async function attempt(spec: DownloadSpec, part: string, have: number, opts: Required<Omit<DownloadOptions, 'onProgress'>> & DownloadOptions, state: { connected: boolean; resumed: number }): Promise<'done' | 'complete-already'> {
  const controller = new AbortController();
  let why = '';
  let timer = setTimeout(() => {
    why = `no response within ${opts.connectTimeoutMs / 1000} s`;
    controller.abort();
  }, opts.connectTimeoutMs);
  try {
    let res: Response;
    try {
      // identity: byte offsets must be those of the file itself, never of a compressed transfer
      const headers: Record<string, string> = { 'Accept-Encoding': 'identity', ...(have > 0 ? { Range: `bytes=${have}-` } : {}) };
      res = await fetch(spec.url, { headers, signal: controller.signal, redirect: 'follow' });
    } catch (e) {
      throw new NetworkError(`cannot download ${spec.url}: ${why || describe(e)}`, false);
    }
    if (res.status === 416 && have > 0) {
      await res.body?.cancel();
      return 'complete-already';
    }
    if (res.status !== 200 && res.status !== 206) {
      await res.body?.cancel();
      throw new UserError(`cannot download ${spec.url}: HTTP ${res.status} ${res.statusText}`);
    }
    const resume = res.status === 206 && have > 0;
    if (res.status === 206 && rangeStart(res.headers.get('content-range')) !== have) {
      await res.body?.cancel();
      throw new UserError(`cannot download ${spec.url}: the server answered a range request for byte ${have} with "${res.headers.get('content-range')}"`);
    }
    state.connected = true; // the server answered: a later cut is worth a retry
    if (resume) state.resumed++;
    if (!resume && have > 0) await truncate(part, 0); // the server ignored Range: start again
    let done = resume ? have : 0;
    const lengthHeader = Number(res.headers.get('content-length') ?? NaN);
    const total = spec.size ?? (Number.isFinite(lengthHeader) ? done + lengthHeader : undefined);
    if (!res.body) throw new NetworkError(`cannot download ${spec.url}: empty response`, false);
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        why = `no data for ${opts.idleTimeoutMs / 1000} s`;
        controller.abort();
      }, opts.idleTimeoutMs);
    };
    arm();
    // Each chunk is written (awaited) before the next is read, so after a cut the .part file holds
    // exactly the bytes received and the resume offset is right.
    const fh = await open(part, resume ? 'a' : 'w');
    try {
      const reader = res.body.getReader();
      for (;;) {
        const { done: end, value } = await reader.read();
        if (end) break;
        arm();
        await fh.write(value);
        done += value.length;
        opts.onProgress?.(done, total);
      }
    } catch (e) {
      throw new NetworkError(`download of ${spec.url} interrupted after ${done} bytes: ${why || describe(e)}`, true);
    } finally {
      await fh.close();
    }
    return 'done';
  } finally {
    clearTimeout(timer);
  }
}

/** Downloads `spec.url` to `spec.dest` (see the module comment). */
export async function downloadFile(spec: DownloadSpec, options: DownloadOptions = {}): Promise<DownloadResult> {
  const opts = { connectTimeoutMs: 10_000, idleTimeoutMs: 30_000, retries: 5, ...options };
  const want = spec.sha256.toLowerCase();
  const existing = await sizeOf(spec.dest);
  if (existing !== undefined) {
    if ((spec.size === undefined || existing === spec.size) && (await sha256File(spec.dest)) === want) {
      return { path: spec.dest, bytes: existing, sha256: want, cached: true, resumed: 0 };
    }
    await rm(spec.dest, { force: true }); // a stale or foreign file: fetch again
  }
  const part = `${spec.dest}.part`;
  const state = { connected: false, resumed: 0 };
  for (let tries = 0; ; tries++) {
    let have = (await sizeOf(part)) ?? 0;
    if (spec.size !== undefined && have > spec.size) {
      await truncate(part, 0);
      have = 0;
    }
    if (spec.size !== undefined && have === spec.size) break;
    state.connected = false;
    try {
      await attempt(spec, part, have, opts, state);
      break;
    } catch (e) {
      // Retry only a connection that was cut after the server answered; anything else is final.
      if (!(e instanceof NetworkError) || !state.connected || tries >= opts.retries) throw e;
      await new Promise((r) => setTimeout(r, Math.min(2000, 200 * (tries + 1))));
    }
  }
  const bytes = (await sizeOf(part)) ?? 0;
  if (spec.size !== undefined && bytes !== spec.size) {
    await rm(part, { force: true });
    throw new UserError(`download of ${spec.url} has ${bytes} bytes, expected ${spec.size}; the partial file was deleted, run again`);
  }
  const got = await sha256File(part);
  if (got !== want) {
    await rm(part, { force: true });
    throw new UserError(`checksum mismatch for ${spec.url}: SHA-256 ${got}, expected ${want}; the download was deleted (a wrong mirror or a corrupt transfer)`);
  }
  await rename(part, spec.dest);
  return { path: spec.dest, bytes, sha256: got, cached: false, resumed: state.resumed };
}
