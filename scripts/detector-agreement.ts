/**
 * Agreement of the ONNX detector with face-api on every image whose face-api result is already in
 * the reference store (fill it with scripts/faceapi-reference.ts). Prints a JSON summary, split by
 * dataset folder, the worst images (by landmark error and by box IoU) and every image whose face
 * count differs.
 *
 *   npx tsx scripts/detector-agreement.ts [--rows FILE] [root...]
 *
 * Roots filter the stored files by path prefix. With --rows, each image's comparison is appended
 * to FILE (JSON lines, tagged with DETECTOR_ID) as it is made, and images already there for the
 * same detector are not detected again: an interrupted run resumes, and a run started while the
 * reference store is still filling can be finished later.
 */
import { appendFile, readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { closeDetector, detectFaces, DETECTOR_ID } from '../src/data/detector.js';
import { boxIou, compareDetections, meanLandmarkError, summariseAgreement, type ImageAgreement } from '../src/data/detect/agreement.js';
import type { Box } from '../src/data/detect/types.js';
import { readReferenceStore } from '../src/data/detect/reference.js';
import { decodeImage } from '../src/data/image-io.js';

const { values, positionals } = parseArgs({ options: { rows: { type: 'string' } }, allowPositionals: true });
const roots = positionals;
const refs = [...(await readReferenceStore()).values()].filter((r) => roots.length === 0 || roots.some((p) => r.file.includes(p)));

interface Row {
  detector: string;
  sha256: string;
  file: string;
  a: ImageAgreement;
}
const done = new Map<string, Row>();
if (values.rows) {
  const text = await readFile(values.rows, 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const r = JSON.parse(line) as Row;
      if (r.detector === DETECTOR_ID) done.set(r.sha256, r);
    } catch {
      // torn last line of an interrupted run: that image is compared again
    }
  }
}

const rows: Row[] = [];
const todo = refs.filter((r) => !done.has(r.sha256));
const window = 8;
const t0 = performance.now();
for (let i = 0; i < todo.length; i += window) {
  const part = todo.slice(i, i + window);
  const ours = await Promise.all(part.map(async (r) => detectFaces(await decodeImage(r.file))));
  const fresh = part.map((r, k) => ({ detector: DETECTOR_ID, sha256: r.sha256, file: r.file, a: compareDetections(r.dets, ours[k]!) }));
  if (values.rows) await appendFile(values.rows, fresh.map((r) => JSON.stringify(r) + '\n').join(''));
  for (const r of fresh) done.set(r.sha256, r);
  if ((i / window) % 25 === 0) process.stderr.write(`${Math.min(i + window, todo.length)}/${todo.length} compared (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
}
for (const r of refs) rows.push(done.get(r.sha256)!);

/**
 * face-api crops each face for the landmark net at the floored box (x, y, width, height, after
 * clipping to the image): where a box side lies within float noise of a whole pixel, face-api
 * and the ONNX path can floor to crops one pixel apart, and the landmarks differ by a fraction
 * of a pixel. For each face out of tolerance, say whether that is the cause.
 */
function crop(b: Box, w: number, h: number): number[] {
  const x = Math.max(b.x, 0);
  const y = Math.max(b.y, 0);
  return [Math.floor(x), Math.floor(y), Math.floor(Math.min(b.x + b.width - x, w - x)), Math.floor(Math.min(b.y + b.height - y, h - y))];
}
const outliers = [];
for (const r of rows.filter((r) => r.a.pairs.some((p) => p.iou < 0.98 || p.landmarkError > 0.5))) {
  const ref = refs.find((x) => x.sha256 === r.sha256)!;
  const ours = await detectFaces(await decodeImage(r.file));
  for (const d of ref.dets) {
    const o = ours.reduce((best, e) => (boxIou(e.box, d.box) > boxIou(best.box, d.box) ? e : best), ours[0]!);
    const err = meanLandmarkError(d, o);
    if (err <= 0.5 && boxIou(o.box, d.box) >= 0.98) continue;
    const refCrop = crop(d.box, ref.width, ref.height);
    const ourCrop = crop(o.box, ref.width, ref.height);
    outliers.push({ file: r.file, iou: boxIou(o.box, d.box), landmarkError: err, refBox: d.box, ourBox: o.box, refCrop, ourCrop, cropFloorsDiffer: refCrop.some((v, i) => v !== ourCrop[i]) });
  }
}
await closeDetector();

const groups = new Map<string, ImageAgreement[]>();
for (const r of rows) {
  const key = r.file.includes('/cfp/') ? 'cfp' : r.file.includes('/lfw/') ? 'lfw' : 'other';
  groups.set(key, [...(groups.get(key) ?? []), r.a]);
}
const facePairs = rows.flatMap((r) => r.a.pairs.map((p) => ({ file: r.file, ...p })));
const worstLandmarks = [...facePairs].sort((a, b) => b.landmarkError - a.landmarkError).slice(0, 5);
const worstIou = [...facePairs].sort((a, b) => a.iou - b.iou).slice(0, 5);
const mismatched = rows.filter((r) => r.a.count !== r.a.refCount).map((r) => ({ file: r.file, ours: r.a.count, faceapi: r.a.refCount }));
console.log(
  JSON.stringify(
    {
      detector: DETECTOR_ID,
      all: summariseAgreement(rows.map((r) => r.a)),
      ...Object.fromEntries([...groups].map(([k, v]) => [k, summariseAgreement(v)])),
      worstLandmarks,
      worstIou,
      mismatched,
      outliers,
    },
    null,
    2,
  ),
);
