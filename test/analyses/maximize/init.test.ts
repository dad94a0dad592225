/** --init mean-topn: the mean of a neuron's top-n faces in a small sweep, then AM from it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { meanTopNImage } from '../../../src/analyses/maximize/init.js';
import { maximize } from '../../../src/analyses/maximize/maximize.js';
import { openSweep } from '../../../src/analyses/sweep/read.js';
import { sweep } from '../../../src/analyses/sweep/sweep.js';
import { topSamples } from '../../../src/analyses/sweep/topn.js';
import { openDataset } from '../../../src/data/datasets/index.js';
import { loadModel } from '../../../src/models/registry.js';

const LFW = path.resolve('../shared/data/lfw');
const skip = !existsSync(path.join(LFW, 'pairs.txt')) && `shared test data not found at ${LFW}`;

test('mean-topn init = pixel mean of the top-n faces; AM from it raises the neuron', { skip }, async () => {
  const model = await loadModel('dlib-resnet');
  const root = await mkdtemp(path.join(os.tmpdir(), 'facelens-am-init-'));
  try {
    const ds = await openDataset(LFW);
    const csv = path.join(root, 'lfw12.csv');
    await writeFile(csv, ds.items.slice(0, 12).map((it) => `${it.path},${it.identity ?? ''}`).join('\n') + '\n');
    const swDir = path.join(root, 'sweep');
    await sweep({ model, dataset: await openDataset(csv), out: swDir, layers: ['res128'], detect: false, batch: 8 });
    const m = await meanTopNImage({ sweepDir: swDir, layer: 'res128', neuron: 17, model, n: 3, cache: false });
    const sw = await openSweep(swDir);
    const tops = topSamples(await sw.readLayer('res128'), sw.items, [17], 3).get(17)!;
    assert.deepEqual(m.ids, tops.map((t) => t.id));
    assert.equal(m.image.width, model.inputSize.width);
    const r = await maximize({ model, layer: 'res128', neuron: 17, init: m.image, initLabel: 'mean-topn', steps: 3, octaves: 1, seed: 0 });
    assert.equal(r.init, 'mean-topn');
    assert.ok(r.finalActivation > r.initialActivation, `${r.initialActivation} -> ${r.finalActivation}`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
