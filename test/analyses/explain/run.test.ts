/**
 * The `explain` run on one real LFW pair with cheap settings: the files per pair, the maps NPY
 * ([maps, H, W] with the Grad-CAM map), the stated mass definition and CAM layer in summary.json,
 * the half split per face, and resume (a rerun with the same parameters reads pair.json back; a
 * changed parameter recomputes).
 */
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { MAP_NAMES, REGION_MASS } from '../../../src/analyses/explain/explain.js';
import { runExplain } from '../../../src/analyses/explain/run.js';
import { readNpy } from '../../../src/io/npy.js';
import { loadModel } from '../../../src/models/registry.js';
import { HAVE_LFW, LFW_DIR, NO_DATA, tempDir } from '../../data/helpers.js';

const skip = HAVE_LFW ? false : NO_DATA;

test('explain run: files, stated mass definition, Grad-CAM layer, halves; resumes with the same parameters only', { skip }, async () => {
  const model = await loadModel('dlib-resnet');
  const img = (id: string) => join(LFW_DIR, 'images', id);
  const pairs = [{ a: img('Abel_Pacheco/Abel_Pacheco_0001.jpg'), b: img('Abel_Pacheco/Abel_Pacheco_0004.jpg'), same: true, source: 'test' }];
  const { dir, cleanup } = await tempDir();
  const cheap = { model, pairs, out: dir, patch: 50, stride: 50, steps: 2, igSteps: 2, cache: false };
  try {
    const r = await runExplain(cheap);
    assert.equal(r.pairs.length, 1);
    assert.equal(r.resumed, 0);
    const pdir = join(dir, 'pairs', '0000');
    for (const f of ['overlay.png', 'A-maps.npy', 'B-maps.npy', 'curves.csv', 'profile.csv', 'pair.json']) assert.ok((await stat(join(pdir, f))).size > 0, f);
    const npy = await readNpy(join(pdir, 'B-maps.npy'));
    assert.deepEqual(npy.shape, [MAP_NAMES.length, 150, 150]);
    assert.equal(MAP_NAMES[4], 'layerCam');
    const camPlane = npy.data.subarray(4 * 150 * 150, 5 * 150 * 150);
    assert.ok(camPlane.some((v) => v !== 0), 'the Grad-CAM map is not empty');
    const summary = JSON.parse(await readFile(r.files.summary, 'utf8'));
    assert.ok(String(summary.parameters.halves).includes(REGION_MASS), 'the mass definition is stated');
    assert.equal(summary.parameters.igBaseline, 'blur');
    const face = summary.pairs[0].faces[1];
    assert.deepEqual(face.cam, { layer: 'res128' });
    for (const m of MAP_NAMES) {
      const h = face.halves[m];
      assert.ok(Number.isFinite(h.inside) && Number.isFinite(h.outside), m);
    }
    assert.deepEqual(summary.aggregate.map((g: { map: string }) => g.map), [...MAP_NAMES]);

    const again = await runExplain(cheap);
    assert.equal(again.resumed, 1, 'same parameters: read back');
    assert.deepEqual(again.pairs, r.pairs);
    const changed = await runExplain({ ...cheap, steps: 3 });
    assert.equal(changed.resumed, 0, 'changed parameters: recomputed');
    assert.equal(changed.pairs[0]!.faces[0]!.faithfulness.occlusion!.deletion.fractions.length, 4);
  } finally {
    await cleanup();
  }
});
