/**
 * loadModel records how a model was loaded (`spec`, file paths absolute), and loadModelSpec
 * loads the same model again from that record: what the atlas does with a sweep's manifest.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadModel, loadModelSpec } from '../../src/models/registry.js';
import { buildSmallOnnx } from './onnx-file-fixture.js';

test('built-in model: spec is its name; loadModelSpec without a spec falls back to the name', async () => {
  const m = await loadModel('dlib-resnet');
  assert.deepEqual(m.spec, { model: 'dlib-resnet' });
  const again = await loadModelSpec(undefined, 'dlib-resnet');
  assert.equal(again.name, 'dlib-resnet');
  assert.equal(again.onnx.length, m.onnx.length);
});

test('ONNX file model: spec has the absolute path and probes, and reloads the same model', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'facelens-registry-'));
  const cwd = process.cwd();
  try {
    await writeFile(path.join(dir, 'small.onnx'), buildSmallOnnx());
    process.chdir(dir);
    const m = await loadModel('small.onnx');
    assert.equal(m.spec?.model, path.join(dir, 'small.onnx'));
    process.chdir(cwd);
    const again = await loadModelSpec(m.spec, m.name);
    assert.deepEqual(
      again.probes.map((p) => [p.name, p.tensor, p.shape]),
      m.probes.map((p) => [p.name, p.tensor, p.shape]),
    );
    const first = m.probes[0];
    const picked = await loadModel(path.join(dir, 'small.onnx'), { probes: { mine: first.tensor } });
    assert.deepEqual(picked.spec?.probes, { mine: first.tensor });
    assert.deepEqual((await loadModelSpec(picked.spec, picked.name)).probes.map((p) => p.name), ['mine']);
  } finally {
    process.chdir(cwd);
    await rm(dir, { recursive: true, force: true });
  }
});
