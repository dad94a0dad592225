import { readFileSync, writeFileSync } from 'node:fs';
import { decodeImage } from '../src/data/image-io.js';
const b = readFileSync('/work/shared/data/lfw/images/Abel_Pacheco/Abel_Pacheco_0001.jpg');
writeFileSync('.scratch/t.jpg', b.subarray(0, 3000));
writeFileSync('.scratch/g.jpg', Buffer.from('garbage garbage'));
for (const f of ['.scratch/t.jpg', '.scratch/g.jpg']) await decodeImage(f).catch((e) => console.log(e.message));
