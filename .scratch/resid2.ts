import { readdirSync } from 'node:fs';
import { decodeImage } from '../src/data/image-io.js';
import { detectFaces, pickMainFace } from '../src/data/detector.js';
import { similarityTransform, fivePoints, applyTransform } from '../src/data/align.js';
import { DLIB_150_TEMPLATE as T } from '../src/models/templates.js';
const root = '/work/shared/data/lfw/images';
const names = readdirSync(root).sort();
const files: string[] = [];
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
const q = (a: number[], p: number) => { const s = [...a].sort((x, y) => x - y); return s[Math.min(s.length - 1, Math.floor(s.length * p))]; };
for (const w of [[1,1,1,1,1],[1.4,1.4,0.3,0.9,0.9],[1,1,0.25,1,1],[1,1,0,1,1],[2,2,0.25,1,1],[1,1,0,0.5,0.5]]) {
  const eye: number[] = []; const mouth: number[] = []; const nose: number[] = [];
  for (const p of pts) {
    const M = similarityTransform(p, T.points, w);
    const r = p.map((qq, i) => { const m = applyTransform(M, qq); return Math.hypot(m[0] - T.points[i][0], m[1] - T.points[i][1]); });
    eye.push((r[0] + r[1]) / 2); mouth.push((r[3] + r[4]) / 2); nose.push(r[2]);
  }
  const mean = (a: number[]) => a.reduce((x, y) => x + y) / a.length;
  console.log(w.join(','), 'eye mean/p90/max', mean(eye).toFixed(2), q(eye, .9).toFixed(2), Math.max(...eye).toFixed(2), '| mouth mean/max', mean(mouth).toFixed(2), Math.max(...mouth).toFixed(2), '| nose mean', mean(nose).toFixed(2), '| eye>3:', eye.filter((e) => e > 3).length, '/', eye.length);
}
