/**
 * `openDataset`: one entry point for every input facelens accepts, with the format detected from
 * what is on disk. Detection order for a folder:
 *   1. LFW     - has pairs.txt (or `opts.pairsFile` is given) and images/ (or per-person folders)
 *   2. CFP     - has images/<id>/frontal/
 *   3. folder of identities - has sub-folders that contain images (root/<identity>/*.jpg)
 *   4. images  - image files directly inside
 * For a file: `.csv` -> CSV list; `pairs*.txt` -> LFW rooted at its folder; an image -> images.
 * A list of paths -> images (every entry must be an image file).
 */
import { join, resolve } from 'node:path';
import { UserError } from '../../core/errors.js';
import type { Dataset } from '../dataset.js';
import { isImageFile } from '../image-io.js';
import { looksLikeCfp, readCfp } from './cfp.js';
import { readCsv } from './csv.js';
import { readIdentityFolder, readImages } from './folder.js';
import { lfwImagesDir, lfwRootOfPairsFile, looksLikePairsFile, readLfw } from './lfw.js';
import { isDir, isFile, listDir } from './util.js';

export interface OpenDatasetOptions {
  /** LFW pairs file to use (default `<root>/pairs.txt`); giving one makes the folder LFW. */
  pairsFile?: string;
  /** LFW: list every image under images/, not just those in pairs. */
  allImages?: boolean;
}

export async function openDataset(pathOrFiles: string | string[], opts: OpenDatasetOptions = {}): Promise<Dataset> {
  if (Array.isArray(pathOrFiles)) {
    if (pathOrFiles.length === 0) throw new UserError('no input paths given');
    if (pathOrFiles.length > 1) return readImages(pathOrFiles);
    pathOrFiles = pathOrFiles[0];
  }
  const p = resolve(pathOrFiles);
  if (await isFile(p)) {
    if (/\.csv$/i.test(p)) return readCsv(p);
    if (isImageFile(p)) return readImages(p);
    if (looksLikePairsFile(p)) return readLfw(lfwRootOfPairsFile(p), { ...opts, pairsFile: p });
    throw new UserError(`don't know how to read ${p}: expected a folder, a .csv list, an LFW pairs*.txt or an image file`);
  }
  if (!(await isDir(p))) throw new UserError(`no such file or folder: ${p}`);

  if (opts.pairsFile !== undefined || (await isFile(join(p, 'pairs.txt')))) {
    return readLfw(p, opts);
  }
  if (await looksLikeCfp(p)) return readCfp(p);
  const { dirs, images } = await listDir(p);
  for (const d of dirs) {
    if ((await listDir(join(p, d))).images.length > 0) return readIdentityFolder(p);
  }
  if (images.length > 0) return readImages(p);
  // An LFW-style tree without pairs (root/images/<Name>/...): read it as a folder of identities.
  const imagesDir = await lfwImagesDir(p);
  if (imagesDir !== p) return readIdentityFolder(imagesDir);
  throw new UserError(
    `no images found in ${p} (looked for <identity>/*.jpg|jpeg|png, *.jpg|jpeg|png, pairs.txt, images/<id>/frontal)`,
  );
}

export { readCfp, looksLikeCfp } from './cfp.js';
export { readCsv, parseCsv } from './csv.js';
export { readIdentityFolder, readImages } from './folder.js';
export { readLfw, parsePairs, lfwImageId } from './lfw.js';
export type { LfwPairsFile, LfwPairLine, LfwImageRef, LfwOptions } from './lfw.js';
