import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it, test } from 'node:test';
import { invariance, transformFace, transformMatrix } from '../../../src/analyses/probes/invariance.js';
import { rangeValues, rowCosineDistance } from '../../../src/analyses/probes/shared.js';
import { jsonSafe } from '../../../src/results/summary.js';
import { cosineDistance } from '../../../src/analyses/metrics/cosine.js';
import { applyTransform } from '../../../src/data/align.js';
import { openDataset } from '../../../src/data/datasets/index.js';
import { loadModel } from '../../../src/models/registry.js';
import { centroid, dotImage, HAVE_LFW, LFW_DIR, NO_DATA, noiseImage, tempDir } from './helpers.js';
import { randomMatrix, rng } from '../metrics/helpers.js';

test('rowCosineDistance: a feature with itself is exactly 0; otherwise equals 1 - cos (cosine.ts)', () => {
  const r = rng('cos');
  const m = randomMatrix(6, 300, r);
  for (let i = 0; i < m.rows; i++) assert.equal(rowCosineDistance(m, i, m, i), 0);
  for (let i = 0; i < m.rows; i++) {
    for (let j = 0; j < m.rows; j++) {
      const ref = cosineDistance(m.data.subarray(i * 300, (i + 1) * 300), m.data.subarray(j * 300, (j + 1) * 300));
      assert.ok(Math.abs(rowCosineDistance(m, i, m, j) - ref) < 1e-12, `${i},${j}`);
    }
  }
  // Scaling a vector changes nothing; the opposite vector is at distance 2.
  const a = { data: Float32Array.from([1, 2, 3, 2, 4, 6, -1, -2, -3]), rows: 3, cols: 3 };
  assert.ok(rowCosineDistance(a, 0, a, 1) < 1e-15);
  assert.ok(Math.abs(rowCosineDistance(a, 0, a, 2) - 2) < 1e-15);
  const z = { data: Float32Array.from([0, 0, 0, 1, 0, 0]), rows: 2, cols: 3 };
  assert.equal(rowCosineDistance(z, 0, z, 0), 0, 'both zero -> 0');
  assert.equal(rowCosineDistance(z, 0, z, 1), 1, 'one zero -> 1');
});

test('rangeValues and jsonSafe', () => {
  assert.deepEqual(rangeValues(0.5, 1.5, 0.1), [0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.1, 1.2, 1.3, 1.4, 1.5]);
  assert.deepEqual(rangeValues(-60, 60, 10).length, 13);
  const replaced: string[] = [];
  assert.deepEqual(jsonSafe({ a: [1, NaN], b: Float64Array.from([Infinity]) }, replaced), { a: [1, null], b: [null] });
  assert.deepEqual(replaced, ['$.a[1] (NaN)', '$.b[0] (Infinity)']);
});

describe('transform geometry', () => {
  it('translating by k px moves a known pixel by k px (down for k > 0), both border modes', () => {
    for (const border of ['replicate', 'black'] as const) {
      for (const k of [10, -20, 37]) {
        const out = transformFace(dotImage(150, 40, 70), 'translate_y', k, border);
        const lit: number[] = [];
        for (let i = 0; i < 150 * 150; i++) if (out.data[i * 3]! > 0) lit.push(i);
        assert.deepEqual(lit, [(70 + k) * 150 + 40], `${border} k=${k}`);
        assert.equal(out.data[((70 + k) * 150 + 40) * 3], 255);
      }
    }
  });

  it('rotation by 0 and scale 1 (and translation 0) are the identity, byte for byte', () => {
    const img = noiseImage(150, 150, 7);
    for (const [kind, v] of [['rotate', 0], ['scale', 1], ['translate_y', 0]] as const) {
      assert.deepEqual(transformFace(img, kind, v).data, img.data, kind);
    }
  });

  it('rotation is about the crop centre, counter-clockwise as displayed for positive angles', () => {
    // Pixel (100, 75) (centre 100.5, 75.5) is right of the crop centre (75, 75); +90 deg takes it
    // above the centre: (75.5, 49.5), i.e. pixel (75, 49).
    const out = transformFace(dotImage(150, 100, 75), 'rotate', 90, 'black');
    assert.equal(out.data[(49 * 150 + 75) * 3], 255);
    const [cx, cy] = centroid(out);
    assert.ok(Math.abs(cx - 75.5) < 1e-6 && Math.abs(cy - 49.5) < 1e-6, `${cx},${cy}`);
    const M = transformMatrix('rotate', 37, 150);
    const c = applyTransform(M, [75, 75]);
    assert.ok(Math.abs(c[0] - 75) < 1e-12 && Math.abs(c[1] - 75) < 1e-12, 'centre fixed');
  });

  it('scale s moves a point at distance d from the centre to distance s*d', () => {
    // A 4x4 block centred at (95, 75): 20 px right of the centre; at scale 1.5 its centroid is 30 px right.
    const img = dotImage(150, 0, 0, 0);
    for (let y = 73; y < 77; y++) for (let x = 93; x < 97; x++) img.data.fill(200, (y * 150 + x) * 3, (y * 150 + x) * 3 + 3);
    const [cx, cy] = centroid(transformFace(img, 'scale', 1.5, 'black'));
    assert.ok(Math.abs(cx - 105) < 0.3 && Math.abs(cy - 75) < 0.3, `${cx},${cy}`);
  });
});

describe('invariance on a real face', () => {
  let dir = '';
  let cleanup = async () => {};
  before(async () => ({ dir, cleanup } = await tempDir()));
  after(() => cleanup());

  it('distance at the zero transform is exactly 0 for every layer, > 0 otherwise; files written', async (t) => {
    if (!HAVE_LFW) return t.skip(NO_DATA);
    const model = await loadModel('dlib-resnet');
    const dataset = await openDataset(join(LFW_DIR, 'images', 'Jennifer_Garner', 'Jennifer_Garner_0007.jpg'));
    const r = await invariance({
      model,
      dataset,
      out: dir,
      ranges: { translate_y: [-10, 0, 10], rotate: [0, 15], scale: [1, 1.2] },
      plots: false,
      detect: false, // a centred LFW crop; skips loading the detector (the property is about features)
      cache: false,
    });
    assert.equal(r.images.length, 1);
    assert.equal(r.images[0]!.crop, 'centre (--no-detect)');
    for (const c of r.transforms) {
      const zero = c.values.indexOf(c.transform === 'scale' ? 1 : 0);
      assert.ok(zero >= 0);
      assert.equal(c.layers.length, model.probes.length);
      for (const l of c.layers) {
        assert.equal(l.perImage[0]![zero], 0, `${c.transform} ${l.layer} at identity`);
        assert.equal(l.mean[zero], 0);
        c.values.forEach((_, k) => {
          if (k !== zero) assert.ok(l.perImage[0]![k]! > 1e-6, `${c.transform}=${c.values[k]} ${l.layer} should move the features`);
        });
      }
    }
    const summary = JSON.parse(await readFile(r.files.summary, 'utf8'));
    assert.equal(summary.parameters.borderFill.split(':')[0], 'replicate');
    assert.deepEqual(summary.parameters.transforms.translate_y.values, [-10, 0, 10]);
    const csv = (await readFile(r.files.csv, 'utf8')).trim().split('\n');
    assert.equal(csv.length, 1 + 8 * model.probes.length, '7 transform values + the between-images row per layer');
  });
});
