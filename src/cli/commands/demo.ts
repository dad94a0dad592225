import { createRequire } from 'node:module';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { DatasetItem, SkippedItem } from '../../data/dataset.js';
import { groupFaces, type GroupFace } from '../../data/group-faces.js';
import { runBatches, sliceImage } from '../../engine/batch-runner.js';
import { OrtEngine } from '../../engine/ort-engine.js';
import { NpyAppender } from '../../io/npy.js';
import { writeJsonAtomic } from '../../io/json.js';
import { loadModel } from '../../models/registry.js';
import { contactSheet } from '../../report/contact-sheet.js';
import { info, result } from '../log.js';
import { addModelOption } from '../options.js';
import { progress } from '../progress.js';

/** The demo photos that ship with @vladmandic/face-api (group photos, ~25 faces each). */
export function demoPhotos(): DatasetItem[] {
  const req = createRequire(import.meta.url);
  const dir = path.join(path.dirname(req.resolve('@vladmandic/face-api/package.json')), 'demo');
  return [1, 2, 3, 4, 5, 6].map((k) => ({ id: `sample${k}.jpg`, path: path.join(dir, `sample${k}.jpg`) }));
}

export function registerDemo(program: Command): void {
  const cmd = program
    .command('demo')
    .description('run facelens on the built-in defaults: the bundled model and demo photos (what `npm start` runs)')
    .option('-o, --out <dir>', 'output folder', 'facelens-report');
  addModelOption(cmd).action(async (opts: { out: string; model: string }) => {
    const t0 = performance.now();
    const model = await loadModel(opts.model);
    const photos = demoPhotos();
    await mkdir(opts.out, { recursive: true });
    const engine = await OrtEngine.create(model);
    const embeddingProbe = model.probes[model.probes.length - 1];
    const d = embeddingProbe.shape.reduce((a, b) => a * b, 1);
    const writer = await NpyAppender.create(path.join(opts.out, 'embeddings.npy'), 'float32', [d]);
    const faces: GroupFace[] = [];
    const skipped: SkippedItem[] = [];
    const bar = progress('align + embed', photos.length);
    const photosDone = new Set<string>();
    const src = groupFaces(photos, model.alignment, { onSkip: (s) => skipped.push(s) });
    await runBatches(engine, src, [embeddingProbe.name], 16, async (records, out) => {
      for (const [i, r] of records.entries()) {
        await writer.append(sliceImage(out[embeddingProbe.name], i));
        faces.push(r);
        const photo = r.item.id.split('#')[0];
        if (!photosDone.has(photo)) {
          photosDone.add(photo);
          bar.tick(1, photo);
        }
      }
    });
    bar.stop();
    await writer.close();
    await engine.release();
    const sheet = await contactSheet(
      faces.map((f) => f.face),
      { columns: 12, captions: faces.map((f) => f.item.id.replace('.jpg', '')) },
    );
    const sheetPath = path.join(opts.out, 'aligned-faces.png');
    await writeFile(sheetPath, sheet);
    await writeJsonAtomic(path.join(opts.out, 'items.json'), faces.map((f) => ({ id: f.item.id, score: f.score, landmarks: f.landmarks })));
    const seconds = (performance.now() - t0) / 1000;
    await writeJsonAtomic(path.join(opts.out, 'summary.json'), {
      command: 'demo',
      date: new Date().toISOString(),
      model: model.name,
      layer: embeddingProbe.name,
      photos: photos.map((p) => p.id),
      faces: faces.length,
      skipped,
      seconds,
    });
    info(`${faces.length} faces from ${photos.length} demo photos aligned and embedded (${embeddingProbe.name}, ${d}-d) in ${seconds.toFixed(1)} s`);
    result(`contact sheet: ${sheetPath}`);
    result(`embeddings:    ${path.join(opts.out, 'embeddings.npy')} (+ items.json)`);
  });
}
