import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it, test } from 'node:test';
import {
  applyMask, correspondence, interOcular, maskCentre, partCentre, PARTS, planMasks, squareMask,
} from '../../../src/analyses/probes/correspondence.js';
import { collectFaces } from '../../../src/analyses/probes/shared.js';
import { readCfp } from '../../../src/data/datasets/index.js';
import type { Point } from '../../../src/data/detector.js';
import { loadModel } from '../../../src/models/registry.js';
import { CFP_DIR, changedPixels, HAVE_CFP, NO_DATA, noiseImage, syntheticLandmarks, tempDir } from './helpers.js';

const GREY: [number, number, number] = [128, 128, 128];

/** Bounding box [x0, y0, x1, y1) of the pixels that masking changed. */
function bbox(px: [number, number][]): [number, number, number, number] {
  return [Math.min(...px.map((p) => p[0])), Math.min(...px.map((p) => p[1])), Math.max(...px.map((p) => p[0])) + 1, Math.max(...px.map((p) => p[1])) + 1];
}

/** Checks, on the masked pixels themselves, that part masks sit on their landmarks and random masks agree across images. */
function checkPlan(landmarks: Point[][], size: number): void {
  const plan = planMasks(landmarks, size, { scale: 0.5, draws: 3, seed: 's' });
  const iods = landmarks.map(interOcular);
  assert.ok(Math.abs(plan.side - 0.5 * plan.interOcularMedian) <= 0.5);
  assert.ok(plan.interOcularMedian >= Math.min(...iods) && plan.interOcularMedian <= Math.max(...iods));
  const faces = landmarks.map((_, i) => noiseImage(size, size, 100 + i));
  landmarks.forEach((lm, i) => {
    for (const p of PARTS) {
      const masked = applyMask(faces[i]!, plan.parts[i]![p], GREY);
      const [x0, y0, x1, y1] = bbox(changedPixels(faces[i]!, masked));
      assert.equal(x1 - x0, plan.side, `${p} width`);
      assert.equal(y1 - y0, plan.side, `${p} height`);
      // Landmark centre of the part, computed here independently of partCentre's index table.
      const idx = { left_eye: [36, 41], right_eye: [42, 47], nose: [27, 35], mouth: [48, 67] }[p];
      const pts = lm.slice(idx[0], idx[1]! + 1);
      const cx = pts.reduce((s, q) => s + q[0], 0) / pts.length;
      const cy = pts.reduce((s, q) => s + q[1], 0) / pts.length;
      const mx = (x0 + x1) / 2, my = (y0 + y1) / 2;
      assert.ok(Math.hypot(mx - cx, my - cy) <= 2, `image ${i} ${p}: mask centre (${mx}, ${my}) vs landmarks (${cx.toFixed(1)}, ${cy.toFixed(1)})`);
    }
  });
  assert.equal(plan.random.length, 3);
  for (let d = 0; d < plan.random.length; d++) {
    const boxes = faces.map((f, i) => bbox(changedPixels(f, applyMask(f, plan.random[d]![i]!, GREY))));
    for (const b of boxes) {
      assert.deepEqual(b, boxes[0], `draw ${d}: same position in every image`);
      assert.equal(b[2] - b[0], plan.side);
      assert.equal(b[3] - b[1], plan.side);
    }
  }
  const where = plan.random.map((r) => `${r[0]!.x0},${r[0]!.y0}`);
  assert.ok(new Set(where).size > 1, 'draws differ from each other');
  for (const r of plan.random.flat()) {
    const [rx0, ry0, rx1, ry1] = plan.faceRegion;
    assert.ok(r.x0 >= Math.floor(rx0) && r.x1 <= Math.ceil(rx1) && r.y0 >= Math.floor(ry0) && r.y1 <= Math.ceil(ry1), 'inside the face region');
  }
  // The per-image control: same size, positions differ between images.
  const alt = planMasks(landmarks, size, { scale: 0.5, draws: 3, seed: 's', randomPlacement: 'per-image' });
  for (const row of alt.random) {
    for (const r of row) assert.equal(r.x1 - r.x0, plan.side);
    assert.ok(new Set(row.map((r) => `${r.x0},${r.y0}`)).size > 1, 'per-image positions differ');
  }
}

test('masks land on their landmarks; random masks: same size, same place in every image of a draw (synthetic landmarks)', () => {
  checkPlan([syntheticLandmarks(), syntheticLandmarks(3, -2), syntheticLandmarks(-4, 5)], 150);
});

test('squareMask / maskCentre / partCentre basics', () => {
  const lm = syntheticLandmarks();
  assert.deepEqual(partCentre(lm, 'left_eye').map((v) => +v.toFixed(9)), [51.5, 55]);
  const r = squareMask([51.5, 55], 24, 150);
  assert.deepEqual(r, { x0: 40, y0: 43, x1: 64, y1: 67 });
  assert.deepEqual(maskCentre(r), [52, 55]);
  assert.deepEqual(squareMask([2, 148], 10, 150), { x0: 0, y0: 143, x1: 7, y1: 150 }, 'clipped to the crop');
  // Same seed -> same draws; different seed -> different draws.
  const a = planMasks([lm, lm], 150, { seed: 1 }).random;
  assert.deepEqual(planMasks([lm, lm], 150, { seed: 1 }).random, a);
  assert.notDeepEqual(planMasks([lm, lm], 150, { seed: 2 }).random, a);
});

describe('correspondence on real CFP frontal faces', () => {
  let dir = '';
  let cleanup = async () => {};
  before(async () => ({ dir, cleanup } = await tempDir()));
  after(() => cleanup());

  it('masks sit on detected landmarks; Table I rows, Delta in [0, 1], files written', async (t) => {
    if (!HAVE_CFP) return t.skip(NO_DATA);
    const model = await loadModel('dlib-resnet');
    const dataset = await readCfp(CFP_DIR);
    dataset.items = dataset.items.filter((it) => it.label === 'frontal' && ['001', '002', '003'].includes(it.identity!) && it.id.endsWith('/01.jpg'));
    assert.equal(dataset.items.length, 3);
    const cacheDir = join(dir, 'cache');
    const got = await collectFaces(dataset.items, model.alignment, { cacheDir, fallback: 'skip' });
    assert.equal(got.faces.length, 3);
    checkPlan(got.faces.map((f) => f.landmarks!), model.alignment.size);

    const r = await correspondence({ model, dataset, out: join(dir, 'out'), layers: 'pool1,res128,embedding', draws: 2, cacheDir });
    assert.deepEqual(r.images, dataset.items.map((it) => it.id));
    assert.deepEqual(r.rows.map((x) => x.mask), [...PARTS, 'random', 'random#0', 'random#1']);
    for (const row of r.rows) {
      assert.deepEqual(row.layers.map((c) => c.layer), ['pool1', 'res128', 'embedding']);
      for (const c of row.layers) {
        for (const v of [c.delta_mean, c.exclude_mean, c.zeroFraction]) assert.ok(v >= 0 && v <= 1, `${row.mask} ${c.layer}: ${v}`);
        assert.ok(c.delta_std >= 0);
      }
    }
    // A mask changes only part of pool1 (eps exactly 0 elsewhere) but every embedding dimension.
    const eye = r.rows[0]!.layers;
    assert.ok(eye[0]!.zeroFraction > 0.5, `pool1 zero fraction ${eye[0]!.zeroFraction}`);
    assert.ok(eye[2]!.zeroFraction < 0.05, `embedding zero fraction ${eye[2]!.zeroFraction}`);
    // The pooled random row's mean is the mean of the per-draw means (equal pair counts).
    for (let l = 0; l < 3; l++) {
      const m = (r.rows[5]!.layers[l]!.delta_mean + r.rows[6]!.layers[l]!.delta_mean) / 2;
      assert.ok(Math.abs(r.rows[4]!.layers[l]!.delta_mean - m) < 1e-12);
    }
    const summary = JSON.parse(await readFile(r.files.summary, 'utf8'));
    assert.equal(summary.parameters.signZeroRule.main, 'zero');
    assert.equal(summary.parameters.randomMasks.sameLocationForAllImages, true);
    assert.deepEqual(summary.masks.random[1][0], summary.masks.random[1][2]);
    assert.ok((await stat(r.files.sheet!)).size > 1000);
    assert.match(await readFile(r.files.markdown, 'utf8'), /random, shared position \(2 draws pooled\)/);
  });
});
