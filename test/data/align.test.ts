import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  alignFace,
  applyTransform,
  centreCrop,
  fivePoints,
  invertAffine,
  similarityTransform,
  templateEyeCentres,
  templateSourcePoints,
  warpAffine,
  type Mat2x3,
} from '../../src/data/align.js';
import type { Point } from '../../src/data/detector.js';
import type { AlignmentTemplate } from '../../src/models/face-model.js';
import { rgbImage } from '../../src/data/image.js';
import { DLIB_150_TEMPLATE } from '../../src/models/templates.js';
import { noiseImage } from './helpers.js';

function similarity(theta: number, s: number, tx: number, ty: number): Mat2x3 {
  const a = s * Math.cos(theta);
  const b = s * Math.sin(theta);
  return [
    [a, -b, tx],
    [b, a, ty],
  ];
}

function assertMatClose(got: Mat2x3, want: Mat2x3, tol: number) {
  for (let r = 0; r < 2; r++)
    for (let c = 0; c < 3; c++)
      assert.ok(Math.abs(got[r][c] - want[r][c]) <= tol, `M[${r}][${c}] = ${got[r][c]}, want ${want[r][c]}`);
}

const SRC: Point[] = [
  [103.2, 110.7],
  [148.9, 108.1],
  [127.5, 140.3],
  [108.8, 162.0],
  [146.1, 160.4],
];

describe('similarityTransform', () => {
  it('recovers a known rotation + scale + translation to 1e-9', () => {
    for (const [theta, s, tx, ty] of [
      [0.3, 1.7, 12.5, -3.25],
      [-2.9, 0.42, -80, 301.5],
      [0, 1, 0, 0],
    ]) {
      const M = similarity(theta, s, tx, ty);
      const dst = SRC.map((p) => applyTransform(M, p));
      assertMatClose(similarityTransform(SRC, dst), M, 1e-9);
      // Weights do not matter when the fit is exact.
      assertMatClose(similarityTransform(SRC, dst, [3, 2, 0.1, 1, 1]), M, 1e-9);
    }
  });

  it('is the least-squares solution (perturbing it raises the error) and never reflects', () => {
    const dst: Point[] = SRC.map(([x, y], i) => [x * 0.9 + 5 + ((i * 7) % 3), y * 1.1 - 2 - ((i * 5) % 4)]);
    const M = similarityTransform(SRC, dst);
    const err = (m: Mat2x3) => SRC.reduce((e, p, i) => e + (applyTransform(m, p)[0] - dst[i][0]) ** 2 + (applyTransform(m, p)[1] - dst[i][1]) ** 2, 0);
    const e0 = err(M);
    for (const [r, c] of [[0, 0], [1, 0], [0, 2], [1, 2]] as const) {
      for (const d of [1e-3, -1e-3]) {
        const P = structuredClone(M);
        P[r][c] += d;
        if (r === 0 && c === 0) P[1][1] += d; // keep it a similarity
        if (r === 1 && c === 0) P[0][1] -= d;
        assert.ok(err(P) > e0, `perturbing M[${r}][${c}] by ${d} should not lower the error`);
      }
    }
    // Mirror-image destination: the best proper similarity still has positive determinant.
    const mirrored = SRC.map(([x, y]) => [-x, y] as Point);
    const R = similarityTransform(SRC, mirrored);
    assert.ok(R[0][0] * R[1][1] - R[0][1] * R[1][0] >= 0);
  });

  it('rejects degenerate input', () => {
    assert.throws(() => similarityTransform([[1, 1], [1, 1]], [[0, 0], [1, 1]]), /coincident/);
    assert.throws(() => similarityTransform([[1, 1]], [[0, 0]]), /need >= 2/);
  });
});

describe('warpAffine', () => {
  it('identity reproduces the input exactly', () => {
    const img = noiseImage(37, 37, 3);
    const out = warpAffine(img, [[1, 0, 0], [0, 1, 0]], 37);
    assert.deepEqual(out.data, img.data);
  });

  it('integer translation shifts pixels; borders are constant fill or replicated edge', () => {
    const img = noiseImage(20, 20, 5);
    const M: Mat2x3 = [[1, 0, 3], [0, 1, -2]]; // source (x, y) -> (x + 3, y - 2)
    const out = warpAffine(img, M, 20, { fill: [1, 2, 3] });
    const px = (im: typeof img, x: number, y: number) => [...im.data.subarray((y * im.width + x) * 3, (y * im.width + x) * 3 + 3)];
    assert.deepEqual(px(out, 10, 5), px(img, 7, 7));
    assert.deepEqual(px(out, 0, 0), [1, 2, 3]); // comes from x = -3: outside
    assert.deepEqual(px(out, 5, 19), [1, 2, 3]); // comes from y = 21: outside
    const rep = warpAffine(img, M, 20, { border: 'replicate' });
    assert.deepEqual(px(rep, 0, 0), px(img, 0, 2));
    assert.deepEqual(px(rep, 5, 19), px(img, 2, 19));
  });

  it('maps point p of the source to M p of the output (pixel-centre convention)', () => {
    // A single bright pixel at source (12, 7) = centre (12.5, 7.5); scale 2 about the origin.
    const img = rgbImage(30, 30);
    img.data.fill(255, (7 * 30 + 12) * 3, (7 * 30 + 12) * 3 + 3);
    const out = warpAffine(img, [[2, 0, 0], [0, 2, 0]], 60);
    // Intensity-weighted centroid of the output should sit at (25, 15).
    let sx = 0, sy = 0, sw = 0;
    for (let y = 0; y < 60; y++)
      for (let x = 0; x < 60; x++) {
        const w = out.data[(y * 60 + x) * 3];
        sx += w * (x + 0.5);
        sy += w * (y + 0.5);
        sw += w;
      }
    assert.ok(Math.abs(sx / sw - 25) < 1e-9 && Math.abs(sy / sw - 15) < 1e-9, `centroid ${sx / sw}, ${sy / sw}`);
  });

  it('invertAffine inverts', () => {
    const M = similarity(0.7, 1.3, 4, -9);
    const I = invertAffine(M);
    const p: Point = [3.5, -8.25];
    const q = applyTransform(I, applyTransform(M, p));
    assert.ok(Math.abs(q[0] - p[0]) < 1e-12 && Math.abs(q[1] - p[1]) < 1e-12);
  });
});

describe('fivePoints / alignFace / centreCrop', () => {
  it('fivePoints takes eye means, nose tip 30 and mouth corners 48, 54', () => {
    const lm: Point[] = Array.from({ length: 68 }, (_, i) => [i, 2 * i]);
    assert.deepEqual(fivePoints(lm), [[38.5, 77], [44.5, 89], [30, 60], [48, 96], [54, 108]]);
    assert.throws(() => fivePoints(lm.slice(0, 5)), /68/);
  });

  it('alignFace puts synthetic landmarks exactly on the template (landmark-indexed and five-point)', () => {
    const five: AlignmentTemplate = { name: 'five', size: 150, points: [[52, 55], [98, 55], [75, 82], [56, 104], [94, 104]] };
    for (const T of [DLIB_150_TEMPLATE, five]) {
      // Landmarks of a "face" = the template mapped by a known similarity into a 400x300 image.
      const S = similarity(-0.4, 2.2, 120, 40);
      const lm: Point[] = Array.from({ length: 68 }, () => [0, 0]);
      if (T.landmarks) {
        T.landmarks.forEach((k, i) => (lm[k] = applyTransform(S, T.points[i])));
      } else {
        for (let i = 36; i <= 41; i++) lm[i] = applyTransform(S, T.points[0]);
        for (let i = 42; i <= 47; i++) lm[i] = applyTransform(S, T.points[1]);
        lm[30] = applyTransform(S, T.points[2]);
        lm[48] = applyTransform(S, T.points[3]);
        lm[54] = applyTransform(S, T.points[4]);
      }
      const img = noiseImage(400, 300, 9);
      const al = alignFace(img, lm, T);
      assert.equal(al.face.width, 150);
      assert.equal(al.face.height, 150);
      assertMatClose(al.matrix, invertAffine(S), 1e-9);
      const fitted = templateSourcePoints(al.landmarks, T);
      fitted.forEach((p, i) => assert.ok(Math.hypot(p[0] - T.points[i][0], p[1] - T.points[i][1]) < 1e-9, `${T.name} point ${i}`));
    }
  });

  it('template eye centres: dlib corners average to the eye centres, five-point uses its first two points', () => {
    const [l, r] = templateEyeCentres(DLIB_150_TEMPLATE);
    const p = DLIB_150_TEMPLATE.points;
    assert.deepEqual(l, [(p[0][0] + p[1][0]) / 2, (p[0][1] + p[1][1]) / 2]);
    assert.deepEqual(r, [(p[2][0] + p[3][0]) / 2, (p[2][1] + p[3][1]) / 2]);
    // dlib's chip: eyes 52.6 px apart at y = 47 on a 150 px crop, symmetric about the centre.
    assert.ok(Math.abs(r[0] - l[0] - 52.55) < 0.05);
    assert.ok(Math.abs(l[1] - 47.1) < 0.1 && Math.abs(r[1] - 47.1) < 0.1);
    assert.ok(Math.abs((l[0] + r[0]) / 2 - 74) < 0.1);
  });

  it('centreCrop returns size x size', async () => {
    const c = await centreCrop(noiseImage(250, 180), 112);
    assert.equal(c.width, 112);
    assert.equal(c.height, 112);
    assert.equal(c.data.length, 112 * 112 * 3);
  });
});
