/**
 * `--model file.onnx`: a small ONNX model written by the test round-trips with automatic probes
 * (tensors, shapes and receptive fields checked against values derived by hand from the
 * architecture in onnx-file-fixture.ts), with `--probe`, and with a sidecar description.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { OrtEngine } from '../../src/engine/ort/engine.ts';
import { loadModel } from '../../src/models/registry.ts';
import { loadOnnxFile, onnxProbeCandidates } from '../../src/models/onnx-file.ts';
import { mulberry32 } from '../../src/core/random.ts';
import { buildSmallOnnx } from './onnx-file-fixture.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facelens-onnx-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
const bytes = buildSmallOnnx();
const file = path.join(dir, 'small.onnx');
fs.writeFileSync(file, bytes);

function randomInput(n: number): Float32Array {
  const rng = mulberry32(5);
  return Float32Array.from({ length: n * 3 * 32 * 32 }, () => 2 * rng() - 1);
}

test('automatic probes: last tensor of each resolution on the main path + the output, with shapes and RFs', async () => {
  const m = await loadModel(file);
  assert.equal(m.name, 'small');
  assert.equal(m.inputName, 'image');
  assert.deepEqual(m.inputSize, { width: 32, height: 32 });
  assert.deepEqual(
    m.probes.map((p) => [p.name, p.tensor, p.kind, p.shape]),
    [
      ['map32', 'res1', 'conv', [4, 32, 32]],
      ['map16', 'pool', 'pool', [4, 16, 16]],
      ['map8', 'se', 'conv', [8, 8, 8]],
      ['output', 'emb', 'embedding', [6]],
    ],
  );
  // By hand: three 3x3 convs (pad 1) -> 7 px; maxpool 2/2 -> 8 px, stride 2, centre 0.5;
  // conv 3x3/2 pad 1 -> 8 + 2*2 = 12 px, stride 4, centre 0.5 + (1 - 1) * 2; the SE gate keeps it.
  assert.deepEqual(m.probes.map((p) => p.rf), [{ size: 7, stride: 1, offset: 0 }, { size: 8, stride: 2, offset: 0.5 }, { size: 12, stride: 4, offset: 0.5 }, undefined]);

  // The FaceModel's bytes expose the probes; their values are the model's own.
  const input = randomInput(2);
  const engine = await OrtEngine.create(m, { threads: 1 });
  const out = await engine.run(input, 2, m.probes.map((p) => p.name));
  await engine.release();
  const plain = await ort.InferenceSession.create(bytes);
  const ref = await plain.run({ image: new ort.Tensor('float32', input, [2, 3, 32, 32]) });
  await plain.release();
  assert.deepEqual(Array.from(out.output.data), Array.from(ref.emb.data as Float32Array));
  // pool = 2x2 max of res1, computed here
  const r = out.map32.data;
  for (let b = 0; b < 2; b++)
    for (let c = 0; c < 4; c++)
      for (let i = 0; i < 16; i++)
        for (let j = 0; j < 16; j++) {
          const at = (y: number, x: number) => r[((b * 4 + c) * 32 + y) * 32 + x];
          const want = Math.max(at(2 * i, 2 * j), at(2 * i, 2 * j + 1), at(2 * i + 1, 2 * j), at(2 * i + 1, 2 * j + 1));
          assert.equal(out.map16.data[((b * 4 + c) * 16 + i) * 16 + j], want);
        }
  assert.ok(out.map32.data.some((v) => v > 0));
});

test('probe candidates: the main path skips residual and squeeze-excite branches', async () => {
  const c = await onnxProbeCandidates(file);
  assert.deepEqual(c.map((p) => p.tensor), ['c1_conv', 'c1', 'add', 'res1', 'pool', 'd_conv', 'd', 'se', 'emb']);
  assert.deepEqual(c.filter((p) => p.picked).map((p) => p.tensor), ['res1', 'pool', 'se', 'emb']);
});

test('--probe name=tensor replaces discovery; node names work; unknown tensors list candidates', async () => {
  const m = await loadModel(file, { probes: { early: 'c1', gate: 'gate', emb: 'Gemm_14' } });
  assert.deepEqual(m.probes.map((p) => [p.name, p.tensor, p.shape, p.rf?.size]), [
    ['early', 'c1', [4, 32, 32], 3],
    ['gate', 'gate', [8, 1, 1], undefined],
    ['emb', 'emb', [6], undefined],
  ]);
  const engine = await OrtEngine.create(m, { threads: 1 });
  const out = await engine.run(randomInput(1), 1, ['early', 'gate']);
  await engine.release();
  assert.deepEqual(out.gate.dims, [1, 8, 1, 1]);
  assert.ok(out.gate.data.every((v) => v > 0 && v < 1), 'sigmoid outputs');
  await assert.rejects(loadModel(file, { probes: { x: 'nope' } }), /small\.onnx: probe x \(--probe\): no tensor or node "nope"; main-path candidates: c1_conv \[4x32x32\], c1 \[4x32x32\], add/);
});

test('a sidecar description sets preprocessing, alignment and probes; bad files are named', async () => {
  const sub = path.join(dir, 'described');
  fs.mkdirSync(sub);
  const f = path.join(sub, 'net.onnx');
  fs.writeFileSync(f, bytes);
  fs.writeFileSync(
    path.join(sub, 'net.facelens.json'),
    JSON.stringify({ name: 'net', preprocessing: { mean: [1, 2, 3], std: 2, channelOrder: 'BGR' }, alignment: 'vggface-loose224', probes: [{ name: 'block', tensor: 'pool', kind: 'pool' }] }),
  );
  const m = await loadOnnxFile(f);
  assert.deepEqual(m.preprocessing, { mean: [1, 2, 3], std: [2, 2, 2], channelOrder: 'BGR', layout: 'NCHW' });
  assert.equal(m.alignment.size, 32);
  assert.equal(m.alignment.name, 'vggface-loose224@32');
  assert.deepEqual(m.probes.map((p) => [p.name, p.tensor]), [['block', 'pool']]);

  const junk = path.join(dir, 'junk.onnx');
  fs.writeFileSync(junk, 'definitely not protobuf \x00\xff\xff');
  await assert.rejects(loadOnnxFile(junk), /^UserError: junk\.onnx: not an ONNX model/);
  await assert.rejects(loadOnnxFile(path.join(dir, 'absent.onnx')), /^UserError: absent\.onnx: no such file/);
  fs.writeFileSync(path.join(dir, 'bad.json'), '{"inputSize": "big"}');
  await assert.rejects(loadOnnxFile(file, { config: path.join(dir, 'bad.json') }), /bad\.json: inputSize must be a number or \[width, height\]/);
});
