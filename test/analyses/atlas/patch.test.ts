/** Patch geometry, tile composition and display rescale; neuron specs; layout input and windows. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { displayRange, makeTile, rfBox, tileHalves, toDisplay } from '../../../src/analyses/atlas/patch.ts';
import { resolveNeurons, topVariance } from '../../../src/analyses/atlas/neurons.ts';
import { atlasGridShape, layoutInput, layoutSamples, windowOf } from '../../../src/analyses/atlas/layout.ts';
import { UserError } from '../../../src/core/errors.ts';
import { rgbImage } from '../../../src/data/image.ts';
import { GraphBuilder } from '../../../src/engine/onnx/builder.ts';
import { decodeModel } from '../../../src/engine/onnx/proto.ts';
import type { FaceModel } from '../../../src/models/face-model.ts';
import { loadDlibResnet } from '../../../src/models/builtin/dlib-resnet.ts';
import { mulberry32, randn } from '../../engine/helpers.ts';

const img150 = { width: 150, height: 150 };

test('rfBox: known receptive fields give the expected clipped boxes', () => {
  // dlib-resnet pool1: size 11, stride 4, offset 5 on a 35 x 35 map
  const pool1 = { size: 11, stride: 4, offset: 5 };
  let b = rfBox(pool1, 0, 35, img150);
  assert.deepEqual([b.row, b.col, b.centre], [0, 0, [5, 5]]);
  assert.deepEqual(b.full, { x0: 0, y0: 0, x1: 10, y1: 10 });
  assert.deepEqual(b.box, { x0: 0, y0: 0, x1: 10, y1: 10 });
  b = rfBox(pool1, 34 * 35 + 34, 35, img150); // last cell: centre 5 + 34*4 = 141
  assert.deepEqual(b.box, { x0: 136, y0: 136, x1: 146, y1: 146 });
  b = rfBox(pool1, 2 * 35 + 7, 35, img150); // row 2, col 7: centre (33, 13)
  assert.deepEqual([b.row, b.col], [2, 7]);
  assert.deepEqual(b.box, { x0: 28, y0: 8, x1: 38, y1: 18 });
  // res32: size 59 -> boxes cross the border and are clipped
  const res32 = { size: 59, stride: 4, offset: 5 };
  b = rfBox(res32, 0, 35, img150);
  assert.deepEqual(b.full, { x0: -24, y0: -24, x1: 34, y1: 34 });
  assert.deepEqual(b.box, { x0: 0, y0: 0, x1: 34, y1: 34 });
  b = rfBox(res32, 34 * 35, 35, img150); // bottom-left: centre (x 5, y 141)
  assert.deepEqual(b.full, { x0: -24, y0: 112, x1: 34, y1: 170 });
  assert.deepEqual(b.box, { x0: 0, y0: 112, x1: 34, y1: 149 });
  // larger than the image: the whole image
  b = rfBox({ size: 707, stride: 32, offset: 33 }, 5, 4, img150);
  assert.deepEqual(b.box, { x0: 0, y0: 0, x1: 149, y1: 149 });
  // even size with a half-pixel offset (2x2/2 pool on the input): exact pixel pairs
  b = rfBox({ size: 2, stride: 2, offset: 0.5 }, 1 * 8 + 3, 8, { width: 16, height: 16 });
  assert.deepEqual(b.box, { x0: 6, y0: 2, x1: 7, y1: 3 });
  // non-square image: clipped against its own width and height
  b = rfBox({ size: 9, stride: 4, offset: 2 }, 2 * 5 + 4, 5, { width: 18, height: 10 });
  assert.deepEqual(b.box, { x0: 14, y0: 6, x1: 17, y1: 9 });
});

test('display range: one min/max over the boxes of every map and all three channels', () => {
  const W = 4, H = 3, plane = W * H;
  const a = new Float32Array(3 * plane);
  const b = new Float32Array(3 * plane);
  a[0 * plane + 0] = -2; // in box A (channel R)
  b[2 * plane + 1 * W + 3] = 5; // in box B (channel B)
  a[1 * plane + 2 * W + 3] = 100; // outside box A: ignored
  b[0] = -50; // outside box B: ignored
  const boxA = { x0: 0, y0: 0, x1: 1, y1: 1 };
  const boxB = { x0: 2, y0: 1, x1: 3, y1: 2 };
  assert.deepEqual(displayRange([a, b], [boxA, boxB], W, H), { lo: -2, hi: 5 });
  assert.equal(toDisplay(-2, { lo: -2, hi: 5 }), 0);
  assert.equal(toDisplay(5, { lo: -2, hi: 5 }), 255);
  assert.equal(toDisplay(3, { lo: 3, hi: 3 }), 128);
});

test('tile composition: [patch | round(0.8 * rescaled projection + 0.2 * patch)] per pixel and channel', async () => {
  const W = 6, H = 5, plane = W * H;
  const rng = mulberry32(3);
  const face = rgbImage(W, H, Uint8Array.from({ length: plane * 3 }, () => Math.floor(rng() * 256)));
  const map = randn(rng, 3 * plane);
  const box = { x0: 1, y0: 2, x1: 4, y1: 4 };
  const range = { lo: -1.5, hi: 2.5 };
  const { patch, blend } = tileHalves(face, map, box, range);
  assert.deepEqual([patch.width, patch.height, blend.width, blend.height], [4, 3, 4, 3]);
  for (let y = 0; y < 3; y++)
    for (let x = 0; x < 4; x++)
      for (let c = 0; c < 3; c++) {
        const p = face.data[((y + 2) * W + x + 1) * 3 + c];
        const v = map[c * plane + (y + 2) * W + x + 1];
        const want = Math.min(255, Math.max(0, Math.round(0.8 * (((v - -1.5) / 4) * 255) + 0.2 * p)));
        assert.equal(patch.data[(y * 4 + x) * 3 + c], p);
        assert.equal(blend.data[(y * 4 + x) * 3 + c], want, `pixel (${x}, ${y}) channel ${c}`);
      }
  // A tile whose halves need no resizing is exactly [patch | blend].
  const sq = { x0: 0, y0: 0, x1: 4, y1: 4 };
  const tile = await makeTile(face, map, sq, range, 5);
  const h = tileHalves(face, map, sq, range);
  assert.deepEqual([tile.width, tile.height], [10, 5]);
  for (let y = 0; y < 5; y++) {
    assert.deepEqual(tile.data.subarray(y * 30, y * 30 + 15), h.patch.data.subarray(y * 15, y * 15 + 15));
    assert.deepEqual(tile.data.subarray(y * 30 + 15, y * 30 + 30), h.blend.data.subarray(y * 15, y * 15 + 15));
  }
  // Resized tiles have the common size, whatever the (clipped, non-square) box.
  for (const fit of ['contain', 'fill'] as const) {
    const t = await makeTile(face, map, box, range, 16, fit);
    assert.deepEqual([t.width, t.height, t.data.length], [32, 16, 32 * 16 * 3]);
  }
});

test('neuron specs: ranges, lists, all, top-variance, and clear errors', () => {
  assert.deepEqual(resolveNeurons('0-3,7', 10), [0, 1, 2, 3, 7]);
  assert.deepEqual(resolveNeurons('1,5,9', 10), [1, 5, 9]);
  assert.deepEqual(resolveNeurons(' 2 , 2,1 ', 10), [2, 1]);
  assert.deepEqual(resolveNeurons('all', 3), [0, 1, 2]);
  assert.deepEqual(resolveNeurons([4, 0], 5), [4, 0]);
  // 3 rows x 4 channels: variances 0, 8/3, 50/3, 0
  const values = new Float32Array([0, 1, 5, 2, 0, 3, -5, 2, 0, 5, 0, 2]);
  assert.deepEqual(topVariance(values, 3, 4, 2), [2, 1]);
  assert.deepEqual(resolveNeurons('top-variance:3', 4, { values, rows: 3 }), [2, 1, 0]); // tie 0 vs 3: lower index
  for (const [spec, msg] of [['5-2', /backwards/], ['x', /cannot read "x"/], ['0-10', /10 is outside 0\.\.9/], ['top-variance:0', /at least 1/]] as const) {
    assert.throws(() => resolveNeurons(spec, 10, { values: new Float32Array(10), rows: 1 }), (e: unknown) => e instanceof UserError && msg.test((e as Error).message));
  }
});

/** conv-relu-pool twice, as a FaceModel (only what layoutInput needs). */
function tinyVgg(): FaceModel {
  const g = new GraphBuilder('t');
  const rng = mulberry32(5);
  const x = g.input('x', ['N', 3, 16, 16]);
  let y = g.node('Conv', [x, g.weight('w1', [4, 3, 3, 3], randn(rng, 108))], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
  y = g.node('Relu', [y], {}, 'relu1');
  y = g.node('MaxPool', [y], { kernel_shape: [2, 2], strides: [2, 2] }, 'pool1');
  y = g.node('Conv', [y, g.weight('w2', [5, 4, 3, 3], randn(rng, 180))], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
  y = g.node('Relu', [y], {}, 'relu2');
  g.node('MaxPool', [y], { kernel_shape: [2, 2], strides: [2, 2] }, 'pool2');
  g.output('pool2', ['N', 5, 4, 4]);
  g.output('relu2', ['N', 5, 8, 8]);
  return {
    name: 't', description: '', inputSize: { width: 16, height: 16 }, inputName: 'x',
    preprocessing: { mean: [0, 0, 0], std: [1, 1, 1], channelOrder: 'RGB', layout: 'NCHW' },
    probes: [
      { name: 'pool2', tensor: 'pool2', kind: 'pool', shape: [5, 4, 4] },
      { name: 'relu2', tensor: 'relu2', kind: 'conv', shape: [5, 8, 8] },
    ],
    onnx: g.build(13), alignment: { name: 'none', size: 16, points: [] },
  };
}

test('layout input: the map under a pool (reference: pool5 <- conv5_3), skipping relu chains', () => {
  const m = tinyVgg();
  const li = layoutInput(m, m.probes[0]);
  assert.equal(li.tensor, 'relu2');
  assert.deepEqual(li.rf, { size: 2, stride: 2, offset: 0.5 });
  // relu2 = relu(conv(pool1)): the conv's input, not the conv's pre-relu output
  const lc = layoutInput(m, m.probes[1]);
  assert.equal(lc.tensor, 'pool1');
  assert.deepEqual(lc.rf, { size: 3, stride: 1, offset: 0 });
  assert.equal(layoutInput(m, m.probes[1], 1).margin, 1);
});

test('layout input of dlib-resnet stages: the input of the last residual block (5 x 5 cells)', async () => {
  const m = await loadDlibResnet();
  const nodes = decodeModel(m.onnx).graph!.node!;
  const convInput = (w: string) => nodes.find((n) => n.opType === 'Conv' && n.input![1] === w)!.input![0];
  for (const [layer, block] of [['res64', 'conv64_3'], ['res128', 'conv128_2'], ['res256', 'conv256_2']]) {
    const li = layoutInput(m, m.probes.find((p) => p.name === layer)!);
    assert.equal(li.tensor, convInput(`${block}/conv1/W`), layer);
    assert.deepEqual(li.rf, { size: 5, stride: 1, offset: 0 }, layer);
  }
  // vector layers: the whole input tensor
  const emb = layoutInput(m, m.probes.find((p) => p.name === 'embedding')!);
  assert.equal(emb.tensor, 'gap');
  assert.equal(emb.rf, undefined);
});

test('windowOf: the cells under the neuron, zero outside the map; margin widens it', () => {
  const map = Float32Array.from({ length: 2 * 9 }, (_, i) => i + 1); // [2, 3, 3]
  const li = { tensor: 't', rf: { size: 3, stride: 1, offset: 0 }, margin: 0, note: '' };
  const w = windowOf(map, [2, 3, 3], li, { row: 0, col: 0 });
  assert.deepEqual(w.shape, [2, 3, 3]);
  assert.deepEqual(Array.from(w.values), [0, 0, 0, 0, 1, 2, 0, 4, 5, 0, 0, 0, 0, 10, 11, 0, 13, 14]);
  const pool = { tensor: 't', rf: { size: 2, stride: 2, offset: 0.5 }, margin: 1, note: '' };
  const m4 = Float32Array.from({ length: 16 }, (_, i) => i); // [1, 4, 4]
  const wp = windowOf(m4, [1, 4, 4], pool, { row: 1, col: 0 }); // pool cell (1, 0) = rows 2-3, cols 0-1; + margin
  assert.deepEqual(wp.shape, [1, 4, 4]);
  assert.deepEqual(Array.from(wp.values), [0, 4, 5, 6, 0, 8, 9, 10, 0, 12, 13, 14, 0, 0, 0, 0]);
  assert.deepEqual(Array.from(windowOf(m4, [16], { ...li, rf: undefined }, { row: 0, col: 0 }).values), Array.from(m4));
});

test('layoutSamples: one grid cell per sample, 5 x 10 for 50 (reference figure), separated clusters apart', () => {
  assert.deepEqual(atlasGridShape(50), { cols: 5, rows: 10 });
  const rng = mulberry32(11);
  const windows = Array.from({ length: 50 }, (_, i) => {
    const v = randn(rng, 60, 0.1);
    v[0] += i < 25 ? 10 : -10;
    return v;
  });
  const lay = layoutSamples(windows, { seed: 1 });
  assert.equal(lay.pcaDims, 49);
  assert.equal(lay.perplexity, 16);
  const cells = new Set(lay.grid.col.map((c, i) => `${c},${lay.grid.row[i]}`));
  assert.equal(cells.size, 50);
  // the two clusters are linearly separated in the t-SNE plane: compare centroids' gap to spreads
  const cx = (lo: number) => lay.coords.slice(lo, lo + 25).reduce((s, c) => [s[0] + c[0] / 25, s[1] + c[1] / 25], [0, 0]);
  const [a, b] = [cx(0), cx(25)];
  const gap = Math.hypot(a[0] - b[0], a[1] - b[1]);
  const spread = Math.max(...lay.coords.map((c, i) => Math.hypot(c[0] - (i < 25 ? a : b)[0], c[1] - (i < 25 ? a : b)[1])));
  assert.ok(gap > spread, `gap ${gap} <= spread ${spread}`);
  // identical windows (e.g. a dead neuron) still get a layout
  const same = layoutSamples(Array.from({ length: 6 }, () => new Float32Array(4)));
  assert.equal(new Set(same.grid.col.map((c, i) => `${c},${same.grid.row[i]}`)).size, 6);
});
