/**
 * How the dlib-resnet alignment template was chosen (not part of the product): LFW verification
 * accuracy of the embedding for templates of different size and height, all with the
 * Procrustes-mean 5-point shape of face-api's landmarks on LFW. Uses the landmarks stored in
 * the aligned-face cache (run `facelens verify ../shared/data/lfw` once first).
 * Usage: npx tsx scripts/tune-template.ts d:ey [d:ey ...]   (d = eye distance, ey = eye height, px of 150)
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { openDataset } from '../src/data/datasets/index.ts';
import { decodeImage } from '../src/data/image-io.ts';
import { alignFace, fivePoints, similarityTransform, applyTransform, warpAffine } from '../src/data/align.ts';
import { defaultCacheDir, sha256Hex } from '../src/data/cache.ts';
import type { RgbImage } from '../src/data/image.ts';
import type { Point } from '../src/data/detector.ts';
import { loadDlibResnet } from '../src/models/builtin/dlib-resnet.ts';
import { layerFeatures } from '../src/analyses/features.ts';
import { pairCosine } from '../src/analyses/metrics/cosine.ts';
import { kFoldVerification } from '../src/analyses/metrics/verification.ts';
import type { AlignmentTemplate } from '../src/models/face-model.ts';

const cacheDir = defaultCacheDir();
const lm = new Map<string, Point[]>();
for (const d of await readdir(cacheDir)) {
  for (const f of await readdir(path.join(cacheDir, d))) {
    if (!f.endsWith('.json')) continue;
    const m = JSON.parse(await readFile(path.join(cacheDir, d, f), 'utf8'));
    if (m.found && m.sourceLandmarks && m.mode === 'detect') lm.set(m.source.sha256, m.sourceLandmarks);
  }
}
const ds = await openDataset(path.resolve('../shared/data/lfw'));
const imgs: { id: string; img: RgbImage; pts: Point[] }[] = [];
for (const it of ds.items) {
  const l = lm.get(sha256Hex(await readFile(it.path)));
  if (l) imgs.push({ id: it.id, img: await decodeImage(it.path), pts: l });
}
console.log(`images with cached landmarks: ${imgs.length} of ${ds.items.length}`);

/** Generalised Procrustes mean of the five points, normalised: eyes at (-0.5, 0) and (0.5, 0). */
function normalise(shape: Point[]): Point[] {
  const [a, b] = shape;
  const cx = (a[0] + b[0]) / 2;
  const cy = (a[1] + b[1]) / 2;
  const d = Math.hypot(b[0] - a[0], b[1] - a[1]);
  const t = -Math.atan2(b[1] - a[1], b[0] - a[0]);
  return shape.map(([x, y]) => {
    const X = (x - cx) / d;
    const Y = (y - cy) / d;
    return [X * Math.cos(t) - Y * Math.sin(t), X * Math.sin(t) + Y * Math.cos(t)];
  });
}
let mean: Point[] = [[-0.5, 0], [0.5, 0], [0, 0.6], [-0.4, 1.1], [0.4, 1.1]];
for (let it = 0; it < 5; it++) {
  const acc = mean.map(() => [0, 0]);
  for (const x of imgs) {
    const src = fivePoints(x.pts);
    const M = similarityTransform(src, mean);
    src.forEach((p, k) => {
      const q = applyTransform(M, p);
      acc[k][0] += q[0] / imgs.length;
      acc[k][1] += q[1] / imgs.length;
    });
  }
  mean = normalise(acc as Point[]);
}
console.log('mean shape', JSON.stringify(mean.map((p) => p.map((v) => +v.toFixed(3)))));

const model = await loadDlibResnet();
const row = new Map(imgs.map((x, i) => [x.id, i]));
const pairs = ds.pairs!.filter((p) => row.has(p.a) && row.has(p.b));
const probes = model.probes.filter((p) => p.name === 'embedding');
// dlib's own 5-point chip geometry (its mean face shape for eye corners + nose base, published
// in dlib's get_face_chip_details, with 0.25 padding on a 150 px chip): x' = (x + 0.25) * 100.
const DLIB5: Point[] = [[0.1205750620789, 0.2137274526848], [0.3340850613712, 0.2290642403242], [0.6460604764104, 0.2289674387677], [0.8595674595992, 0.2134981118154], [0.4901123135679, 0.6277975316475]].map(([x, y]) => [(x + 0.25) * 100, (y + 0.25) * 100]);
const DLIB5_IDX = [36, 39, 42, 45, 33];
for (const arg of process.argv.slice(2)) {
  const [d, ey] = arg.split(':').map(Number);
  const t: AlignmentTemplate = { name: 'tune', size: 150, points: mean.map(([x, y]) => [75 + x * d, ey + y * d]) };
  const faces = imgs.map((x) => {
    if (arg !== 'dlib5') return alignFace(x.img, x.pts, t).face;
    const M = similarityTransform(DLIB5_IDX.map((k) => x.pts[k]), DLIB5);
    return warpAffine(x.img, M, 150);
  });
  const f = (await layerFeatures(model, faces, probes)).get('embedding')!;
  const s = pairCosine(f, pairs.map((p) => row.get(p.a)!), pairs.map((p) => row.get(p.b)!));
  const r = kFoldVerification(s, pairs.map((p) => p.same), pairs.map((p) => p.fold));
  console.log(JSON.stringify({ d, ey, pairs: pairs.length, accuracy: +r.accuracy_mean.toFixed(4), points: t.points.map((p) => p.map((v) => +v.toFixed(1))) }));
}
