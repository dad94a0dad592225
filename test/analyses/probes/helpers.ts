/** Shared bits for the probe tests (not a test file itself). */
import type { Point } from '../../../src/data/detector.js';
import { rgbImage, type RgbImage } from '../../../src/data/image.js';

export { CFP_DIR, HAVE_CFP, HAVE_LFW, LFW_DIR, NO_DATA, noiseImage, tempDir } from '../../data/helpers.js';

/** A black image with one pixel (x, y) set to `v` in every channel. */
export function dotImage(size: number, x: number, y: number, v = 255): RgbImage {
  const d = new Uint8Array(size * size * 3);
  d.fill(v, (y * size + x) * 3, (y * size + x) * 3 + 3);
  return rgbImage(size, size, d);
}

/** Brightness-weighted centroid (continuous coordinates, pixel centres at i + 0.5) of channel 0. */
export function centroid(img: RgbImage): Point {
  let s = 0, sx = 0, sy = 0;
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const v = img.data[(y * img.width + x) * 3]!;
      s += v;
      sx += v * (x + 0.5);
      sy += v * (y + 0.5);
    }
  }
  return [sx / s, sy / s];
}

/** Pixels (x, y) where any channel of a and b differ. */
export function changedPixels(a: RgbImage, b: RgbImage): [number, number][] {
  const out: [number, number][] = [];
  for (let y = 0; y < a.height; y++) {
    for (let x = 0; x < a.width; x++) {
      const o = (y * a.width + x) * 3;
      if (a.data[o] !== b.data[o] || a.data[o + 1] !== b.data[o + 1] || a.data[o + 2] !== b.data[o + 2]) out.push([x, y]);
    }
  }
  return out;
}

/**
 * A plausible 68-point layout in a 150 px crop (iBUG order), shifted by (dx, dy): eyes as
 * hexagons around (51.5 + dx, 55 + dy) and (98.5 + dx, 55 + dy), nose along x = 75, mouth an
 * ellipse around (75, 104). Only the part groups matter for the tests.
 */
export function syntheticLandmarks(dx = 0, dy = 0): Point[] {
  const p: Point[] = [];
  for (let i = 0; i < 17; i++) p.push([30 + (90 * i) / 16, 60 + 50 * Math.sin((Math.PI * i) / 16)]); // jaw 0-16
  for (let i = 0; i < 10; i++) p.push([38 + i * 8, 42]); // brows 17-26
  for (let i = 0; i < 4; i++) p.push([75, 58 + i * 7]); // nose bridge 27-30
  for (let i = 0; i < 5; i++) p.push([67 + i * 4, 88]); // nose base 31-35
  const ring = (cx: number, cy: number, rx: number, ry: number, n: number) => {
    for (let i = 0; i < n; i++) p.push([cx + rx * Math.cos((2 * Math.PI * i) / n), cy + ry * Math.sin((2 * Math.PI * i) / n)]);
  };
  ring(51.5, 55, 10, 4, 6); // left eye 36-41
  ring(98.5, 55, 10, 4, 6); // right eye 42-47
  ring(75, 104, 19, 7, 12); // outer lip 48-59
  ring(75, 104, 12, 3, 8); // inner lip 60-67
  return p.map(([x, y]) => [x + dx, y + dy] as Point);
}
