import { openDataset } from '../src/data/datasets/index.js';
import { alignedFaces } from '../src/data/faces.js';
import { detectorCalls } from '../src/data/detector.js';
import { DLIB_150_TEMPLATE as T } from '../src/models/templates.js';
const ds = await openDataset('/work/shared/data/lfw');
const skipped: string[] = [];
let n = 0;
const t0 = performance.now(); const c0 = process.cpuUsage();
for await (const f of alignedFaces(ds.items, T, { cacheDir: '/tmp/facelens-lfw-cache', onSkip: (s) => skipped.push(`${s.id}: ${s.reason}`) })) {
  n++;
  if (n % 100 === 0) console.log(n, ((performance.now() - t0) / 1000).toFixed(0), 's');
}
const cpu = process.cpuUsage(c0);
console.log('faces', n, 'skipped', skipped.length, 'wall', ((performance.now() - t0) / 1000).toFixed(1), 'cpu user', (cpu.user / 1e6).toFixed(1), 'detections', detectorCalls());
console.log(skipped.join('\n'));
