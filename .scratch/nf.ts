import { decodeImage, writePng } from '../src/data/image-io.js';
import { detectFaces } from '../src/data/detector.js';
const f = '/work/shared/data/lfw/images/Francisco_Garcia/Francisco_Garcia_0001.jpg';
const img = await decodeImage(f);
const d = await detectFaces(img, { minConfidence: 0.05 });
console.log(d.map((x) => [x.score.toFixed(3), x.box]));
