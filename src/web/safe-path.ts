/**
 * Maps the raw path of a request to a file inside the results directory, or refuses it.
 * Checked on the raw (still percent-encoded) path and again after decoding: no `..` or `.`
 * segment, no encoded dot or separator (%2e, %2f, %5c), no backslash, no NUL, no empty or hidden
 * (dot-) segment; the resolved path must lie under the root, and so must its real path (a
 * symlink pointing outside is refused). Directories are not served (no listings).
 */
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';

export type Resolved = { ok: true; file: string; size: number } | { ok: false; status: 403 | 404; reason: string };

const refuse = (reason: string): Resolved => ({ ok: false, status: 403, reason });
const missing = (reason: string): Resolved => ({ ok: false, status: 404, reason });

function within(root: string, p: string): boolean {
  return p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/** Checks the '/'-separated, percent-encoded relative path; returns its decoded segments. */
export function checkSegments(rawRel: string): string[] | string {
  if (/%(2e|2f|5c|00)/i.test(rawRel)) return 'encoded dot, separator or NUL';
  if (rawRel.includes('\\') || rawRel.includes('\0')) return 'backslash or NUL';
  const segments: string[] = [];
  for (const raw of rawRel.split('/')) {
    let s: string;
    try {
      s = decodeURIComponent(raw);
    } catch {
      return 'bad percent-encoding';
    }
    if (s === '' || s.startsWith('.')) return 'empty, dot or hidden segment';
    if (s.includes('/') || s.includes('\\') || s.includes('\0') || s.includes(':')) return 'separator, NUL or colon in a segment';
    segments.push(s);
  }
  return segments;
}

/** `rawRel`: the request path after the route prefix, without the query. `root`: a real path. */
export async function resolveInside(root: string, rawRel: string): Promise<Resolved> {
  const segments = checkSegments(rawRel);
  if (typeof segments === 'string') return refuse(segments);
  const file = path.resolve(root, ...segments);
  if (!within(root, file)) return refuse('outside the results directory');
  let real: string;
  try {
    real = await realpath(file);
  } catch {
    return missing('no such file');
  }
  if (!within(root, real)) return refuse('links outside the results directory');
  const st = await stat(real);
  if (!st.isFile()) return missing('not a file');
  return { ok: true, file: real, size: st.size };
}
