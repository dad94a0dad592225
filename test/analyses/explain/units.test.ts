import assert from 'node:assert/strict';
import { test } from 'node:test';
import { orderFromMap, randomOrder, trapezoidAuc } from '../../../src/analyses/explain/faithfulness.js';
import { gradientMaps, pasteRect, patchOffsets } from '../../../src/analyses/explain/maps.js';
import { parsePairsText } from '../../../src/analyses/explain/pairs.js';
import { cosineUpstream } from '../../../src/analyses/explain/scorer.js';
import { parseVerifyThresholds } from '../../../src/analyses/explain/thresholds.js';
import { rgbImage } from '../../../src/data/image.js';
import { UserError } from '../../../src/core/errors.js';

test('pairs files: LFW lines, CSV lines, headers, and clear errors naming file:line', () => {
  const lfw = parsePairsText('2\t300\nAbel_Pacheco\t1\t4\nA_B\t2\tC_D\t10\n', '/d/pairs.txt', '/img');
  assert.deepEqual(lfw.map((p) => [p.a, p.b, p.same]), [
    ['/img/Abel_Pacheco/Abel_Pacheco_0001.jpg', '/img/Abel_Pacheco/Abel_Pacheco_0004.jpg', true],
    ['/img/A_B/A_B_0002.jpg', '/img/C_D/C_D_0010.jpg', false],
  ]);
  const csv = parsePairsText('a,b,label\nx/1.jpg,/abs/2.png,same\n3.jpg,4.jpg\n', '/d/list.csv', '/img');
  assert.deepEqual(csv.map((p) => [p.a, p.b, p.same]), [['/d/x/1.jpg', '/abs/2.png', true], ['/d/3.jpg', '/d/4.jpg', undefined]]);
  assert.throws(() => parsePairsText('Abel\t1\n', '/d/p.txt', '/i'), (e: unknown) => e instanceof UserError && /\/d\/p\.txt:1: not a pair line/.test(e.message));
  assert.throws(() => parsePairsText('a.jpg,b.jpg,maybe\n', '/d/p.csv', '/i'), /p\.csv:1: label must be/);
  assert.throws(() => parsePairsText('\n# nothing\n', '/d/p.csv', '/i'), /no pairs/);
});

test('verify summary thresholds: threshold, fold-median fallback, wrong model and non-summaries refused', () => {
  const text = JSON.stringify({
    command: 'verify',
    parameters: { model: 'dlib-resnet' },
    layers: [
      { layer: 'embedding', threshold: 0.91, accuracy_mean: 0.99 },
      { layer: 'gap', fold_thresholds: [0.5, 0.7, null] },
      { layer: 'pool1' },
    ],
  });
  const t = parseVerifyThresholds(text, 's.json', 'dlib-resnet');
  assert.equal(t.get('embedding')!.threshold, 0.91);
  assert.equal(t.get('gap')!.threshold, 0.6);
  assert.equal(t.get('gap')!.source, 'median of fold_thresholds');
  assert.equal(t.has('pool1'), false);
  assert.throws(() => parseVerifyThresholds(text, 's.json', 'faceres'), /verify summary of model dlib-resnet/);
  assert.throws(() => parseVerifyThresholds('{"command":"sweep"}', 's.json'), /not a facelens verify summary/);
  assert.throws(() => parseVerifyThresholds('{', 's.json'), /s\.json: not JSON/);
});

test('cosine upstream is the analytic gradient of cos(a, b) w.r.t. a (finite differences)', () => {
  const a = [0.3, -1.2, 2.0, 0.5];
  const b = [1.0, 0.4, -0.7, 2.2];
  const cos = (x: number[]) => {
    const d = x.reduce((s, v, i) => s + v * b[i]!, 0);
    return d / (Math.hypot(...x) * Math.hypot(...b));
  };
  const g = cosineUpstream(a, b);
  for (let i = 0; i < a.length; i++) {
    const h = 1e-6;
    const up = [...a], dn = [...a];
    up[i] += h;
    dn[i] -= h;
    assert.ok(Math.abs((cos(up) - cos(dn)) / (2 * h) - g[i]!) < 1e-6, `component ${i}`);
  }
  // Scaling a does not change the cosine: the gradient is orthogonal to a.
  assert.ok(Math.abs(a.reduce((s, v, i) => s + v * g[i]!, 0)) < 1e-6);
  assert.deepEqual([...cosineUpstream([0, 0], [1, 2])], [0, 0]);
});

test('patch offsets cover the border; paste copies exactly the rectangle', () => {
  assert.deepEqual(patchOffsets(150, 24, 8).slice(-2), [120, 126]);
  assert.deepEqual(patchOffsets(10, 5, 5), [0, 5]);
  assert.deepEqual(patchOffsets(10, 10, 3), [0]);
  assert.throws(() => patchOffsets(10, 11, 1), RangeError);
  const face = rgbImage(4, 4, new Uint8Array(48).fill(10));
  const fill = rgbImage(4, 4, new Uint8Array(48).fill(200));
  const out = pasteRect(face, fill, { x0: 1, y0: 2, x1: 3, y1: 4 });
  const changed = [];
  for (let i = 0; i < 16; i++) if (out.data[i * 3] === 200) changed.push(i);
  assert.deepEqual(changed, [9, 10, 13, 14]);
});

test('map orders, random orders and AUC', () => {
  assert.deepEqual([...orderFromMap([0.1, 0.5, 0.5, -1])], [1, 2, 0, 3], 'highest first, ties by index');
  const r = randomOrder(100, 's');
  assert.deepEqual([...r].sort((x, y) => x - y), Array.from({ length: 100 }, (_, i) => i), 'a permutation');
  assert.deepEqual(randomOrder(100, 's'), r);
  assert.notDeepEqual(randomOrder(100, 't'), r);
  assert.equal(trapezoidAuc([1, 1, 1]), 1);
  assert.equal(trapezoidAuc([1, 0]), 0.5);
  assert.ok(Math.abs(trapezoidAuc([0, 0.25, 1]) - 0.375) < 1e-12);
});

test('gradient maps: |g| summed over RGB, and g x (p - mean)', () => {
  const grad = Float32Array.from([1, -2, 3, 0, 0, -1]);
  const centred = Float32Array.from([2, 2, 2, 5, 5, 5]);
  const m = gradientMaps({ grad, centred, similarity: 0 });
  assert.deepEqual([...m.gradient], [6, 1]);
  assert.deepEqual([...m.gradInput], [4, -5]);
});

test('region split: signed sums inside / outside rows, share of the positive sums, equals the positive-mass share for a non-negative map', async () => {
  const { regionSplit, positiveMassShare } = await import('../../../src/analyses/explain/explain.js');
  // 2 x 3 map, width 2: rows 0..1 inside.
  const signed = [1, 2, -0.5, 0.5, -4, 1];
  const r = regionSplit(signed, 2, 0, 2);
  assert.ok(Math.abs(r.inside - 3) < 1e-12 && Math.abs(r.outside - -3) < 1e-12);
  assert.equal(r.share, 1, 'the rest lowers the score: all the positive sum is inside');
  assert.ok(Math.abs(r.positiveShare - 3.5 / 4.5) < 1e-12);
  const lower = regionSplit(signed, 2, 2, 3);
  assert.equal(lower.share, 0);
  const pos = [1, 2, 3, 4, 5, 6];
  const p = regionSplit(pos, 2, 0, 1);
  assert.ok(Math.abs(p.share - 3 / 21) < 1e-12);
  assert.equal(p.share, positiveMassShare(pos, 2, 0, 1));
  assert.ok(Number.isNaN(regionSplit([-1, -1], 2, 0, 1).share), 'nothing raises the score: undefined');
});

test('CAM resize: constant grids stay constant, cell centres keep their values, values stay within the grid range', async () => {
  const { resizeBilinear } = await import('../../../src/analyses/explain/layer-cam.js');
  assert.ok(resizeBilinear([2, 2, 2, 2], 2, 2, 6, 6).every((v) => v === 2));
  // 2 x 2 cells over 8 x 8 pixels: cell (0, 0) is centred between pixels 1 and 2; the corner pixels take the corner cells.
  const g = [0, 1, 2, 3];
  const r = resizeBilinear(g, 2, 2, 8, 8);
  assert.equal(r[0], 0);
  assert.equal(r[63], 3);
  assert.ok(r.every((v) => v >= 0 && v <= 3));
  // Upper rows keep the upper cells' mean: rows 0..1 are the top cells exactly (clamped).
  assert.ok(Math.abs(r[0 * 8 + 7]! - 1) < 1e-6 && Math.abs(r[1 * 8 + 7]! - 1) < 1e-6);
});
