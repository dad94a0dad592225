/**
 * Projections on a small random VGG-style net built here (conv 3x3 + relu + maxpool 2x2, two
 * blocks, then Flatten + MatMul): `deconv` against an independent deconvnet written with plain
 * loops (unpooling through switches, relu on the backward signal, transposed convolution), and
 * `guided` / `gradient` against tf.grad of a plain TF.js re-implementation of the net whose
 * relus carry the corresponding backward rule (tf.customGrad). Spatial (pool2) and vector (fc)
 * probes, RGB and BGR models.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { projectDetailed, project, type ProjectionMode } from '../../../src/analyses/atlas/projection.ts';
import { rgbImage, type RgbImage } from '../../../src/data/image.ts';
import { GraphBuilder } from '../../../src/engine/onnx/builder.ts';
import { initTf, tf } from '../../../src/engine/tfjs/backend.ts';
import { TfGraph } from '../../../src/engine/tfjs/graph.ts';
import type { FaceModel } from '../../../src/models/face-model.ts';
import { receptiveFields } from '../../../src/models/receptive-field.ts';
import { conv3x3, mulberry32, randn } from '../../engine/helpers.ts';

await initTf();

const S = 16; // input size
const C0 = 3, C1 = 4, C2 = 5, F = 6;
const H1 = S / 2, H2 = S / 4;
const rng = mulberry32(7);
const w1 = randn(rng, C1 * C0 * 9, 0.5);
const b1 = randn(rng, C1, 0.2);
const w2 = randn(rng, C2 * C1 * 9, 0.4);
const b2 = randn(rng, C2, 0.2);
const wfc = randn(rng, C2 * H2 * H2 * F, 0.3); // [80 x 6], row-major
const MEAN: [number, number, number] = [120, 110, 100];
const STD: [number, number, number] = [60, 50, 40];

function buildModel(order: 'RGB' | 'BGR'): FaceModel {
  const g = new GraphBuilder('tiny-vgg');
  const x = g.input('x', ['N', 3, S, S]);
  const conv = (inp: string, w: Float32Array, b: Float32Array, cin: number, cout: number, name: string) =>
    g.node('Conv', [inp, g.weight(`${name}/W`, [cout, cin, 3, 3], w), g.weight(`${name}/B`, [cout], b)], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
  let y = g.node('Relu', [conv(x, w1, b1, C0, C1, 'conv1')]);
  y = g.node('MaxPool', [y], { kernel_shape: [2, 2], strides: [2, 2] }, 'pool1');
  y = g.node('Relu', [conv(y, w2, b2, C1, C2, 'conv2')]);
  y = g.node('MaxPool', [y], { kernel_shape: [2, 2], strides: [2, 2] }, 'pool2');
  const flat = g.node('Flatten', [y], { axis: 1 });
  g.node('MatMul', [flat, g.weight('fc/W', [C2 * H2 * H2, F], wfc)], {}, 'fc');
  g.output('pool2', ['N', C2, H2, H2]);
  g.output('fc', ['N', F]);
  const onnx = g.build(13);
  const rf = receptiveFields(onnx, 'x');
  return {
    name: 'tiny-vgg',
    description: 'test net',
    inputSize: { width: S, height: S },
    inputName: 'x',
    preprocessing: { mean: MEAN, std: STD, channelOrder: order, layout: 'NCHW' },
    probes: [
      { name: 'pool2', tensor: 'pool2', kind: 'pool', shape: [C2, H2, H2], rf: rf.get('pool2') },
      { name: 'fc', tensor: 'fc', kind: 'fc', shape: [F] },
    ],
    onnx,
    alignment: { name: 'none', size: S, points: [] },
  };
}

function randomFace(seed: number): RgbImage {
  const r = mulberry32(seed);
  return rgbImage(S, S, Uint8Array.from({ length: S * S * 3 }, () => Math.floor(r() * 256)));
}
const faces = [1, 2, 3, 4, 5].map(randomFace);

/** The network's input for one face, written out here (not via toInputBatch). */
function netInput(face: RgbImage, order: 'RGB' | 'BGR'): Float32Array {
  const x = new Float32Array(3 * S * S);
  for (let c = 0; c < 3; c++) {
    const src = order === 'RGB' ? c : 2 - c;
    for (let p = 0; p < S * S; p++) x[c * S * S + p] = (face.data[p * 3 + src] - MEAN[src]) / STD[src];
  }
  return x;
}

// ---- the hand-written deconvnet (NCHW, one image, plain loops) ----
function convFwd(x: Float32Array, cin: number, cout: number, h: number, w: Float32Array, b: Float32Array): Float32Array {
  return Float32Array.from(conv3x3(x, cin, cout, h, h, w, b));
}
/** Transposed convolution: gradient w.r.t. the conv input of the upstream g. */
function convBack(g: Float32Array, cin: number, cout: number, h: number, w: Float32Array): Float32Array {
  const gx = new Float32Array(cin * h * h);
  for (let o = 0; o < cout; o++)
    for (let i = 0; i < h; i++)
      for (let j = 0; j < h; j++) {
        const v = g[(o * h + i) * h + j];
        if (v === 0) continue;
        for (let c = 0; c < cin; c++)
          for (let ki = 0; ki < 3; ki++)
            for (let kj = 0; kj < 3; kj++) {
              const yi = i + ki - 1, xj = j + kj - 1;
              if (yi >= 0 && yi < h && xj >= 0 && xj < h) gx[(c * h + yi) * h + xj] += w[((o * cin + c) * 3 + ki) * 3 + kj] * v;
            }
      }
  return gx;
}
/** 2x2/2 max pool; switches = first maximum in row-major order. */
function poolFwd(x: Float32Array, c: number, h: number): { y: Float32Array; sw: Int32Array } {
  const ho = h / 2;
  const y = new Float32Array(c * ho * ho);
  const sw = new Int32Array(c * ho * ho);
  for (let m = 0; m < c; m++)
    for (let i = 0; i < ho; i++)
      for (let j = 0; j < ho; j++) {
        let best = -Infinity, at = -1;
        for (let a = 0; a < 2; a++)
          for (let b = 0; b < 2; b++) {
            const k = (m * h + 2 * i + a) * h + 2 * j + b;
            if (x[k] > best) (best = x[k]), (at = k);
          }
        y[(m * ho + i) * ho + j] = best;
        sw[(m * ho + i) * ho + j] = at;
      }
  return { y, sw };
}
function unpool(g: Float32Array, sw: Int32Array, size: number): Float32Array {
  const out = new Float32Array(size);
  for (let k = 0; k < g.length; k++) out[sw[k]] += g[k];
  return out;
}
function reluBack(g: Float32Array, pre: Float32Array, rule: ProjectionMode): Float32Array {
  return g.map((v, k) => (rule === 'deconv' ? Math.max(v, 0) : rule === 'guided' ? Math.max(v, 0) * (pre[k] > 0 ? 1 : 0) : v * (pre[k] > 0 ? 1 : 0)));
}
const relu = (x: Float32Array) => x.map((v) => Math.max(v, 0));

/** Forward, pick the neuron's value (at `cell`, or the fc unit), back to the input. */
function handWritten(x: Float32Array, probe: 'pool2' | 'fc', neuron: number, cell: number, rule: ProjectionMode) {
  const z1 = convFwd(x, C0, C1, S, w1, b1);
  const p1 = poolFwd(relu(z1), C1, S);
  const z2 = convFwd(p1.y, C1, C2, H1, w2, b2);
  const p2 = poolFwd(relu(z2), C2, H1);
  let gp2 = new Float32Array(C2 * H2 * H2);
  let value: number;
  if (probe === 'pool2') {
    value = p2.y[neuron * H2 * H2 + cell];
    gp2[neuron * H2 * H2 + cell] = value;
  } else {
    value = 0;
    for (let i = 0; i < gp2.length; i++) value += p2.y[i] * wfc[i * F + neuron];
    gp2 = gp2.map((_, i) => wfc[i * F + neuron] * value);
  }
  let g = reluBack(unpool(gp2, p2.sw, C2 * H1 * H1), z2, rule);
  g = convBack(g, C1, C2, H1, w2);
  g = reluBack(unpool(g, p1.sw, C1 * S * S), z1, rule);
  return { grad: convBack(g, C0, C1, S, w1), value };
}

/** Argmax cell of a channel of pool2 (first maximum), from the hand-written forward. */
function argmaxCell(x: Float32Array, neuron: number): number {
  const p1 = poolFwd(relu(convFwd(x, C0, C1, S, w1, b1)), C1, S);
  const p2 = poolFwd(relu(convFwd(p1.y, C1, C2, H1, w2, b2)), C2, H1);
  let best = 0;
  for (let k = 1; k < H2 * H2; k++) if (p2.y[neuron * H2 * H2 + k] > p2.y[neuron * H2 * H2 + best]) best = k;
  return best;
}

/** The net in plain TF.js ops (NHWC) with the relu backward rule as a tf.customGrad. */
function tfReference(x: Float32Array, probe: 'pool2' | 'fc', neuron: number, cell: number, rule: 'guided' | 'gradient'): Float32Array {
  return tf.tidy(() => {
    const ruleRelu = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const v = args[0] as tf.Tensor;
      (args[1] as tf.GradSaveFunc)([v]);
      return {
        value: tf.relu(v),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const mask = tf.cast(tf.greater(saved[0], 0), 'float32');
          return rule === 'guided' ? tf.mul(tf.relu(dy), mask) : tf.mul(dy, mask);
        },
      };
    });
    const filt = (w: Float32Array, o: number, i: number) => tf.transpose(tf.tensor4d(w, [o, i, 3, 3]), [2, 3, 1, 0]) as tf.Tensor4D;
    const f1 = filt(w1, C1, C0);
    const f2 = filt(w2, C2, C1);
    const net = (xin: tf.Tensor4D): tf.Tensor => {
      const xh = tf.transpose(xin, [0, 2, 3, 1]) as tf.Tensor4D;
      const a1 = ruleRelu(tf.add(tf.conv2d(xh, f1, 1, 'same'), b1)) as tf.Tensor4D;
      const q1 = tf.maxPool(a1, 2, 2, 'valid');
      const a2 = ruleRelu(tf.add(tf.conv2d(q1, f2, 1, 'same'), b2)) as tf.Tensor4D;
      const q2 = tf.transpose(tf.maxPool(a2, 2, 2, 'valid'), [0, 3, 1, 2]); // NCHW
      if (probe === 'pool2') return tf.reshape(q2, [1, C2 * H2 * H2]);
      return tf.matMul(tf.reshape(q2, [1, C2 * H2 * H2]), tf.tensor2d(wfc, [C2 * H2 * H2, F]));
    };
    const xt = tf.tensor4d(x, [1, 3, S, S]);
    const idx = probe === 'pool2' ? neuron * H2 * H2 + cell : neuron;
    const value = net(xt).dataSync()[idx];
    const up = new Float32Array(probe === 'pool2' ? C2 * H2 * H2 : F);
    up[idx] = value; // upstream: the neuron's own forward value, zero elsewhere
    const loss = (xin: tf.Tensor) => tf.sum(tf.mul(net(xin as tf.Tensor4D), tf.tensor2d(up, [1, up.length]))) as tf.Scalar;
    return tf.grad(loss)(xt).dataSync() as Float32Array;
  });
}

/** Projection map (RGB order) -> network input channel order. */
function toNetOrder(map: Float32Array, order: 'RGB' | 'BGR'): Float32Array {
  if (order === 'RGB') return map;
  const out = new Float32Array(map.length);
  const plane = S * S;
  for (let c = 0; c < 3; c++) out.set(map.subarray((2 - c) * plane, (3 - c) * plane), c * plane);
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): { diff: number; scale: number } {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return { diff, scale };
}

for (const order of ['RGB', 'BGR'] as const) {
  const model = buildModel(order);
  const xs = faces.map((f) => netInput(f, order));

  for (const probe of ['pool2', 'fc'] as const) {
    test(`${order} model, ${probe}: deconv projection equals the hand-written deconvnet (1e-5)`, async () => {
      const graph = await TfGraph.fromOnnx(model.onnx);
      try {
        for (const neuron of [0, 4]) {
          const cells = xs.map((x) => (probe === 'pool2' ? argmaxCell(x, neuron) : 0));
          // batch 2: also checks that batches are split and reassembled in order
          const r = await projectDetailed({ graph, model, layer: probe, neuron, faces, cells, mode: 'deconv', batch: 2 });
          let nonzeroFaces = 0;
          xs.forEach((x, k) => {
            const ref = handWritten(x, probe, neuron, cells[k], 'deconv');
            assert.ok(Math.abs(r.values[k] - ref.value) <= 1e-5 * Math.max(1, Math.abs(ref.value)), `value ${r.values[k]} vs ${ref.value}`);
            const { diff, scale } = maxAbsDiff(toNetOrder(r.maps[k], order), ref.grad);
            assert.ok(diff <= 1e-5 * Math.max(1, scale), `face ${k} neuron ${neuron}: max |diff| ${diff} (scale ${scale})`);
            if (scale > 0) nonzeroFaces++;
          });
          assert.ok(nonzeroFaces >= 3, `only ${nonzeroFaces} faces have a non-zero projection`);
        }
        // The hand-written rules differ on this net, so a mode that was ignored would be noticed.
        const x = xs[0];
        const cell = argmaxCell(x, 0);
        const d = maxAbsDiff(handWritten(x, probe, 0, cell, 'deconv').grad, handWritten(x, probe, 0, cell, 'gradient').grad);
        assert.ok(d.diff > 1e-3 * d.scale, 'deconv and gradient agree on this net');
      } finally {
        graph.dispose();
      }
    });

    for (const mode of ['guided', 'gradient'] as const) {
      test(`${order} model, ${probe}: ${mode} projection equals tf.grad of a plain TF.js net (1e-5)`, async () => {
        const graph = await TfGraph.fromOnnx(model.onnx);
        try {
          const neuron = 1;
          const cells = xs.map((x) => (probe === 'pool2' ? argmaxCell(x, neuron) : 0));
          const maps = await project({ graph, model, layer: probe, neuron, faces, cells, mode });
          xs.forEach((x, k) => {
            const ref = tfReference(x, probe, neuron, cells[k], mode);
            const { diff, scale } = maxAbsDiff(toNetOrder(maps[k], order), ref);
            assert.ok(diff <= 1e-5 * Math.max(1, scale), `face ${k}: max |diff| ${diff} (scale ${scale})`);
            // and the loop version agrees too
            const hw = handWritten(x, probe, neuron, cells[k], mode).grad;
            assert.ok(maxAbsDiff(hw, ref).diff <= 1e-5 * Math.max(1, scale));
          });
        } finally {
          graph.dispose();
        }
      });
    }
  }
}

test('project rejects a cell outside the map and a neuron outside the layer', async () => {
  const model = buildModel('RGB');
  const graph = await TfGraph.fromOnnx(model.onnx);
  try {
    await assert.rejects(project({ graph, model, layer: 'pool2', neuron: 0, faces: [faces[0]], cells: [16], mode: 'deconv' }), /cell 16 outside/);
    await assert.rejects(project({ graph, model, layer: 'pool2', neuron: 5, faces: [faces[0]], cells: [0], mode: 'deconv' }), /neuron 5 outside/);
  } finally {
    graph.dispose();
  }
});
