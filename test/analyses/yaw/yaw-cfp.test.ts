/**
 * The yaw estimate on real faces (../shared/data/cfp): profiles get a large |yaw|, frontals a small
 * one, and mirroring the image flips the sign. Two identities, one frontal and one profile each.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { mirror } from '../../../src/analyses/features.ts';
import { estimateHeadPose } from '../../../src/analyses/yaw/head-pose.ts';
import { yawValidation } from '../../../src/analyses/yaw/yaw-probe.ts';
import { detectFaces, pickMainFace } from '../../../src/data/detector.ts';
import type { RgbImage } from '../../../src/data/image.ts';
import { decodeImage } from '../../../src/data/image-io.ts';
import { CFP_DIR, HAVE_CFP, NO_DATA } from '../../data/helpers.ts';

async function yawOf(img: RgbImage, what: string): Promise<number> {
  const d = pickMainFace(await detectFaces(img, { minConfidence: 0.2 }), img);
  assert.ok(d, `a face is detected in ${what}`);
  return estimateHeadPose(d.landmarks).yaw;
}

test('yaw on CFP: |yaw| profile > 40, frontal < 30, profile > frontal + 20 per identity; a mirrored image has the opposite yaw', { skip: HAVE_CFP ? false : NO_DATA, timeout: 300_000 }, async () => {
  const items = [];
  const poses = [];
  for (const id of ['001', '002']) {
    const yaws: Record<string, number> = {};
    for (const pose of ['frontal', 'profile']) {
      const file = path.join(CFP_DIR, 'images', id, pose, '01.jpg');
      const img = await decodeImage(file);
      const y = await yawOf(img, file);
      yaws[pose] = y;
      items.push({ id: `${id}/${pose}`, path: file, label: pose });
      poses.push({ yaw: y, pitch: 0, roll: 0, residual: 0 });
      // sign: the mirror turns the other way, by about as much
      if (pose === 'profile') {
        const ym = await yawOf(mirror(img), `the mirror of ${file}`);
        assert.ok(Math.sign(ym) === -Math.sign(y), `${id} profile: yaw ${y.toFixed(1)}, mirrored ${ym.toFixed(1)}`);
        assert.ok(Math.abs(y + ym) < 0.35 * Math.abs(y), `${id} profile: |yaw + mirrored yaw| small (${y.toFixed(1)}, ${ym.toFixed(1)})`);
      }
    }
    // CFP's frontals are only roughly frontal (and the estimate is coarse): < 30 deg, the probe's
    // "turned" threshold; profiles well beyond it and clearly more turned than the frontal.
    assert.ok(Math.abs(yaws.frontal!) < 30, `${id} frontal yaw ${yaws.frontal!.toFixed(1)}`);
    assert.ok(Math.abs(yaws.profile!) > 40, `${id} profile yaw ${yaws.profile!.toFixed(1)}`);
    assert.ok(Math.abs(yaws.profile!) > Math.abs(yaws.frontal!) + 20, `${id}: profile ${yaws.profile!.toFixed(1)} vs frontal ${yaws.frontal!.toFixed(1)}`);
  }
  const v = yawValidation(items, poses)!;
  assert.equal(v.auc_profile_vs_frontal, 1);
  assert.deepEqual(v.classes.map((c) => [c.label, c.n]), [['frontal', 2], ['profile', 2]]);
});
