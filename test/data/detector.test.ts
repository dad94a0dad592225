import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { detectFaces, pickMainFace, type Detection } from '../../src/data/detector.js';
import { decodeImage } from '../../src/data/image-io.js';
import { HAVE_LFW, LFW_DIR, NO_DATA } from './helpers.js';

const det = (x: number, y: number, w: number, score = 0.9): Detection => ({
  box: { x, y, width: w, height: w },
  score,
  landmarks: [],
});

describe('pickMainFace', () => {
  const img = { width: 400, height: 400 };
  it('prefers the larger face when both are central', () => {
    const big = det(150, 150, 100);
    assert.equal(pickMainFace([det(180, 180, 40, 0.99), big], img), big);
  });
  it('weights toward the centre: a corner face needs more than twice the area', () => {
    const centre = det(170, 170, 60); // area 3600, centrality 1
    const cornerSmall = det(0, 0, 70); // area 4900, centre (35,35): d/r = 0.825 -> 0.5875 -> 2879
    const cornerHuge = det(0, 0, 120); // area 14400, centre (60,60): d/r = 0.7 -> 0.65 -> 9360
    assert.equal(pickMainFace([cornerSmall, centre], img), centre);
    assert.equal(pickMainFace([cornerHuge, centre], img), cornerHuge);
  });
  it('ties go to the higher score; no detections -> undefined', () => {
    const a = det(150, 150, 100, 0.7);
    const b = det(150, 150, 100, 0.95);
    assert.equal(pickMainFace([a, b], img), b);
    assert.equal(pickMainFace([], img), undefined);
  });
});

describe('detectFaces on LFW', () => {
  it('finds 68 landmarks inside the face box; the padded second pass recovers a face SSD misses at full frame', async (t) => {
    if (!HAVE_LFW) return t.skip(NO_DATA);
    // James Caan 0001: a plain frontal face that SSD scores ~0.4 when it fills the frame.
    const img = await decodeImage(join(LFW_DIR, 'images', 'James_Caan', 'James_Caan_0001.jpg'));
    assert.deepEqual(await detectFaces(img, { padRetry: false }), []);
    const dets = await detectFaces(img);
    assert.equal(dets.length, 1);
    const d = dets[0];
    assert.ok(d.score > 0.9, `score ${d.score}`);
    assert.equal(d.landmarks.length, 68);
    // LFW (deep-funneled) centres the face: box centre near (125, 125), width 80-160 px.
    const cx = d.box.x + d.box.width / 2;
    const cy = d.box.y + d.box.height / 2;
    assert.ok(Math.abs(cx - 125) < 25 && Math.abs(cy - 125) < 30, `box centre ${cx}, ${cy}`);
    assert.ok(d.box.width > 80 && d.box.width < 160, `box width ${d.box.width}`);
    const inside = d.landmarks.filter(([x, y]) => x >= d.box.x - 5 && x <= d.box.x + d.box.width + 5 && y >= d.box.y - 5 && y <= d.box.y + d.box.height + 5);
    assert.ok(inside.length >= 60, `${inside.length} of 68 landmarks in the box`);
    // Eyes (36-47) above the mouth (48-67), left eye left of the right eye.
    const mean = (a: number, b: number, k: 0 | 1) => d.landmarks.slice(a, b + 1).reduce((s, p) => s + p[k], 0) / (b - a + 1);
    assert.ok(mean(36, 41, 1) < mean(48, 67, 1) - 20);
    assert.ok(mean(36, 41, 0) < mean(42, 47, 0) - 20);
  });
});
