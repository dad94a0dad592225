/**
 * VGGFace from Keras .h5 files written by the test (both layouts, narrow random weights): the
 * ONNX graph run by ONNX Runtime against a TF.js implementation of VGG-16 written here from the
 * arrays the test wrote (NHWC, Keras's own layout, so no weight re-ordering is shared with the
 * code under test), at every probe; and the named errors for broken files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OrtEngine } from '../../src/engine/ort/engine.ts';
import { initTf } from '../../src/engine/tfjs/backend.ts';
import { loadVggFace } from '../../src/models/vggface/load.ts';
import { loadModel } from '../../src/models/registry.ts';
import { toInputBatch } from '../../src/models/preprocess.ts';
import type { RgbImage } from '../../src/data/image.ts';
import { mulberry32 } from '../../src/core/random.ts';
import { writeVggH5, type FixtureLayout, type WrittenLayer } from './vggface-fixture.ts';

const tf = await initTf();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facelens-vggface-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

const MEAN_RGB = [129.1863, 104.7624, 93.594];

function randomFaces(n: number, seed: number): RgbImage[] {
  const rng = mulberry32(seed);
  return Array.from({ length: n }, () => {
    const data = new Uint8Array(224 * 224 * 3);
    for (let i = 0; i < data.length; i++) data[i] = Math.floor(rng() * 256);
    return { width: 224, height: 224, data } as RgbImage;
  });
}

/** Reference forward pass: NHWC TF.js ops straight from the Keras arrays. Outputs in NCHW / [D]. */
function reference(layers: WrittenLayer[], faces: RgbImage[], layout: FixtureLayout): Record<string, { data: Float32Array; dims: number[] }> {
  return tf.tidy(() => {
    // BGR minus the BGR means, NHWC
    const x = new Float32Array(faces.length * 224 * 224 * 3);
    faces.forEach((f, b) => {
      for (let p = 0; p < 224 * 224; p++)
        for (let c = 0; c < 3; c++) x[(b * 224 * 224 + p) * 3 + c] = f.data[p * 3 + (2 - c)] - MEAN_RGB[2 - c];
    });
    let y: import('@tensorflow/tfjs').Tensor4D = tf.tensor4d(x, [faces.length, 224, 224, 3]);
    const out: Record<string, { data: Float32Array; dims: number[] }> = {};
    const keep = (name: string, t: import('@tensorflow/tfjs').Tensor) => {
      const nchw = t.rank === 4 ? tf.transpose(t, [0, 3, 1, 2]) : t;
      out[name] = { data: nchw.dataSync() as Float32Array, dims: nchw.shape };
    };
    const blocks = [2, 2, 3, 3, 3];
    let li = 0;
    blocks.forEach((n, b) => {
      for (let i = 0; i < n; i++, li++) {
        const l = layers[li];
        const k = tf.tensor4d(l.kernel, l.shape as [number, number, number, number]);
        y = tf.relu(tf.add(tf.conv2d(y, k, 1, 'same'), tf.tensor1d(l.bias))) as import('@tensorflow/tfjs').Tensor4D;
      }
      y = tf.maxPool(y, 2, 2, 'valid');
      keep(`pool${b + 1}`, y);
    });
    const fcs = layers.slice(13);
    if (layout === 'sequential') {
      fcs.forEach((l, j) => {
        const k = tf.tensor4d(l.kernel, l.shape as [number, number, number, number]);
        let z = tf.add(tf.conv2d(y, k, 1, 'valid'), tf.tensor1d(l.bias));
        if (j < 2) z = tf.relu(z);
        y = z as import('@tensorflow/tfjs').Tensor4D;
        keep(`fc${6 + j}`, tf.reshape(y, [faces.length, l.bias.length]));
      });
    } else {
      let v: import('@tensorflow/tfjs').Tensor2D = tf.reshape(y, [faces.length, -1]); // channels-last flatten, as Keras
      fcs.forEach((l, j) => {
        let z = tf.add(tf.matMul(v, tf.tensor2d(l.kernel, l.shape as [number, number])), tf.tensor1d(l.bias));
        if (j < 2) z = tf.relu(z);
        v = z as import('@tensorflow/tfjs').Tensor2D;
        keep(`fc${6 + j}`, v);
      });
    }
    return out;
  });
}

function relErr(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let d = 0;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  assert.ok(m > 0, 'reference is all zero: the test would prove nothing');
  return d / m;
}

for (const layout of ['sequential', 'keras-vggface'] as const) {
  test(`vggface ${layout} .h5: ONNX Runtime equals a TF.js VGG-16 at every probe (1e-4)`, async () => {
    const file = path.join(dir, `${layout}.h5`);
    const layers = await writeVggH5(file, { layout, seed: layout === 'sequential' ? 1 : 2 });
    const model = await loadModel('vggface', { weights: file });
    assert.deepEqual(model.probes.map((p) => p.name), ['pool1', 'pool2', 'pool3', 'pool4', 'pool5', 'fc6', 'fc7', 'fc8']);
    assert.deepEqual(model.probes.map((p) => p.shape), [[4, 112, 112], [8, 56, 56], [8, 28, 28], [16, 14, 14], [16, 7, 7], [32], [32], [10]]);
    // VGG-16's analytic receptive fields (NOTES.md): 6, 16, 44, 100, 212 px; strides 2..32
    assert.deepEqual(model.probes.slice(0, 5).map((p) => [p.rf?.size, p.rf?.stride]), [[6, 2], [16, 4], [44, 8], [100, 16], [212, 32]]);
    assert.deepEqual(model.preprocessing, { mean: [129.1863, 104.7624, 93.594], std: [1, 1, 1], channelOrder: 'BGR', layout: 'NCHW' });
    assert.equal(model.alignment.size, 224);
    const faces = randomFaces(2, 11);
    const engine = await OrtEngine.create(model, { threads: 1 });
    const names = model.probes.map((p) => p.name);
    const ours = await engine.run(toInputBatch(model, faces), faces.length, names);
    await engine.release();
    const ref = reference(layers, faces, layout);
    for (const n of names) {
      assert.deepEqual(ours[n].dims, ref[n].dims, `${n} dims`);
      const err = relErr(ours[n].data, ref[n].data);
      assert.ok(err < 1e-4, `${layout} ${n}: relative error ${err}`);
    }
  });
}

test('vggface: a wrong-shape layer is named with its shapes', async () => {
  const file = path.join(dir, 'wrong.h5');
  await writeVggH5(file, { layout: 'keras-vggface', overrideShape: { role: 'conv3_2', shape: [3, 3, 4, 8] } });
  await assert.rejects(loadVggFace(file), { message: 'wrong.h5: layer conv3_2: kernel shape [3,3,4,8] expected [3,3,8,8]' });
  const seq = path.join(dir, 'wrongfc.h5');
  await writeVggH5(seq, { layout: 'sequential', overrideShape: { role: 'fc7', shape: [1, 1, 31, 32] } });
  await assert.rejects(loadVggFace(seq), { message: 'wrongfc.h5: layer conv2d_15: kernel shape [1,1,31,32] expected [1,1,32,32]' });
});

test('vggface: a missing layer, a truncated file, a non-HDF5 file and a missing file give named errors', async () => {
  const missing = path.join(dir, 'nofc8.h5');
  await writeVggH5(missing, { layout: 'keras-vggface', omit: ['fc8'] });
  await assert.rejects(loadVggFace(missing), /^UserError: nofc8\.h5: missing layer fc8 \(the 16th of 16 weighted layers; the file has 15\)$/);

  const full = path.join(dir, 'full.h5');
  await writeVggH5(full, { layout: 'sequential' });
  const bytes = fs.readFileSync(full);
  const cut = path.join(dir, 'cut.h5');
  fs.writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
  await assert.rejects(loadVggFace(cut), new RegExp(`^UserError: cut\\.h5: truncated HDF5 file \\(${Math.floor(bytes.length / 2)} bytes, its superblock says ${bytes.length}\\)$`));

  const text = path.join(dir, 'text.h5');
  fs.writeFileSync(text, 'not an hdf5 file at all');
  await assert.rejects(loadVggFace(text), /^UserError: text\.h5: not an HDF5 file/);
  await assert.rejects(loadVggFace(path.join(dir, 'absent.h5')), /^UserError: absent\.h5: no such file/);
  await assert.rejects(loadModel('vggface'), /--weights/);
});
