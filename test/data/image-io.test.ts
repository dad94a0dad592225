import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { UserError } from '../../src/core/errors.js';
import { rgbImage } from '../../src/data/image.js';
import { centreCropResize, decodeImage, decodeImageBuffer, encodePng, ImageDecodeError, resizeRgb, writePng } from '../../src/data/image-io.js';
import { noiseImage, tempDir } from './helpers.js';

describe('image-io', () => {
  let dir = '';
  let cleanup = async () => {};
  before(async () => ({ dir, cleanup } = await tempDir()));
  after(() => cleanup());

  it('PNG round trip is lossless', async () => {
    const img = noiseImage(31, 17, 7);
    const back = await decodeImageBuffer(await encodePng(img));
    assert.equal(back.width, 31);
    assert.equal(back.height, 17);
    assert.deepEqual(back.data, img.data);
    const p = join(dir, 'sub', 'x.png');
    await writePng(p, img);
    assert.deepEqual((await decodeImage(p)).data, img.data);
  });

  it('grayscale becomes RGB with equal channels', async () => {
    const grey = Buffer.from([0, 64, 128, 255, 10, 20]); // 3x2, one channel
    const png = await sharp(grey, { raw: { width: 3, height: 2, channels: 1 } }).png().toBuffer();
    const img = await decodeImageBuffer(png);
    assert.equal(img.data.length, 3 * 2 * 3);
    for (let i = 0; i < 6; i++) assert.deepEqual([...img.data.subarray(i * 3, i * 3 + 3)], [grey[i], grey[i], grey[i]]);
  });

  it('alpha is flattened onto white and dropped', async () => {
    const rgba = Buffer.from([255, 0, 0, 255, 0, 0, 255, 0]); // opaque red, fully transparent blue
    const png = await sharp(rgba, { raw: { width: 2, height: 1, channels: 4 } }).png().toBuffer();
    const img = await decodeImageBuffer(png);
    assert.deepEqual([...img.data], [255, 0, 0, 255, 255, 255]);
  });

  it('applies EXIF orientation', async () => {
    // 4x2 image, left half black, right half white, stored with orientation 6 (rotate 90 cw to view).
    const raw = Buffer.alloc(4 * 2 * 3);
    for (let y = 0; y < 2; y++) for (let x = 2; x < 4; x++) raw.fill(255, (y * 4 + x) * 3, (y * 4 + x) * 3 + 3);
    const jpg = await sharp(raw, { raw: { width: 4, height: 2, channels: 3 } })
      .jpeg({ quality: 100 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const img = await decodeImageBuffer(jpg);
    assert.equal(img.width, 2);
    assert.equal(img.height, 4);
    // After a 90 degree clockwise turn the white half is at the bottom.
    assert.ok(img.data[0] < 60, `top-left should be dark, got ${img.data[0]}`);
    assert.ok(img.data[(3 * 2 + 1) * 3] > 200, `bottom-right should be light, got ${img.data[(3 * 2 + 1) * 3]}`);
  });

  it('undecodable files throw ImageDecodeError naming the file and the reason', async () => {
    const p = join(dir, 'garbage.jpg');
    await writeFile(p, Buffer.from('this is not a jpeg at all'));
    await assert.rejects(decodeImage(p), (e: unknown) => {
      assert.ok(e instanceof ImageDecodeError);
      assert.ok(!(e instanceof UserError));
      assert.ok(e.message.includes(p), e.message);
      assert.ok(e.reason.length > 0);
      assert.ok(e.message.includes(e.reason));
      return true;
    });
    // A truncated JPEG is an error too, not a half-grey image.
    const good = await sharp(Buffer.from(noiseImage(64, 64).data), { raw: { width: 64, height: 64, channels: 3 } }).jpeg().toBuffer();
    const t = join(dir, 'truncated.jpg');
    await writeFile(t, good.subarray(0, Math.floor(good.length / 2)));
    await assert.rejects(decodeImage(t), ImageDecodeError);
    await assert.rejects(decodeImage(join(dir, 'missing.png')), /ENOENT/);
  });

  it('resizeRgb and centreCropResize give the requested geometry', async () => {
    const img = rgbImage(300, 200);
    // Columns 0-49 red, 50-249 green, 250-299 blue.
    for (let y = 0; y < 200; y++)
      for (let x = 0; x < 300; x++) img.data[(y * 300 + x) * 3 + (x < 50 ? 0 : x < 250 ? 1 : 2)] = 255;
    const r = await resizeRgb(img, 30, 10);
    assert.equal(r.width * r.height * 3, r.data.length);
    assert.equal(r.width, 30);
    const c = await centreCropResize(img, 100);
    assert.equal(c.width, 100);
    assert.equal(c.height, 100);
    // Shorter side 200 -> 100 (scale 0.5): the centre 200 source columns (50..249) remain, all green.
    for (const x of [2, 50, 97]) {
      const o = (50 * 100 + x) * 3;
      assert.deepEqual([...c.data.subarray(o, o + 3)].map((v) => Math.round(v / 255)), [0, 1, 0], `column ${x}`);
    }
  });
});
