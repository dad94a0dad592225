/** The demo photos that ship with @vladmandic/face-api (group photos). */
import { createRequire } from 'node:module';
import path from 'node:path';
import type { DatasetItem } from '../data/dataset.js';

export function demoPhotos(): DatasetItem[] {
  const req = createRequire(import.meta.url);
  const dir = path.join(path.dirname(req.resolve('@vladmandic/face-api/package.json')), 'demo');
  return [1, 2, 3, 4, 5, 6].map((k) => ({ id: `sample${k}.jpg`, path: path.join(dir, `sample${k}.jpg`) }));
}
