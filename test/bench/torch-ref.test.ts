/**
 * bench/torch_ref.py (the PyTorch side of `npm run bench`) must compute what ONNX Runtime computes,
 * for every op it claims, including the attribute corners the benchmark's graphs do not exercise
 * (asymmetric pads, count_include_pad, ceil_mode, groups, dilations, Pad's constant value, Gemm's
 * transB/alpha/beta). Skips visibly when Debian's python3-torch / python3-onnx are not installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { GraphBuilder } from '../../src/engine/onnx/builder.js';
import { diff, mulberry32 } from '../../bench/measure.js';
import { PYTHON } from '../../bench/pytorch-side.js';

const torchOk = fs.existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch, onnx, numpy'], { stdio: 'ignore' }).status === 0;
const skip = torchOk ? false : `${PYTHON} cannot import torch, onnx and numpy (apt-get install python3-torch python3-onnx python3-numpy)`;

function rand(rng: () => number, n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => (rng() * 2 - 1) * scale);
}

/** One graph, many branches off x [N, 3, 9, 9]; each branch is an output. */
function opsGraph(): { bytes: Uint8Array; outputs: string[] } {
  const rng = mulberry32(5);
  const g = new GraphBuilder('torch-ref-ops');
  const x = g.input('x', ['N', 3, 9, 9]);
  const outs: [string, (string | number)[]][] = [];
  const W1 = g.weight('W1', [4, 3, 3, 3], rand(rng, 108));
  const B1 = g.weight('B1', [4], rand(rng, 4));
  g.node('Conv', [x, W1, B1], { kernel_shape: [3, 3], strides: [2, 2], pads: [0, 1, 1, 0] }, 'conv_asym');
  outs.push(['conv_asym', ['N', 4, 4, 4]]);
  const W2 = g.weight('W2', [6, 1, 3, 3], rand(rng, 54));
  g.node('Conv', [x, W2], { kernel_shape: [3, 3], group: 3, dilations: [2, 2], pads: [2, 2, 2, 2] }, 'conv_group');
  outs.push(['conv_group', ['N', 6, 9, 9]]);
  g.node('MaxPool', [x], { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }, 'maxpool_ceil');
  outs.push(['maxpool_ceil', ['N', 3, 5, 5]]);
  g.node('MaxPool', [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, 'maxpool_pad');
  outs.push(['maxpool_pad', ['N', 3, 5, 5]]);
  g.node('AveragePool', [x], { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }, 'avg_ceil');
  outs.push(['avg_ceil', ['N', 3, 5, 5]]);
  g.node('MaxPool', [x], { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 1, 1] }, 'maxpool_asym');
  outs.push(['maxpool_asym', ['N', 3, 5, 5]]);
  g.node('AveragePool', [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, 'avg_exclude');
  outs.push(['avg_exclude', ['N', 3, 5, 5]]);
  g.node('AveragePool', [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], count_include_pad: 1 }, 'avg_include');
  outs.push(['avg_include', ['N', 3, 5, 5]]);
  g.node('AveragePool', [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [0, 1, 2, 0] }, 'avg_asym_exclude');
  outs.push(['avg_asym_exclude', ['N', 3, 5, 4]]);
  g.node('AveragePool', [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [0, 1, 2, 0], count_include_pad: 1 }, 'avg_asym_include');
  outs.push(['avg_asym_include', ['N', 3, 5, 4]]);
  g.node('AveragePool', [x], { kernel_shape: [2, 2], strides: [2, 2] }, 'avg_plain');
  outs.push(['avg_plain', ['N', 3, 4, 4]]);
  const pads = g.int64('pads', [0, 1, 2, 0, 0, 0, 1, 3]);
  const value = g.weight('pad_value', [], Float32Array.of(0.5));
  g.node('Pad', [x, pads, value], { mode: 'constant' }, 'pad_value_out');
  outs.push(['pad_value_out', ['N', 4, 12, 12]]);
  const pads2 = g.int64('pads2', [0, 0, -1, 0, 0, 0, 0, -2]);
  g.node('Pad', [x, pads2], {}, 'pad_crop');
  outs.push(['pad_crop', ['N', 3, 8, 7]]);
  const bias = g.weight('bias', [1, 3, 1, 1], rand(rng, 3));
  const added = g.node('Relu', [g.node('Add', [x, bias])], {}, 'relu_add');
  outs.push(['relu_add', ['N', 3, 9, 9]]);
  const gap = g.node('Flatten', [g.node('GlobalAveragePool', [added])], { axis: 1 }, 'gap');
  outs.push(['gap', ['N', 3]]);
  const M = g.weight('M', [3, 5], rand(rng, 15));
  g.node('MatMul', [gap, M], {}, 'matmul');
  outs.push(['matmul', ['N', 5]]);
  const flat = g.node('Flatten', [x], { axis: 1 });
  const Wg = g.weight('Wg', [7, 243], rand(rng, 7 * 243, 0.1));
  const Bg = g.weight('Bg', [7], rand(rng, 7));
  g.node('Gemm', [flat, Wg, Bg], { transB: 1, alpha: 0.5, beta: 1.5 }, 'gemm');
  outs.push(['gemm', ['N', 7]]);
  for (const [name, dims] of outs) g.output(name, dims);
  return { bytes: g.build(), outputs: outs.map((o) => o[0]) };
}

test('torch_ref.py matches ONNX Runtime op by op, in both memory formats', { skip }, async () => {
  const { bytes, outputs } = opsGraph();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facelens-torch-ref-'));
  try {
    const n = 2;
    const input = rand(mulberry32(9), n * 3 * 81, 2);
    fs.writeFileSync(path.join(dir, 'model.onnx'), bytes);
    fs.writeFileSync(path.join(dir, 'input.f32'), new Uint8Array(input.buffer));
    const session = await ort.InferenceSession.create(bytes);
    const ref = await session.run({ x: new ort.Tensor('float32', input, [n, 3, 9, 9]) }, outputs);
    const script = path.join(import.meta.dirname, '../../bench/torch_ref.py');
    const r = spawnSync(
      PYTHON,
      [script, '--onnx', path.join(dir, 'model.onnx'), '--shape', '3,9,9', '--output', 'gemm', '--check-outputs', outputs.join(','),
        '--check-input', path.join(dir, 'input.f32'), '--check-batch', String(n), '--check-dir', dir, '--batches', '', '--grad-batch', '1',
        '--f64-images', '1', '--warmup', '0', '--min-iters', '1', '--min-time', '0', '--threads', '1'],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    const info = JSON.parse(r.stdout.trim().split('\n').pop()!) as { gradient: Record<string, { img_per_s: number }> };
    assert.ok(info.gradient['1'].img_per_s > 0);
    for (const fmt of ['contiguous', 'channels_last', 'float64']) {
      for (const o of outputs) {
        const buf = fs.readFileSync(path.join(dir, `${o}.${fmt}.f32`));
        const got = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
        const want = ref[o].data as Float32Array;
        const d = diff(got, fmt === 'float64' ? want.subarray(0, got.length) : want);
        assert.ok(d.rel < 1e-5, `${o} (${fmt}): max abs ${d.max_abs}, rel ${d.rel}`);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
