import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareModels } from '../../../src/analyses/compare/compare.js';
import { writeCompare } from '../../../src/analyses/compare/write.js';
import { loadModel } from '../../../src/models/registry.js';
import { HAVE_LFW, NO_DATA, tempDir } from '../../data/helpers.js';
import { sixFaceLfw } from './fixture.js';
import { readFile, stat } from 'node:fs/promises';

const skip = HAVE_LFW ? false : NO_DATA;

test('compare, one model: symmetric CKA matrix with 1 on the diagonal; chunking does not change it; files written', { skip }, async () => {
  const model = await loadModel('dlib-resnet');
  const dataset = sixFaceLfw();
  const layers = ['res128', 'gap', 'embedding'];
  const opts = { models: [model], dataset, layers: [layers.join(',')], detect: false, cache: false, maxDims: 512 };
  const one = await compareModels({ ...opts, chunk: 6 });
  const three = await compareModels({ ...opts, chunk: 2 });
  assert.equal(one.faces, 6);
  assert.deepEqual(one.rows.map((r) => r.layer), layers);
  assert.equal(one.rows[0]!.dims, 8192);
  assert.equal(one.rows[0]!.usedDims, 512, 'res128 sketched to --max-dims');
  for (let i = 0; i < 3; i++) {
    assert.ok(Math.abs(one.cka[i]![i]! - 1) < 1e-9, 'diagonal 1');
    assert.ok(Math.abs(one.ckaDebiased[i]![i]! - 1) < 1e-9, 'debiased diagonal 1');
    for (let j = 0; j < 3; j++) {
      assert.ok(Math.abs(one.cka[i]![j]! - one.cka[j]![i]!) < 1e-12, 'symmetric');
      assert.ok(Math.abs(one.cka[i]![j]! - three.cka[i]![j]!) < 1e-9, 'chunk size does not matter');
      assert.ok(one.cka[i]![j]! >= 0 && one.cka[i]![j]! <= 1);
    }
  }
  assert.ok(one.verification && one.verification.pairs === 4 && one.verification.layers.length === 3);
  const { dir, cleanup } = await tempDir();
  try {
    const files = await writeCompare(dir, one, { models: [model.name] });
    assert.ok((await stat(files.heatmap)).size > 1000);
    const csv = (await readFile(files.csv, 'utf8')).trim().split('\n');
    assert.equal(csv.length, 1 + 9);
    const summary = JSON.parse(await readFile(files.summary, 'utf8'));
    assert.equal(summary.command, 'compare');
    assert.equal(summary.cka[1][2], one.cka[1]![2]);
  } finally {
    await cleanup();
  }
});
