/** `facelens models <file>`: the probe candidates of an .onnx file and the probes of a VGGFace .h5, as printed. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildSmallOnnx } from '../models/onnx-file-fixture.ts';
import { writeVggH5 } from '../models/vggface-fixture.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facelens-models-cli-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

function facelens(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync('npx', ['tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Whitespace-separated fields of the printed row whose fields start with `first`. */
function row(out: string, ...first: string[]): string[] {
  const rows = out.split('\n').map((l) => l.trim().split(/\s+/));
  const r = rows.find((f) => first.every((v, i) => f[i] === v));
  assert.ok(r, `no row starting with ${first.join(' ')} in:\n${out}`);
  return r;
}

test('facelens models file.onnx prints every main-path candidate, marking the automatic ones', () => {
  const file = path.join(dir, 'small.onnx');
  fs.writeFileSync(file, buildSmallOnnx());
  const r = facelens('models', file);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^small {2}\(32x32 RGB/m);
  assert.deepEqual(row(r.out, '*', 'map32').slice(0, 9), ['*', 'map32', 'res1', 'conv', '[4x32x32]', 'rf', '7px', 'stride', '1']);
  assert.deepEqual(row(r.out, '*', 'map16').slice(0, 11), ['*', 'map16', 'pool', 'pool', '[4x16x16]', 'rf', '8px', 'stride', '2', 'offset', '0.5']);
  assert.deepEqual(row(r.out, '*', 'map8').slice(0, 9), ['*', 'map8', 'se', 'conv', '[8x8x8]', 'rf', '12px', 'stride', '4']);
  assert.deepEqual(row(r.out, '*', 'output').slice(0, 5), ['*', 'output', 'emb', 'embedding', '[6]']);
  assert.deepEqual(row(r.out, '-', 'd').slice(0, 5), ['-', 'd', 'conv', '[8x8x8]', 'rf']);
  assert.equal(r.out.split('\n').filter((l) => /^\s+[*-] /.test(l)).length, 9);

  const p = facelens('models', file, '--probe', 'early=c1', '--probe', 'nope=missing');
  assert.equal(p.code, 1);
  assert.match(p.err, /small\.onnx: probe nope \(--probe\): no tensor or node "missing"; main-path candidates: c1_conv/);
});

test('facelens models vgg.h5 prints the VGGFace probes with their receptive fields', async () => {
  const file = path.join(dir, 'vgg.h5');
  await writeVggH5(file, { layout: 'keras-vggface' });
  const r = facelens('models', file);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^vggface {2}\(224x224 BGR/m);
  assert.deepEqual(row(r.out, 'pool5').slice(0, 7), ['pool5', 'pool5', 'pool', '[16x7x7]', 'rf', '212px', 'stride']);
  assert.deepEqual(row(r.out, 'fc7').slice(0, 4), ['fc7', 'fc7', 'fc', '[32]']);
  const bad = facelens('models', path.join(dir, 'absent.h5'));
  assert.equal(bad.code, 1);
  assert.match(bad.err, /facelens: error: absent\.h5: no such file/);
});

test('facelens models lists the built-ins and how to load vggface', () => {
  const r = facelens('models');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^dlib-resnet {2}\(150x150 RGB/m);
  assert.match(r.out, /^vggface {2}\(--model vggface --weights FILE\.h5\)/m);
});
