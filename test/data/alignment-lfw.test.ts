/**
 * End-to-end alignment check on real faces: align 20 LFW images to DLIB_150_TEMPLATE through
 * `alignedFaces`, then run detection + landmarks again on each aligned crop (an independent
 * measurement) and compare the re-detected eye centres with
 *   (a) where the fitted transform put the source eyes (checks the warp and coordinate conventions),
 *   (b) the template's eye points (checks the whole pipeline, fit included).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { eyeCentresLike, templateEyeCentres, warpAffine } from '../../src/data/align.js';
import type { DatasetItem, SkippedItem } from '../../src/data/dataset.js';
import { openDataset } from '../../src/data/datasets/index.js';
import { detectFaces, detectorCalls, pickMainFace, type Point } from '../../src/data/detector.js';
import { alignedFaces } from '../../src/data/faces.js';
import { DLIB_150_TEMPLATE as T } from '../../src/models/templates.js';
const TE = templateEyeCentres(T);
import { HAVE_LFW, LFW_DIR, NO_DATA } from './helpers.js';

const N = 20;
const EYE_TOL = 3; // px in the 150 px crop
/**
 * SSD does not fire on a tight face crop, so each crop is re-detected in the middle of a
 * mid-grey 300x300 canvas (the centre 150x150 is the crop pixel for pixel) and the points are
 * shifted back. Grey rather than edge-replicated padding: the replicated streaks made SSD miss
 * a strongly turned face.
 */
const MARGIN = 75;

const dist = (p: Point, q: Point) => Math.hypot(p[0] - q[0], p[1] - q[1]);

interface Row {
  id: string;
  vsTemplate: number;
  vsFit: number;
  score: number;
}

describe('alignment on LFW (DLIB_150_TEMPLATE)', () => {
  const rows: Row[] = [];
  const notRedetected: string[] = [];
  const skipped: SkippedItem[] = [];

  before(async () => {
    if (!HAVE_LFW) return;
    const ds = await openDataset(LFW_DIR);
    // Deterministic choice: every k-th item in id order; if the detector misses one, the items
    // right after the stride points fill in.
    const stride = Math.floor(ds.items.length / N);
    const order: DatasetItem[] = [];
    for (let off = 0; off < stride; off++) for (let i = off; i < ds.items.length; i += stride) order.push(ds.items[i]);
    const t0 = performance.now();
    const calls0 = detectorCalls();
    for await (const f of alignedFaces(order, T, { cache: false, onSkip: (s) => skipped.push(s), prefetch: 0 })) {
      assert.equal(f.face.width, T.size);
      assert.ok(f.landmarks && f.landmarks.length === 68);
      const padded = warpAffine(f.face, [[1, 0, MARGIN], [0, 1, MARGIN]], T.size + 2 * MARGIN, { fill: [128, 128, 128] });
      const det = pickMainFace(await detectFaces(padded), padded);
      if (!det) notRedetected.push(f.item.id);
      else {
        const seen = eyeCentresLike(det.landmarks, T).map(([x, y]) => [x - MARGIN, y - MARGIN] as Point);
        const fitted = eyeCentresLike(f.landmarks, T); // where the transform put the source landmarks
        rows.push({
          id: f.item.id,
          vsTemplate: (dist(seen[0], TE[0]) + dist(seen[1], TE[1])) / 2,
          vsFit: (dist(seen[0], fitted[0]) + dist(seen[1], fitted[1])) / 2,
          score: f.score ?? NaN,
        });
      }
      if (rows.length + notRedetected.length === N) break;
    }
    const secs = (performance.now() - t0) / 1000;
    const calls = detectorCalls() - calls0;
    const stat = (k: 'vsTemplate' | 'vsFit') => {
      const v = rows.map((r) => r[k]);
      const mean = v.reduce((a, b) => a + b, 0) / v.length;
      const over = v.filter((x) => x >= EYE_TOL).length;
      return `mean ${mean.toFixed(2)}, max ${Math.max(...v).toFixed(2)}, >= ${EYE_TOL} px: ${over}/${v.length}`;
    };
    const log = (s: string) => console.log(s);
    log(`${rows.length + notRedetected.length} faces, ${calls} detector runs in ${secs.toFixed(1)} s (${(calls / secs).toFixed(2)} detections/s)`);
    log(`skipped while choosing: ${skipped.map((s) => `${s.id} (${s.reason})`).join(', ') || 'none'}`);
    log(`aligned crops with no face re-detected: ${notRedetected.join(', ') || 'none'}`);
    log(`eye error vs fitted positions (px): ${stat('vsFit')}`);
    log(`eye error vs template (px): ${stat('vsTemplate')}`);
    for (const r of rows) log(`  ${r.id}: vs template ${r.vsTemplate.toFixed(2)}, vs fit ${r.vsFit.toFixed(2)}, score ${r.score.toFixed(2)}`);
  });

  it(`the warp puts re-detected eyes within ${EYE_TOL} px of the fitted positions`, (t) => {
    if (!HAVE_LFW) return t.skip(NO_DATA);
    assert.deepEqual(notRedetected, [], 'aligned crops in which no face was re-detected');
    assert.equal(rows.length, N);
    // Re-detection on the crop is itself noisy for strongly turned heads (Robin_McLaurin_Williams_0001,
    // detector score 0.66, lands 8 px off), so one such face of the 20 is tolerated.
    const bad = rows.filter((r) => !(r.vsFit < EYE_TOL)).map((r) => `${r.id}: ${r.vsFit.toFixed(2)} px`);
    assert.ok(bad.length <= 1, `re-detected eyes further than ${EYE_TOL} px from where the transform put them: ${bad.join(', ')}`);
  });

  // A 5-point least-squares similarity cannot put both eyes exactly on the template when the head
  // is turned (it trades eye error for nose/mouth error: one LFW face here is 8 px off), so the
  // per-image bound is on the warp (above) and the template bound is on the mean and median.
  it(`eye centres of ${N} aligned crops are within ${EYE_TOL} px of the template's eye points on average`, (t) => {
    if (!HAVE_LFW) return t.skip(NO_DATA);
    assert.equal(rows.length + notRedetected.length, N);
    const v = rows.map((r) => r.vsTemplate).sort((a, b) => a - b);
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const median = (v[(v.length - 1) >> 1] + v[v.length >> 1]) / 2;
    assert.ok(mean < EYE_TOL, `mean eye error ${mean.toFixed(2)} px`);
    assert.ok(median < EYE_TOL, `median eye error ${median.toFixed(2)} px`);
  });
});
