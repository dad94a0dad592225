/**
 * The demo's faces: every face of the bundled group photos, detected, aligned to the model's
 * template and written as PNG crops (`faces/aligned/<photo>-<k>.png`), plus a contact sheet and
 * `faces/summary.json`. The later steps read the crops as a flat image folder with detection off
 * (they are the model's input crops already), so the sweep, atlas and probes see the same pixels.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { DatasetItem, SkippedItem } from '../data/dataset.js';
import { groupFaces } from '../data/group-faces.js';
import { writePng } from '../data/image-io.js';
import { writeSummary } from '../results/summary.js';
import type { FaceModel } from '../models/face-model.js';
import { contactSheet } from '../figures/contact-sheet.js';
import { writeFileAtomic } from '../io/atomic.js';

export interface DemoFace {
  /** `<photo>#<k>` (k in detection-score order within the photo). */
  id: string;
  photo: string;
  /** PNG crop, relative to the results directory. */
  file: string;
  score: number;
}

export interface DemoFaces {
  faces: DemoFace[];
  skipped: SkippedItem[];
  /** Folder of the crops (absolute). */
  dir: string;
  sheet: string;
}

export async function alignDemoFaces(photos: DatasetItem[], model: FaceModel, resultsDir: string, onPhoto?: (photo: string) => void): Promise<DemoFaces> {
  const facesDir = path.join(resultsDir, 'faces');
  const dir = path.join(facesDir, 'aligned');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const faces: DemoFace[] = [];
  const skipped: SkippedItem[] = [];
  const crops = [];
  let last = '';
  for await (const f of groupFaces(photos, model.alignment, { onSkip: (s) => skipped.push(s) })) {
    const [photo, k] = f.item.id.split('#') as [string, string];
    if (photo !== last) onPhoto?.((last = photo));
    const name = `${photo.replace(/\.[^.]+$/, '')}-${k.padStart(2, '0')}.png`;
    await writePng(path.join(dir, name), f.face);
    faces.push({ id: f.item.id, photo, file: `faces/aligned/${name}`, score: f.score });
    crops.push(f.face);
  }
  const sheet = path.join(facesDir, 'aligned-faces.png');
  if (crops.length > 0) {
    await writeFileAtomic(sheet, await contactSheet(crops, { columns: 11, captions: faces.map((f) => f.id.replace(/\.jpg/, '')) }));
  }
  await writeSummary(path.join(facesDir, 'summary.json'), {
    command: 'demo/align',
    model: model.name,
    alignment: model.alignment,
    photos: photos.map((p) => ({ id: p.id, path: p.path })),
    detector: { minConfidence: 0.5, maxFacesPerImage: 100 },
    faces,
    skipped,
    sheet: 'faces/aligned-faces.png',
  });
  return { faces, skipped, dir, sheet };
}
