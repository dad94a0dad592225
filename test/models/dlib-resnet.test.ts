/**
 * The built-in dlib-resnet against two independent references, on real aligned faces:
 * face-api's own TF.js implementation of the network (its `computeFaceDescriptor`), and
 * facelens' TF.js graph engine on every probe layer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupFaces, type GroupFace } from '../../src/data/group-faces.ts';
import { loadDetector } from '../../src/data/detector.ts';
import { OrtEngine } from '../../src/engine/ort/engine.ts';
import { TfGraph } from '../../src/engine/tfjs/graph.ts';
import { tf } from '../../src/engine/tfjs/backend.ts';
import { loadDlibResnet, faceApiModelDir } from '../../src/models/builtin/dlib-resnet.ts';
import { toInputBatch } from '../../src/models/preprocess.ts';
import { demoPhotos } from '../../src/demo/photos.ts';

const model = await loadDlibResnet();
const faces: GroupFace[] = [];
for await (const f of groupFaces(demoPhotos().slice(0, 2), model.alignment)) faces.push(f);

function relErr(a: Float32Array | number[], b: Float32Array | number[]): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return d / m;
}

test('demo photos give real aligned faces', () => {
  assert.ok(faces.length >= 4, `only ${faces.length} faces found in sample1-2`);
  for (const f of faces) assert.equal(f.face.width, 150);
});

test("dlib-resnet embedding equals face-api's computeFaceDescriptor to 1e-4", async () => {
  const faceapi = await loadDetector();
  await faceapi.nets.faceRecognitionNet.loadFromDisk(faceApiModelDir());
  const engine = await OrtEngine.create(model);
  const out = await engine.run(toInputBatch(model, faces.map((f) => f.face)), faces.length, ['embedding']);
  for (const [i, f] of faces.entries()) {
    const x = tf.tensor3d(f.face.data, [150, 150, 3], 'int32');
    const ref = (await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(x as never)) as Float32Array;
    x.dispose();
    const ours = out.embedding.data.subarray(i * 128, (i + 1) * 128);
    const err = relErr(ours, ref);
    assert.ok(err < 1e-4, `${f.item.id}: relative error ${err}`);
  }
  await engine.release();
});

test('ONNX Runtime and the TF.js graph engine agree on every probe layer to 1e-4', async () => {
  const engine = await OrtEngine.create(model);
  const graph = await TfGraph.fromOnnx(model.onnx);
  const batch = faces.slice(0, 4);
  const input = toInputBatch(model, batch.map((f) => f.face));
  const names = model.probes.map((p) => p.name);
  const ort = await engine.run(input, batch.length, names);
  const x = tf.tensor4d(input, [batch.length, 3, 150, 150]);
  const outs = graph.run({ [model.inputName]: x }, model.probes.map((p) => p.tensor));
  for (const p of model.probes) {
    const t = outs[p.tensor];
    assert.deepEqual(t.shape, ort[p.name].dims, p.name);
    const err = relErr(t.dataSync() as Float32Array, ort[p.name].data);
    assert.ok(err < 1e-4, `${p.name}: relative error ${err}`);
  }
  tf.dispose([x, ...Object.values(outs)]);
  graph.dispose();
  await engine.release();
});
