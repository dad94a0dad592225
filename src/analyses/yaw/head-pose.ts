/**
 * Head pose (yaw, pitch, roll) from the 68 dlib / iBUG-300W landmarks, by fitting a generic 3-D
 * face under scaled orthographic ("weak perspective") projection, the model of the POS step of
 * DeMenthon & Davis, "Model-based object pose in 25 lines of code" (IJCV 15, 1995):
 *
 *   q_k = s R[0:2] P_k + t      (P_k: 3-D model points, q_k: image points with y pointing up)
 *
 * 1. Least-squares affine camera: M (2x3) = argmin sum |M (P_k - P) - (q_k - q)|^2, i.e.
 *    M = Q^T P (P^T P)^-1 on the centred point sets.
 * 2. Nearest scaled rotation: the polar factor R2 = (M M^T)^(-1/2) M has orthonormal rows (the
 *    first two rows of R), s = trace((M M^T)^(1/2)) / 2; the third row is r1 x r2.
 * 3. Angles for R = Rz(roll) Ry(yaw) Rx(pitch) (roll applied last, in the image plane), so the
 *    third row of R is (-sin yaw, cos yaw sin pitch, cos yaw cos pitch) whatever the roll:
 *    yaw = asin(-r3[0]), pitch = atan2(-r3[1], r3[2]), roll = atan2(R[1][0], R[0][0]).
 *
 * Conventions (image x to the right): yaw > 0 when the nose points to the image's right (the
 * subject turned to their left), pitch > 0 when the nose points up, roll > 0 counter-clockwise
 * on screen. Degrees. In-plane rotation, scale and translation of the landmarks (e.g. alignment)
 * change roll only, not yaw or pitch.
 *
 * The generic face: the six-point model of S. Mallick, "Head Pose Estimation using OpenCV and
 * Dlib" (LearnOpenCV, 2016), in arbitrary units with the nose tip at the origin, x to the image's
 * right, y up and z towards the camera. Its points are well-defined anatomical landmarks
 * (nose tip, chin, outer eye corners, mouth corners), unlike the jaw contour, whose 68-point
 * positions slide along the face outline as the head turns.
 *
 * Limits: a weak-perspective fit of a mean face is coarse (errors of ~5-10 deg are usual for such
 * estimates); near-profile faces push the 68-point detector beyond its training range, so |yaw|
 * there is underestimated rather than exact. It ranks faces by pose well, which is what the probe
 * needs.
 */
import type { Point } from '../../data/detector.js';

export interface GenericFacePoint {
  /** Index in the 68-point (iBUG 300-W / dlib) scheme, 0-based. */
  landmark: number;
  name: string;
  xyz: [number, number, number];
}

/** S. Mallick (LearnOpenCV, 2016): generic 3-D positions of six facial points. */
export const GENERIC_FACE_6: readonly GenericFacePoint[] = [
  { landmark: 30, name: 'nose tip', xyz: [0, 0, 0] },
  { landmark: 8, name: 'chin', xyz: [0, -330, -65] },
  { landmark: 36, name: 'outer corner of the image-left eye', xyz: [-225, 170, -135] },
  { landmark: 45, name: 'outer corner of the image-right eye', xyz: [225, 170, -135] },
  { landmark: 48, name: 'image-left mouth corner', xyz: [-150, -150, -125] },
  { landmark: 54, name: 'image-right mouth corner', xyz: [150, -150, -125] },
];

export const HEAD_POSE_METHOD =
  'weak-perspective (scaled orthographic) fit of the six-point generic 3-D face of Mallick (LearnOpenCV 2016) to landmarks 30, 8, 36, 45, 48, 54: ' +
  'least-squares affine camera, polar decomposition to the nearest scaled rotation (the POS step of DeMenthon & Davis 1995), ' +
  'angles of R = Rz(roll) Ry(yaw) Rx(pitch); yaw > 0 = nose to the image right, pitch > 0 = nose up, degrees';

export interface HeadPose {
  yaw: number;
  pitch: number;
  roll: number;
  /** Fit residual: RMS point error over the image distance of the outer eye corners. */
  residual: number;
}

const DEG = 180 / Math.PI;

function inv3(a: number[][]): number[][] {
  const [[a0, a1, a2], [b0, b1, b2], [c0, c1, c2]] = a as [[number, number, number], [number, number, number], [number, number, number]];
  const A = b1 * c2 - b2 * c1, B = -(b0 * c2 - b2 * c0), C = b0 * c1 - b1 * c0;
  const det = a0 * A + a1 * B + a2 * C;
  if (Math.abs(det) < 1e-12) throw new RangeError('degenerate 3-D model');
  return [
    [A / det, -(a1 * c2 - a2 * c1) / det, (a1 * b2 - a2 * b1) / det],
    [B / det, (a0 * c2 - a2 * c0) / det, -(a0 * b2 - a2 * b0) / det],
    [C / det, -(a0 * c1 - a1 * c0) / det, (a0 * b1 - a1 * b0) / det],
  ];
}

/** (S)^(-1/2) and trace(S^(1/2)) of a symmetric positive definite 2x2 matrix [[a, b], [b, c]]. */
function invSqrt2(a: number, b: number, c: number): { inv: [[number, number], [number, number]]; traceSqrt: number } {
  // sqrt of a 2x2 SPD matrix: (S + sqrt(det) I) / sqrt(trace + 2 sqrt(det)).
  const det = a * c - b * b;
  if (!(det > 0)) throw new RangeError('degenerate landmark configuration');
  const sd = Math.sqrt(det);
  const tnorm = Math.sqrt(a + c + 2 * sd);
  const r = [(a + sd) / tnorm, b / tnorm, (c + sd) / tnorm]; // S^(1/2) = [[r0, r1], [r1, r2]]
  const rdet = r[0]! * r[2]! - r[1]! * r[1]!;
  return { inv: [[r[2]! / rdet, -r[1]! / rdet], [-r[1]! / rdet, r[0]! / rdet]], traceSqrt: r[0]! + r[2]! };
}

/**
 * Yaw / pitch / roll of a face from its 68 landmarks (image coordinates, y down), see the module
 * comment. Throws a RangeError for fewer than 68 points or a degenerate (collinear) configuration.
 */
export function estimateHeadPose(landmarks68: readonly Point[], model: readonly GenericFacePoint[] = GENERIC_FACE_6): HeadPose {
  if (landmarks68.length < 68) throw new RangeError(`need 68 landmarks, got ${landmarks68.length}`);
  const n = model.length;
  const P = model.map((m) => m.xyz);
  const Q = model.map((m) => {
    const p = landmarks68[m.landmark]!;
    return [p[0], -p[1]]; // y up
  });
  const pm = [0, 1, 2].map((j) => P.reduce((s, p) => s + p[j]!, 0) / n);
  const qm = [0, 1].map((j) => Q.reduce((s, q) => s + q[j]!, 0) / n);
  const Pc = P.map((p) => p.map((v, j) => v - pm[j]!));
  const Qc = Q.map((q) => q.map((v, j) => v - qm[j]!));
  // M = Qc^T Pc (Pc^T Pc)^-1
  const PtP = [0, 1, 2].map((i) => [0, 1, 2].map((j) => Pc.reduce((s, p) => s + p[i]! * p[j]!, 0)));
  const QtP = [0, 1].map((i) => [0, 1, 2].map((j) => Qc.reduce((s, q, k) => s + q[i]! * Pc[k]![j]!, 0)));
  const Pinv = inv3(PtP);
  const M = QtP.map((row) => [0, 1, 2].map((j) => row.reduce((s, v, k) => s + v * Pinv[k]![j]!, 0)));
  const dot = (u: number[], v: number[]) => u.reduce((s, x, i) => s + x * v[i]!, 0);
  const { inv, traceSqrt } = invSqrt2(dot(M[0]!, M[0]!), dot(M[0]!, M[1]!), dot(M[1]!, M[1]!));
  const r1 = [0, 1, 2].map((j) => inv[0][0] * M[0]![j]! + inv[0][1] * M[1]![j]!);
  const r2 = [0, 1, 2].map((j) => inv[1][0] * M[0]![j]! + inv[1][1] * M[1]![j]!);
  const r3 = [r1[1]! * r2[2]! - r1[2]! * r2[1]!, r1[2]! * r2[0]! - r1[0]! * r2[2]!, r1[0]! * r2[1]! - r1[1]! * r2[0]!];
  const s = traceSqrt / 2;
  const yaw = Math.asin(Math.max(-1, Math.min(1, -r3[0]!))) * DEG;
  const pitch = Math.atan2(-r3[1]!, r3[2]!) * DEG;
  const roll = Math.atan2(r2[0]!, r1[0]!) * DEG;
  let err = 0;
  for (let k = 0; k < n; k++) {
    const ex = s * dot(r1, Pc[k]!) - Qc[k]![0]!;
    const ey = s * dot(r2, Pc[k]!) - Qc[k]![1]!;
    err += ex * ex + ey * ey;
  }
  const e36 = landmarks68[36]!, e45 = landmarks68[45]!;
  const eyeDist = Math.hypot(e45[0] - e36[0], e45[1] - e36[1]) || 1;
  return { yaw, pitch, roll, residual: Math.sqrt(err / n) / eyeDist };
}
