import { decodeImage } from '../src/data/image-io.js';
import { detectFaces, pickMainFace, detectorCalls } from '../src/data/detector.js';
const img = await decodeImage('/work/shared/data/lfw/images/Abel_Pacheco/Abel_Pacheco_0001.jpg');
let t0 = performance.now();
let d = await detectFaces(img);
console.log('first', performance.now() - t0, d.length, d[0]?.box, d[0]?.score, d[0]?.landmarks.length, d[0]?.landmarks.slice(36, 48));
t0 = performance.now();
for (let i = 0; i < 5; i++) d = await detectFaces(img);
console.log('per', (performance.now() - t0) / 5, detectorCalls());
