/**
 * Agreement of the ONNX detector with face-api on every image whose face-api result is already in
 * the reference store (fill it with scripts/faceapi-reference.ts). Prints a JSON summary, split by
 * dataset folder, and the worst images. Usage: npx tsx scripts/detector-agreement.ts [root...]
 * (roots filter the stored files by path prefix).
 */
import { closeDetector, detectFaces } from '../src/data/detector.js';
import { compareDetections, summariseAgreement, type ImageAgreement } from '../src/data/detect/agreement.js';
import { readReferenceStore } from '../src/data/detect/reference.js';
import { decodeImage } from '../src/data/image-io.js';

const roots = process.argv.slice(2);
const refs = [...(await readReferenceStore()).values()].filter((r) => roots.length === 0 || roots.some((p) => r.file.includes(p)));
const rows: { file: string; a: ImageAgreement }[] = [];
const window = 8;
for (let i = 0; i < refs.length; i += window) {
  const part = refs.slice(i, i + window);
  const ours = await Promise.all(part.map(async (r) => detectFaces(await decodeImage(r.file))));
  part.forEach((r, k) => rows.push({ file: r.file, a: compareDetections(r.dets, ours[k]!) }));
}
await closeDetector();
const groups = new Map<string, ImageAgreement[]>();
for (const r of rows) {
  const key = r.file.includes('/cfp/') ? 'cfp' : r.file.includes('/lfw/') ? 'lfw' : 'other';
  groups.set(key, [...(groups.get(key) ?? []), r.a]);
}
const worst = rows
  .flatMap((r) => r.a.pairs.map((p) => ({ file: r.file, ...p })))
  .sort((a, b) => b.landmarkError - a.landmarkError)
  .slice(0, 5);
const mismatched = rows.filter((r) => r.a.count !== r.a.refCount).map((r) => ({ file: r.file, ours: r.a.count, faceapi: r.a.refCount }));
console.log(
  JSON.stringify(
    { all: summariseAgreement(rows.map((r) => r.a)), ...Object.fromEntries([...groups].map(([k, v]) => [k, summariseAgreement(v)])), worst, mismatched },
    null,
    2,
  ),
);
