import { readdirSync } from 'node:fs';
import { decodeImage } from '../src/data/image-io.js';
import { detectFaces, pickMainFace } from '../src/data/detector.js';
import { similarityTransform, fivePoints, applyTransform } from '../src/data/align.js';
import { DLIB_150_TEMPLATE as T } from '../src/models/templates.js';
const root = '/work/shared/data/lfw/images';
const names = readdirSync(root).sort();
const files: string[] = [];
// different images from the test selection: offset by 7
for (let i = 7; i < names.length && files.length < 80; i += Math.floor(names.length / 80)) {
  const fs2 = readdirSync(`${root}/${names[i]}`).sort();
  files.push(`${root}/${names[i]}/${fs2[fs2.length - 1]}`);
}
const pts: [number, number][][] = [];
for (const f of files) {
  const img = await decodeImage(f);
  const d = pickMainFace(await detectFaces(img), img);
  if (d) pts.push(fivePoints(d.landmarks));
}
console.log('n', pts.length);
function stats(w?: number[]) {
  const ss = [0, 0, 0, 0, 0];
  const eyeMeans: number[] = [];
  for (const p of pts) {
    const M = similarityTransform(p, T.points, w);
    const r = p.map((q, i) => { const m = applyTransform(M, q); return Math.hypot(m[0] - T.points[i][0], m[1] - T.points[i][1]); });
    r.forEach((v, i) => (ss[i] += v * v));
    eyeMeans.push((r[0] + r[1]) / 2);
  }
  const rms = ss.map((s) => Math.sqrt(s / pts.length));
  eyeMeans.sort((a, b) => a - b);
  console.log('w', w?.map((x) => x.toFixed(2)).join(',') ?? 'uniform', 'rms', rms.map((x) => x.toFixed(2)).join(' '), 'eyeMean max', eyeMeans.at(-1)!.toFixed(2), 'p90', eyeMeans[Math.floor(eyeMeans.length * 0.9)].toFixed(2), 'mean', (eyeMeans.reduce((a, b) => a + b) / eyeMeans.length).toFixed(2));
  return rms;
}
let rms = stats();
for (let it = 0; it < 5; it++) {
  // inverse-variance weights (2-D isotropic): w_i = 1 / rms_i^2, normalised to mean 1
  let w = rms.map((r) => 1 / (r * r));
  const m = w.reduce((a, b) => a + b) / 5;
  w = w.map((x) => x / m);
  rms = stats(w);
}
{
  const bias = T.points.map(() => [0, 0]);
  const mapped: [number, number][][] = [];
  for (const p of pts) {
    const M = similarityTransform(p, T.points);
    p.forEach((q, i) => { const m = applyTransform(M, q); bias[i][0] += (m[0] - T.points[i][0]) / pts.length; bias[i][1] += (m[1] - T.points[i][1]) / pts.length; });
    mapped.push(p.map((q) => applyTransform(M, q)));
  }
  console.log('mean signed residual per point (x,y):', bias.map(([x, y]) => `(${x.toFixed(2)},${y.toFixed(2)})`).join(' '));
  // mean face shape via generalized Procrustes onto template frame
  let mean = T.points.map((q) => [...q] as [number, number]);
  for (let it = 0; it < 10; it++) {
    const acc = mean.map(() => [0, 0]);
    for (const p of pts) { const M = similarityTransform(p, mean); p.forEach((q, i) => { const m = applyTransform(M, q); acc[i][0] += m[0] / pts.length; acc[i][1] += m[1] / pts.length; }); }
    const M2 = similarityTransform(acc as any, T.points); mean = acc.map((q) => applyTransform(M2, q as any));
  }
  console.log('GPA mean shape in template frame:', mean.map(([x, y]) => `(${x.toFixed(1)},${y.toFixed(1)})`).join(' '));
  const ex: number[] = [];
  for (const p of pts) { const M = similarityTransform(p, T.points); const m = [0,1].map(i => applyTransform(M, p[i])); ex.push(((m[0][0]-T.points[0][0]) + (m[1][0]-T.points[1][0]))/2); }
}
