/**
 * On-disk cache of aligned face crops, so that repeated analyses of a dataset pay for face
 * detection (the slow part: ~0.5 s per image with TF.js on WASM) only once.
 *
 * Layout: <dir>/<sha[0..2]>/<sha>.<template>.<size>.<mode>.<fp>.{png,json}
 *   sha      sha256 of the source file's bytes (renaming or moving a file keeps its entry)
 *   template AlignmentTemplate.name (sanitised), size its crop size
 *   mode     'detect' (landmark alignment) or 'centre' (--no-detect centre crop)
 *   fp       8 hex digits over everything else that changes the pixels: template points,
 *            fit weights, border mode, detector threshold, cache format version
 * The JSON holds the landmarks (crop and source coordinates) and the detection score; an entry
 * with `found: false` and no PNG records "no face detected" so faceless images are not
 * re-detected either.
 *
 * Concurrent writers (two facelens runs on the same data) are safe: every file is written to a
 * unique temporary name and renamed into place (atomic on POSIX within one file system); the PNG
 * is renamed before the JSON, and readers treat the JSON as the commit marker. Two writers of the
 * same key write identical content, so whichever rename lands last is fine.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import type { AlignmentTemplate } from '../models/face-model.js';
import type { Mat2x3 } from './align.js';
import type { Box, Point } from './detector.js';
import type { RgbImage } from './image.js';
import { decodeImageBuffer, encodePng } from './image-io.js';

/** Bump when the stored format or the alignment maths change: old entries then simply miss. */
export const CACHE_VERSION = 1;

export type AlignMode = 'detect' | 'centre';

export interface CacheEntryMeta {
  version: number;
  source: { sha256: string; width: number; height: number };
  template: { name: string; size: number };
  mode: AlignMode;
  /** false: the detector found no face (negative entry, no PNG). Always true for 'centre'. */
  found: boolean;
  score?: number;
  /** Detection box in source coordinates. */
  box?: Box;
  /** 68 landmarks in crop coordinates. */
  landmarks?: Point[];
  /** The same 68 landmarks in source-image coordinates. */
  sourceLandmarks?: Point[];
  /** Source -> crop transform. */
  matrix?: Mat2x3;
}

export interface CacheEntry {
  meta: CacheEntryMeta;
  /** Present when meta.found. */
  face?: RgbImage;
}

/** `$FACELENS_CACHE`, else ~/.cache/facelens/aligned. */
export function defaultCacheDir(): string {
  return process.env.FACELENS_CACHE ?? join(homedir(), '.cache', 'facelens', 'aligned');
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Everything besides file bytes and template that decides a crop's pixels. */
export interface CacheKeyParts {
  mode: AlignMode;
  /** Fit weights, border mode, detector threshold...; anything JSON-serialisable. */
  settings?: unknown;
}

/** The cache key (also the file stem) for one source file + template + settings. */
export function cacheKey(sourceSha256: string, template: AlignmentTemplate, parts: CacheKeyParts): string {
  if (!/^[0-9a-f]{64}$/.test(sourceSha256)) throw new Error(`cacheKey: not a sha256 hex digest: ${sourceSha256}`);
  const fp = sha256Hex(
    JSON.stringify({ v: CACHE_VERSION, points: template.points, landmarks: template.landmarks ?? null, mode: parts.mode, settings: parts.settings ?? null }),
  ).slice(0, 8);
  const name = template.name.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 64) || 'template';
  return `${sourceSha256}.${name}.${template.size}.${parts.mode}.${fp}`;
}

export class AlignedFaceCache {
  /** Set when the folder cannot be written: entries are still read, never written. */
  readOnly = false;
  constructor(readonly dir: string = defaultCacheDir()) {}

  paths(key: string): { png: string; json: string } {
    const base = join(this.dir, key.slice(0, 2), key);
    return { png: `${base}.png`, json: `${base}.json` };
  }

  /** The entry, or undefined on a miss (including unreadable or inconsistent entries). */
  async get(key: string, template: AlignmentTemplate): Promise<CacheEntry | undefined> {
    const p = this.paths(key);
    let meta: CacheEntryMeta;
    try {
      meta = JSON.parse(await readFile(p.json, 'utf8')) as CacheEntryMeta;
    } catch {
      return undefined;
    }
    if (meta.version !== CACHE_VERSION || meta.template?.size !== template.size) return undefined;
    if (!meta.found) return { meta };
    try {
      const face = await decodeImageBuffer(await readFile(p.png), p.png);
      if (face.width !== template.size || face.height !== template.size) return undefined;
      return { meta, face };
    } catch {
      return undefined;
    }
  }

  async put(key: string, meta: CacheEntryMeta, face?: RgbImage): Promise<void> {
    if (this.readOnly) return;
    const p = this.paths(key);
    await mkdir(join(this.dir, key.slice(0, 2)), { recursive: true });
    if (meta.found) {
      if (!face) throw new Error('AlignedFaceCache.put: found entry without a face');
      await writeFileAtomic(p.png, await encodePng(face), { sync: false });
    }
    await writeFileAtomic(p.json, JSON.stringify(meta), { sync: false });
  }
}

/**
 * What the detector found in one source file, independent of any template: aligning the same
 * photo for another model or template then costs a decode and a warp, not a detection.
 * Stored as `<dir>/detections/<sha[0..2]>/<sha>.<fp>.json`, fp over the detector settings.
 */
export interface DetectionRecord {
  version: number;
  found: boolean;
  width: number;
  height: number;
  score?: number;
  box?: Box;
  /** 68 landmarks in source-image coordinates. */
  landmarks?: Point[];
}

export class DetectionCache {
  constructor(readonly dir: string = defaultCacheDir()) {}

  path(sha: string, settings: unknown): string {
    const fp = sha256Hex(JSON.stringify({ v: CACHE_VERSION, settings })).slice(0, 8);
    return join(this.dir, 'detections', sha.slice(0, 2), `${sha}.${fp}.json`);
  }

  async get(sha: string, settings: unknown): Promise<DetectionRecord | undefined> {
    try {
      const r = JSON.parse(await readFile(this.path(sha, settings), 'utf8')) as DetectionRecord;
      return r.version === CACHE_VERSION && (!r.found || r.landmarks?.length === 68) ? r : undefined;
    } catch {
      return undefined;
    }
  }

  async put(sha: string, settings: unknown, record: DetectionRecord): Promise<void> {
    const file = this.path(sha, settings);
    await mkdir(join(file, '..'), { recursive: true });
    await writeFileAtomic(file, JSON.stringify(record), { sync: false });
  }
}

const checked = new Map<string, Promise<{ ok: true } | { ok: false; why: string }>>();

/**
 * Once per process and cache folder: can it be created and written (answer within seconds, so a
 * hung mount or a pseudo file system is no hang), and the temporaries of killed runs (dead pids)
 * are removed. A cache that cannot be written is used read-only, with one warning.
 */
export async function checkCacheDir(cache: AlignedFaceCache): Promise<void> {
  let p = checked.get(cache.dir);
  if (!p) {
    p = (async () => {
      const { canWriteIn, errnoText, isSpecialPath, mkdirp, realpathLoose, withTimeout } = await import('../io/safe-output.js');
      const real = await realpathLoose(cache.dir);
      if (isSpecialPath(real)) return { ok: false as const, why: `${real} is on a system pseudo file system` };
      try {
        await withTimeout(mkdirp(cache.dir), 5000, 'no answer within 5 s');
      } catch (e) {
        return { ok: false as const, why: errnoText(e) };
      }
      const w = await canWriteIn(cache.dir);
      if (w.ok) {
        const { removeStaleTemps } = await import('../io/stale-tmp.js');
        await withTimeout(removeStaleTemps(cache.dir, { depth: 3 }), 10_000, 'slow').catch(() => undefined);
      }
      return w;
    })();
    checked.set(cache.dir, p);
    const r = await p;
    if (!r.ok) process.stderr.write(`facelens: warning: the face cache ${cache.dir} cannot be written (${r.why}); going on without writing it (use --cache-dir or --no-cache)\n`);
  }
  const r = await p;
  if (!r.ok) cache.readOnly = true;
}
