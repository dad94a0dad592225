import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AlignedFaceCache, sha256Hex, type CacheEntryMeta } from '../../src/data/cache.js';
import type { DatasetItem, SkippedItem } from '../../src/data/dataset.js';
import { detectorCalls } from '../../src/data/detector.js';
import { alignedFaces, faceCacheKey, loadAlignedBatch, type AlignedFace } from '../../src/data/faces.js';
import { writePng } from '../../src/data/image-io.js';
import { DLIB_150_TEMPLATE as T, scaleTemplate } from '../../src/models/templates.js';
import { HAVE_LFW, LFW_DIR, NO_DATA, noiseImage, solidImage, tempDir } from './helpers.js';

const FACE_A = 'Abdel_Madi_Shabneh/Abdel_Madi_Shabneh_0001.jpg';
const FACE_B = 'Jennifer_Garner/Jennifer_Garner_0007.jpg';

function lfwItem(id: string): DatasetItem {
  return { id, path: join(LFW_DIR, 'images', id), identity: id.split('/')[0] };
}

async function collect(items: DatasetItem[], opts: Parameters<typeof alignedFaces>[2] = {}) {
  const faces: AlignedFace[] = [];
  const skipped: SkippedItem[] = [];
  for await (const f of alignedFaces(items, T, { ...opts, onSkip: (s) => skipped.push(s) })) faces.push(f);
  return { faces, skipped };
}

describe('alignedFaces', () => {
  let dir = '';
  let cleanup = async () => {};
  let bad: DatasetItem[] = [];
  before(async () => {
    ({ dir, cleanup } = await tempDir());
    const truncated = join(dir, 'truncated.jpg');
    const garbage = join(dir, 'garbage.jpg');
    const grey = join(dir, 'grey.png');
    const noise = join(dir, 'noise.png');
    if (HAVE_LFW) await writeFile(truncated, (await readFile(lfwItem(FACE_A).path)).subarray(0, 3000));
    else await writeFile(truncated, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]));
    await writeFile(garbage, Buffer.from('definitely not an image\n'.repeat(20)));
    await writePng(grey, solidImage(200, 200, [128, 128, 128]));
    await writePng(noise, noiseImage(200, 200, 42));
    bad = [
      { id: 'truncated.jpg', path: truncated },
      { id: 'garbage.jpg', path: garbage },
      { id: 'grey.png', path: grey },
      { id: 'noise.png', path: noise },
      { id: 'missing.jpg', path: join(dir, 'missing.jpg') },
    ];
  });
  after(() => cleanup());

  it('skips undecodable and faceless images with reasons and yields the others in order', async (t) => {
    if (!HAVE_LFW) return t.skip(NO_DATA);
    const [truncated, garbage, grey, noise, missing] = bad;
    const items = [lfwItem(FACE_A), truncated, grey, lfwItem(FACE_B), garbage, noise, missing];
    const { faces, skipped } = await collect(items, { cache: false });
    assert.deepEqual(faces.map((f) => f.item.id), [FACE_A, FACE_B]);
    for (const f of faces) {
      assert.equal(f.face.width, 150);
      assert.equal(f.face.height, 150);
      assert.equal(f.face.data.length, 150 * 150 * 3);
      assert.equal(f.landmarks?.length, 68);
      assert.ok(f.score !== undefined && f.score > 0.5, `score ${f.score}`);
      assert.equal(f.cached, false);
    }
    const reasons = Object.fromEntries(skipped.map((s) => [s.id, s.reason]));
    assert.deepEqual(Object.keys(reasons).sort(), ['garbage.jpg', 'grey.png', 'missing.jpg', 'noise.png', 'truncated.jpg']);
    assert.match(reasons['truncated.jpg'], /^decode error: .*(premature end|truncated|corrupt)/i);
    assert.match(reasons['garbage.jpg'], /^decode error: .*unsupported image format/);
    assert.match(reasons['missing.jpg'], /^decode error: .*ENOENT/);
    assert.equal(reasons['grey.png'], 'no face detected');
    assert.equal(reasons['noise.png'], 'no face detected');
    assert.equal(skipped.find((s) => s.id === 'grey.png')?.path, grey.path);
  });

  it('detect: false centre-crops every decodable image, still skipping broken files', async () => {
    const [truncated, garbage, grey] = bad;
    const calls0 = detectorCalls();
    const { faces, skipped } = await collect([truncated, grey, garbage], { detect: false, cache: false });
    assert.equal(detectorCalls(), calls0);
    assert.deepEqual(faces.map((f) => f.item.id), ['grey.png']);
    assert.equal(faces[0].face.width, 150);
    assert.equal(faces[0].landmarks, undefined);
    assert.ok(faces[0].face.data.every((v) => v === 128));
    assert.deepEqual(skipped.map((s) => s.id), ['truncated.jpg', 'garbage.jpg']);
  });

  it('caches crops: the second pass returns identical bytes without running the detector', async (t) => {
    if (!HAVE_LFW) return t.skip(NO_DATA);
    const cacheDir = join(dir, 'cache');
    const items = [lfwItem(FACE_A), bad[2] /* grey: no face */, lfwItem(FACE_B)];

    let calls = detectorCalls();
    const first = await collect(items, { cacheDir });
    assert.equal(detectorCalls() - calls, 3, 'first pass detects all three');
    assert.deepEqual(first.faces.map((f) => f.cached), [false, false]);

    calls = detectorCalls();
    const second = await collect(items, { cacheDir });
    assert.equal(detectorCalls() - calls, 0, 'second pass must not run the detector');
    assert.deepEqual(second.faces.map((f) => f.cached), [true, true]);
    assert.deepEqual(second.faces.map((f) => f.item.id), [FACE_A, FACE_B]);
    for (let i = 0; i < 2; i++) {
      assert.deepEqual(second.faces[i].face.data, first.faces[i].face.data, 'identical pixels');
      assert.deepEqual(second.faces[i].landmarks, first.faces[i].landmarks);
      assert.equal(second.faces[i].score, first.faces[i].score);
    }
    assert.deepEqual(second.skipped, [{ id: 'grey.png', path: bad[2].path, reason: 'no face detected' }]);

    // The entry holds the PNG plus a JSON with landmarks in crop and source coordinates.
    const cache = new AlignedFaceCache(cacheDir);
    const sha = sha256Hex(await readFile(items[0].path));
    const key = faceCacheKey(sha, T);
    const meta = JSON.parse(await readFile(cache.paths(key).json, 'utf8')) as CacheEntryMeta;
    assert.equal(meta.found, true);
    assert.equal(meta.source.sha256, sha);
    assert.deepEqual([meta.source.width, meta.source.height], [250, 250]);
    assert.equal(meta.landmarks?.length, 68);
    assert.equal(meta.sourceLandmarks?.length, 68);
    assert.equal(meta.score, first.faces[0].score);
    assert.deepEqual((await cache.get(key, T))?.face?.data, first.faces[0].face.data);
    // No temporary files left behind.
    const all = (await readdir(cacheDir, { recursive: true })).map(String);
    assert.equal(all.filter((f) => f.endsWith('.tmp')).length, 0);
    assert.equal(all.filter((f) => f.endsWith('.png')).length, 2);
    // 3 aligned entries (2 faces + 1 "no face") and 3 per-file detection records.
    assert.equal(all.filter((f) => f.endsWith('.json') && !f.startsWith('detections')).length, 3);
    assert.equal(all.filter((f) => f.endsWith('.json') && f.startsWith('detections')).length, 3);

    // Another template size is another aligned entry, but the detection is reused.
    calls = detectorCalls();
    const small = await loadAlignedBatch([items[0]], scaleTemplate(T, 112), { cacheDir });
    assert.equal(detectorCalls() - calls, 0);
    assert.equal(small.faces[0].face.width, 112);
    // cache: false bypasses it.
    calls = detectorCalls();
    await collect([items[0]], { cacheDir, cache: false });
    assert.equal(detectorCalls() - calls, 1);
  });

  it('concurrent runs sharing a cache folder both succeed and agree', async (t) => {
    if (!HAVE_LFW) return t.skip(NO_DATA);
    const cacheDir = join(dir, 'cache-concurrent');
    const items = [lfwItem(FACE_A), lfwItem(FACE_B)];
    const [r1, r2] = await Promise.all([collect(items, { cacheDir }), collect(items, { cacheDir })]);
    assert.equal(r1.faces.length, 2);
    assert.equal(r2.faces.length, 2);
    for (let i = 0; i < 2; i++) assert.deepEqual(r1.faces[i].face.data, r2.faces[i].face.data);
    const all = (await readdir(cacheDir, { recursive: true })).map(String);
    assert.equal(all.filter((f) => f.endsWith('.tmp')).length, 0);
    const r3 = await collect(items, { cacheDir });
    assert.deepEqual(r3.faces.map((f) => f.cached), [true, true]);
  });
});
