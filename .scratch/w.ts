import { fivePoints, warpAffine, alignFace } from '../src/data/align.js';
import { openDataset } from '../src/data/datasets/index.js';
import { detectFaces, pickMainFace, type Point } from '../src/data/detector.js';
import { decodeImage } from '../src/data/image-io.js';
import { DLIB_150_TEMPLATE as T } from '../src/models/templates.js';
const ds = await openDataset('/work/shared/data/lfw');
const stride = Math.floor(ds.items.length / 20);
const items = Array.from({ length: 20 }, (_, k) => ds.items[k * stride]);
const dist = (p: Point, q: Point) => Math.hypot(p[0] - q[0], p[1] - q[1]);
const WS = [[1,1,1,1,1],[1.4,1.4,0.3,0.9,0.9],[2,2,0.25,1,1]];
const res: Record<string, number[]> = {};
const border = (process.argv[2] ?? 'constant') as any;
for (const it of items) {
  const img = await decodeImage(it.path);
  const d = pickMainFace(await detectFaces(img), img);
  if (!d) { console.log('miss', it.id); continue; }
  const line: string[] = [it.id.split('/')[0].padEnd(24)];
  for (const w of WS) {
    const al = alignFace(img, d.landmarks, T, { weights: w });
    const pred = fivePoints(al.landmarks);
    const fit = (dist(pred[0], T.points[0]) + dist(pred[1], T.points[1])) / 2;
    const padded = warpAffine(al.face, [[1,0,75],[0,1,75]], 300, { border, fill: [128,128,128] });
    const d2 = pickMainFace(await detectFaces(padded), padded);
    let re = NaN;
    if (d2) { const s = fivePoints(d2.landmarks).map(([x,y]) => [x-75,y-75] as Point); re = (dist(s[0], T.points[0]) + dist(s[1], T.points[1])) / 2; }
    (res[w.join(',')] ??= []).push(re);
    line.push(`fit ${fit.toFixed(2)} re ${re.toFixed(2)}`);
  }
  console.log(line.join(' | '));
}
for (const [k, v] of Object.entries(res)) { const f = v.filter(Number.isFinite); console.log(k, 'mean', (f.reduce((a,b)=>a+b)/f.length).toFixed(2), 'max', Math.max(...f).toFixed(2), '>=3:', f.filter(x=>x>=3).length, 'NaN', v.length - f.length); }
