/**
 * face-api's own detections (TF.js, the reference implementation) for a list of image files,
 * kept in an append-only JSON-lines store under the facelens cache directory so that the
 * agreement test and the full-dataset agreement run pay face-api's ~1.5 s per image only once.
 * Never used by analyses: facelens detects with the ONNX nets (see onnx-detector.ts).
 *
 * Store: <cache>/faceapi-reference/<fp>.jsonl, one line per image keyed by the sha256 of the
 * file's bytes; fp covers the face-api detector id and options. A torn last line (interrupted
 * run) is ignored on reading, so the store never has to be repaired by hand.
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultCacheDir, sha256Hex } from '../cache.js';
import { decodeImageBuffer } from '../image-io.js';
import { detectFacesFaceApi, FACEAPI_DETECTOR_ID, type Detection } from '../detector.js';

export interface ReferenceRecord {
  sha256: string;
  file: string;
  width: number;
  height: number;
  dets: Detection[];
}

export function referenceStorePath(dir = defaultCacheDir()): string {
  const fp = sha256Hex(JSON.stringify({ id: FACEAPI_DETECTOR_ID, minConfidence: 0.5, maxResults: 10 })).slice(0, 8);
  return join(dir, 'faceapi-reference', `${fp}.jsonl`);
}

export async function readReferenceStore(path = referenceStorePath()): Promise<Map<string, ReferenceRecord>> {
  const out = new Map<string, ReferenceRecord>();
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const r = JSON.parse(line) as ReferenceRecord;
      if (typeof r.sha256 === 'string' && Array.isArray(r.dets)) out.set(r.sha256, r);
    } catch {
      // torn line from an interrupted run: recomputed on demand
    }
  }
  return out;
}

/**
 * face-api detections for `files` (same order), computing and appending the ones the store
 * lacks. `onProgress` is called after each file.
 */
export async function faceApiReference(
  files: readonly string[],
  opts: { store?: string; onProgress?: (done: number, computed: number) => void } = {},
): Promise<ReferenceRecord[]> {
  const store = opts.store ?? referenceStorePath();
  const known = await readReferenceStore(store);
  await mkdir(join(store, '..'), { recursive: true });
  const out: ReferenceRecord[] = [];
  let computed = 0;
  for (const file of files) {
    const bytes = await readFile(file);
    const sha = sha256Hex(bytes);
    let r = known.get(sha);
    if (!r) {
      const img = await decodeImageBuffer(bytes, file);
      const dets = await detectFacesFaceApi(img);
      r = { sha256: sha, file, width: img.width, height: img.height, dets };
      await appendFile(store, `${JSON.stringify(r)}\n`);
      known.set(sha, r);
      computed++;
    }
    out.push(r);
    opts.onProgress?.(out.length, computed);
  }
  return out;
}

/** Every image file under `dir` (recursive), sorted: the order agreement samples are drawn in. */
export async function listImages(dir: string): Promise<string[]> {
  const { readdir } = await import('node:fs/promises');
  const { isImageFile } = await import('../image-io.js');
  const names = await readdir(dir, { recursive: true });
  return names
    .map((f) => join(dir, String(f)))
    .filter(isImageFile)
    .sort();
}

/** The agreement test's sample: every 24th LFW image and every 20th CFP image (66 + 35 on ../shared/data). */
export function agreementSample(lfw: readonly string[], cfp: readonly string[]): string[] {
  return [...lfw.filter((_, i) => i % 24 === 0), ...cfp.filter((_, i) => i % 20 === 0)];
}
