/**
 * Head pose from landmarks: exact recovery of known angles from a synthetic projection of the
 * generic face; k-NN regression scores against a direct computation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Point } from '../../../src/data/detector.ts';
import { estimateHeadPose, GENERIC_FACE_6 } from '../../../src/analyses/yaw/head-pose.ts';
import { binTargets, knnRegression, regressionScore } from '../../../src/analyses/metrics/knn-regression.ts';

const rad = Math.PI / 180;
type M3 = number[][];
const mul = (a: M3, b: M3): M3 => a.map((r) => [0, 1, 2].map((j) => r.reduce((s, v, k) => s + v * b[k]![j]!, 0)));
const Rx = (t: number): M3 => [[1, 0, 0], [0, Math.cos(t), -Math.sin(t)], [0, Math.sin(t), Math.cos(t)]];
const Ry = (t: number): M3 => [[Math.cos(t), 0, Math.sin(t)], [0, 1, 0], [-Math.sin(t), 0, Math.cos(t)]];
const Rz = (t: number): M3 => [[Math.cos(t), -Math.sin(t), 0], [Math.sin(t), Math.cos(t), 0], [0, 0, 1]];

/** 68 image points (y down) of the generic face under R = Rz Ry Rx, scale s, offset (tx, ty); others at a dummy spot. */
function project(yaw: number, pitch: number, roll: number, s = 0.2, tx = 120, ty = 100): Point[] {
  const R = mul(Rz(roll * rad), mul(Ry(yaw * rad), Rx(-pitch * rad)));
  const pts: Point[] = Array.from({ length: 68 }, () => [0, 0] as Point);
  for (const m of GENERIC_FACE_6) {
    const [x, y, z] = m.xyz;
    const u = R[0]![0]! * x + R[0]![1]! * y + R[0]![2]! * z;
    const v = R[1]![0]! * x + R[1]![1]! * y + R[1]![2]! * z;
    pts[m.landmark] = [tx + s * u, ty - s * v];
  }
  return pts;
}

test('estimateHeadPose recovers yaw, pitch and roll of a synthetic weak-perspective projection', () => {
  for (const [yaw, pitch, roll] of [[0, 0, 0], [30, 0, 0], [-45, 10, 0], [20, -15, 25], [70, 5, -10], [-80, -20, 40]] as const) {
    const p = estimateHeadPose(project(yaw, pitch, roll));
    assert.ok(Math.abs(p.yaw - yaw) < 1e-6, `yaw ${p.yaw} vs ${yaw}`);
    assert.ok(Math.abs(p.pitch - pitch) < 1e-6, `pitch ${p.pitch} vs ${pitch}`);
    assert.ok(Math.abs(p.roll - roll) < 1e-6, `roll ${p.roll} vs ${roll}`);
    assert.ok(p.residual < 1e-9);
  }
  // positive yaw = nose to the image right: the nose tip lies right of the eye-corner midpoint
  const pts = project(30, 0, 0);
  assert.ok(pts[30]![0] > (pts[36]![0] + pts[45]![0]) / 2);
  // a mirrored face has the opposite yaw (mirror x, and swap the left/right landmarks)
  const mir = pts.map(([x, y]) => [240 - x, y] as Point);
  const swap = (a: number, b: number) => ([mir[a], mir[b]] = [mir[b]!, mir[a]!]);
  swap(36, 45);
  swap(48, 54);
  assert.ok(Math.abs(estimateHeadPose(mir).yaw + 30) < 1e-6);
  assert.throws(() => estimateHeadPose(pts.slice(0, 10)), /68 landmarks/);
});

test('knnRegression: R^2 and MAE from its CV predictions; pose-like targets are recovered from informative features', () => {
  const y = [1, 2, 3, 4];
  assert.deepEqual(regressionScore(y, y), { r2: 1, mae: 0, mse: 0 });
  const s = regressionScore(y, [2.5, 2.5, 2.5, 2.5]);
  assert.equal(s.r2, 0);
  assert.equal(s.mae, 1);
  assert.deepEqual(Array.from(binTargets([5, 1, 3, 2], 2)), [1, 0, 1, 0]);
  // 40 samples: feature = (cos, sin) of the target angle -> neighbours share targets (euclidean)
  const n = 40;
  const t = Array.from({ length: n }, (_, i) => -60 + (120 * i) / (n - 1));
  const data = new Float32Array(n * 2);
  t.forEach((a, i) => ((data[2 * i] = Math.cos(a * rad)), (data[2 * i + 1] = Math.sin(a * rad))));
  const r = knnRegression({ data, rows: n, cols: 2 }, t, [1, 3, 5], { folds: 5, seed: 's', metric: 'euclidean' });
  assert.ok(r.nested.r2 > 0.95, `R^2 ${r.nested.r2}`);
  assert.ok(r.nested.mae < 5, `MAE ${r.nested.mae}`);
  // noise features carry nothing: R^2 near or below 0
  let seed = 7;
  const noise = new Float32Array(n * 4).map(() => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed / 2147483648));
  const z = knnRegression({ data: noise, rows: n, cols: 4 }, t, [1, 3, 5], { folds: 5, seed: 's', metric: 'euclidean' });
  assert.ok(z.nested.r2 < 0.3, `noise R^2 ${z.nested.r2}`);
  assert.equal(r.perK.length, 3);
});
