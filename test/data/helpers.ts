/** Shared bits for the data-layer tests (not a test file itself). */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rgbImage, type RgbImage } from '../../src/data/image.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The shared test data (README: `../shared/data` from the project root); override with FACELENS_TEST_DATA. */
export const DATA_DIR = process.env.FACELENS_TEST_DATA ?? resolve(repoRoot, '..', 'shared', 'data');
export const LFW_DIR = join(DATA_DIR, 'lfw');
export const CFP_DIR = join(DATA_DIR, 'cfp');
export const HAVE_LFW = existsSync(join(LFW_DIR, 'pairs.txt'));
export const HAVE_CFP = existsSync(join(CFP_DIR, 'images'));
export const NO_DATA = `shared test data not found at ${DATA_DIR} (set FACELENS_TEST_DATA)`;

/** A fresh temp folder, removed by the returned cleanup. */
export async function tempDir(prefix = 'facelens-test-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Deterministic pseudo-random bytes (LCG), for noise images. */
export function noiseImage(w: number, h: number, seed = 1): RgbImage {
  const d = new Uint8Array(w * h * 3);
  let s = seed >>> 0;
  for (let i = 0; i < d.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    d[i] = s >>> 24;
  }
  return rgbImage(w, h, d);
}

export function solidImage(w: number, h: number, [r, g, b]: [number, number, number]): RgbImage {
  const d = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++) {
    d[i * 3] = r;
    d[i * 3 + 1] = g;
    d[i * 3 + 2] = b;
  }
  return rgbImage(w, h, d);
}
