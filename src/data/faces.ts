/**
 * The face stream the rest of facelens consumes: dataset items in, aligned `size` x `size` crops
 * out. Items that cannot be used (undecodable file, no face found) are reported through `onSkip`
 * and left out; the run goes on.
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import type { AlignmentTemplate } from '../models/face-model.js';
import { alignFace, centreCrop, type AlignOptions } from './align.js';
import { AlignedFaceCache, CACHE_VERSION, checkCacheDir, DetectionCache, cacheKey, sha256Hex, type AlignMode, type CacheEntryMeta } from './cache.js';
import type { DatasetItem, SkippedItem } from './dataset.js';
import { DETECTOR_ID, detectFaces, pickMainFace, type DetectOptions, type Detection, type Point } from './detector.js';
import type { RgbImage } from './image.js';
import { decodeImageBuffer, ImageDecodeError } from './image-io.js';

export interface AlignedFace {
  item: DatasetItem;
  /** template.size x template.size crop. */
  face: RgbImage;
  /** 68 landmarks in crop coordinates (absent with detect: false). */
  landmarks?: Point[];
  /** Detection score (absent with detect: false). */
  score?: number;
  /** True when the crop came from the on-disk cache. */
  cached: boolean;
}

export interface AlignedFacesOptions {
  /** Detect + align (default). false: centre crop, for inputs that are already face crops. */
  detect?: boolean;
  /** Use the on-disk cache (default true). */
  cache?: boolean;
  /** Cache folder (default `defaultCacheDir()`). */
  cacheDir?: string;
  /** Called for every item left out, with reason `decode error: ...` or `no face detected`. */
  onSkip?: (skipped: SkippedItem) => void;
  /** Detector confidence threshold (default 0.5). */
  minConfidence?: number;
  /** Fit weights / border mode for the warp (defaults: uniform weights, constant black border). */
  align?: AlignOptions;
  /**
   * How many items are read, hashed, decoded and detected ahead of the one being yielded
   * (default 2 x cores, at least 3). Decoding runs on libuv threads and detection in the
   * detector's worker pool (one image per core at a time), so a window wider than the pool keeps
   * every worker busy while the main thread warps. Output order always equals input order.
   */
  prefetch?: number;
  /**
   * The detector (default `detectFaces`). Only for comparisons (bench: face-api vs ONNX); the
   * cache keys assume the default, so pass `cache: false` with any other.
   */
  detector?: (img: RgbImage, opts: DetectOptions) => Promise<Detection[]>;
}

/** The cache key `alignedFaces` uses for a source file (by its sha256) under these options. */
export function faceCacheKey(sourceSha256: string, template: AlignmentTemplate, opts: AlignedFacesOptions = {}): string {
  if (opts.detect === false) return cacheKey(sourceSha256, template, { mode: 'centre' });
  const a = opts.align ?? {};
  const settings = {
    detector: DETECTOR_ID,
    minConfidence: opts.minConfidence ?? 0.5,
    weights: a.weights ?? null,
    border: a.border ?? 'constant',
    fill: a.fill ?? null,
  };
  return cacheKey(sourceSha256, template, { mode: 'detect', settings });
}

type Outcome = { ok: AlignedFace } | { skip: SkippedItem } | { error: unknown };

let cacheWarned = false;

/** Aligns one item; never rejects (fatal errors come back as `{ error }`). */
async function processItem(
  item: DatasetItem,
  template: AlignmentTemplate,
  opts: AlignedFacesOptions,
  cache: AlignedFaceCache | undefined,
): Promise<Outcome> {
  try {
    const skip = (reason: string): Outcome => ({ skip: { id: item.id, path: item.path, reason } });
    let bytes: Buffer;
    try {
      bytes = await readFile(item.path);
    } catch (e) {
      return skip(`decode error: ${e instanceof Error ? e.message : String(e)}`);
    }
    const mode: AlignMode = opts.detect === false ? 'centre' : 'detect';
    const sha = cache ? sha256Hex(bytes) : '';
    const key = cache ? faceCacheKey(sha, template, opts) : '';
    if (cache) {
      const hit = await cache.get(key, template);
      if (hit) {
        if (!hit.meta.found || !hit.face) return skip('no face detected');
        return { ok: { item, face: hit.face, landmarks: hit.meta.landmarks, score: hit.meta.score, cached: true } };
      }
    }
    let img: RgbImage;
    try {
      img = await decodeImageBuffer(bytes, item.path);
    } catch (e) {
      if (e instanceof ImageDecodeError) return skip(`decode error: ${e.reason}`);
      throw e;
    }
    const meta: CacheEntryMeta = {
      version: CACHE_VERSION,
      source: { sha256: sha, width: img.width, height: img.height },
      template: { name: template.name, size: template.size },
      mode,
      found: true,
    };
    let out: AlignedFace;
    if (mode === 'centre') {
      out = { item, face: await centreCrop(img, template.size), cached: false };
    } else {
      const detSettings = { detector: DETECTOR_ID, minConfidence: opts.minConfidence ?? 0.5 };
      const detCache = cache ? new DetectionCache(cache.dir) : undefined;
      let det = await detCache?.get(sha, detSettings);
      if (!det) {
        const found = pickMainFace(await (opts.detector ?? detectFaces)(img, { minConfidence: opts.minConfidence }), img);
        det = found
          ? { version: CACHE_VERSION, found: true, width: img.width, height: img.height, score: found.score, box: found.box, landmarks: found.landmarks }
          : { version: CACHE_VERSION, found: false, width: img.width, height: img.height };
        if (detCache) await writeCache(cache!, key, undefined, undefined, () => detCache.put(sha, detSettings, det!));
      }
      if (!det.found || !det.landmarks || det.score === undefined || !det.box) {
        meta.found = false;
        if (cache) await writeCache(cache, key, meta);
        return skip('no face detected');
      }
      const al = alignFace(img, det.landmarks, template, opts.align);
      out = { item, face: al.face, landmarks: al.landmarks, score: det.score, cached: false };
      Object.assign(meta, {
        score: det.score,
        box: det.box,
        landmarks: al.landmarks,
        sourceLandmarks: det.landmarks,
        matrix: al.matrix,
      });
    }
    if (cache) await writeCache(cache, key, meta, out.face);
    return { ok: out };
  } catch (e) {
    return { error: e };
  }
}

async function writeCache(
  cache: AlignedFaceCache,
  key: string,
  meta: CacheEntryMeta | undefined,
  face?: RgbImage,
  write: () => Promise<void> = () => cache.put(key, meta!, face),
): Promise<void> {
  try {
    await write();
  } catch (e) {
    // A read-only or full cache disk must not stop an analysis; say so once.
    if (!cacheWarned) {
      cacheWarned = true;
      const why = e instanceof Error ? e.message : String(e);
      process.emitWarning(`facelens: cannot write face cache in ${cache.dir}: ${why}`);
    }
  }
}

/**
 * Yields one aligned face per usable item, in input order. Unusable items go to `onSkip`.
 * Errors that are not about one item (e.g. the detector failing to load) are thrown.
 */
export async function* alignedFaces(
  items: Iterable<DatasetItem> | AsyncIterable<DatasetItem>,
  template: AlignmentTemplate,
  opts: AlignedFacesOptions = {},
): AsyncGenerator<AlignedFace, void, undefined> {
  if (opts.detector && opts.cache !== false) throw new Error('alignedFaces: a custom detector needs cache: false (cache keys name the default detector)');
  const cache = opts.cache === false ? undefined : new AlignedFaceCache(opts.cacheDir);
  if (cache) await checkCacheDir(cache);
  const ahead = Math.max(1, (opts.prefetch ?? Math.max(3, 2 * os.availableParallelism())) + 1);
  const pending: Promise<Outcome>[] = [];
  const it: AsyncIterator<DatasetItem> | Iterator<DatasetItem> =
    Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : (items as Iterable<DatasetItem>)[Symbol.iterator]();
  let done = false;
  const fill = async () => {
    while (!done && pending.length < ahead) {
      const r = await it.next();
      if (r.done) {
        done = true;
        break;
      }
      // processItem never rejects, so abandoning these promises (consumer breaks early) is safe.
      pending.push(processItem(r.value, template, opts, cache));
    }
  };
  await fill();
  while (pending.length > 0) {
    const outcome = await pending.shift()!;
    await fill();
    if ('ok' in outcome) yield outcome.ok;
    else if ('skip' in outcome) opts.onSkip?.(outcome.skip);
    else throw outcome.error;
  }
}

/** Collects `alignedFaces` into arrays: the faces and the skipped items. */
export async function loadAlignedBatch(
  items: Iterable<DatasetItem> | AsyncIterable<DatasetItem>,
  template: AlignmentTemplate,
  opts: AlignedFacesOptions = {},
): Promise<{ faces: AlignedFace[]; skipped: SkippedItem[] }> {
  const faces: AlignedFace[] = [];
  const skipped: SkippedItem[] = [];
  const onSkip = (s: SkippedItem) => {
    skipped.push(s);
    opts.onSkip?.(s);
  };
  for await (const f of alignedFaces(items, template, { ...opts, onSkip })) faces.push(f);
  return { faces, skipped };
}
