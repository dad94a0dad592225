import { readdirSync } from 'node:fs';
import { decodeImage, resizeRgb, writePng } from '../src/data/image-io.js';
import { detectFaces, pickMainFace } from '../src/data/detector.js';
import { alignFace, fivePoints, warpAffine } from '../src/data/align.js';
import { DLIB_150_TEMPLATE as T } from '../src/models/templates.js';
import { rgbImage } from '../src/data/image.js';
const root = '/work/shared/data/lfw/images';
const names = readdirSync(root).sort();
const files: string[] = [];
for (let i = 0; i < names.length && files.length < 20; i += Math.floor(names.length / 20)) {
  const f = readdirSync(`${root}/${names[i]}`).sort()[0];
  files.push(`${root}/${names[i]}/${f}`);
}
const weightsList = [[1,1,1,1,1]];
const mode = process.argv[2] ?? 'up2';
for (const f of files) {
  const img = await decodeImage(f);
  const d = pickMainFace(await detectFaces(img), img);
  if (!d) { console.log(f, 'NO FACE in original'); continue; }
  const W = process.env.W ? process.env.W.split(',').map(Number) : undefined;
  const al = alignFace(img, d.landmarks, T, { weights: W });
  const predEyes = fivePoints(al.landmarks);
  let test = al.face; let k = 1;
  const m = Number(process.argv[3] ?? 75); const kk = Number(process.argv[4] ?? 1); const border = (process.argv[5] ?? 'replicate') as any;
  test = warpAffine(al.face, [[kk,0,m],[0,kk,m]], 150*kk+2*m, {border, fill:[128,128,128]}); k = kk;
  if (f.includes('Abel')) await writePng('.scratch/test.png', test);
  const d2 = pickMainFace(await detectFaces(test), test);
  if (!d2) { console.log(f, 'NO FACE on crop'); continue; }
  const p = fivePoints(d2.landmarks).map(([x, y]) => [(x - m) / k, (y - m) / k]);
  const e = [0, 1].map((i) => Math.hypot(p[i][0] - T.points[i][0], p[i][1] - T.points[i][1]));
  const eFit = [0, 1].map((i) => Math.hypot(predEyes[i][0] - T.points[i][0], predEyes[i][1] - T.points[i][1]));
  const eAll = [2,3,4].map((i) => Math.hypot(p[i][0] - T.points[i][0], p[i][1] - T.points[i][1]));
  console.log(f.split('/').pop(), 'score', d.score.toFixed(2), 'eyeErr', ((e[0]+e[1])/2).toFixed(2), 'fitResidEyes', ((eFit[0]+eFit[1])/2).toFixed(2), 'nose/mouth', eAll.map(x=>x.toFixed(1)).join(' '));
}
