/**
 * Plain folders: a folder of identities (`root/<identity>/*.jpg|jpeg|png|...`) or loose images
 * (a flat folder, one image file, or a list of image files).
 */
import { dirname, join, resolve, sep } from 'node:path';
import { UserError } from '../../core/errors.js';
import type { Dataset, DatasetItem } from '../dataset.js';
import { isImageFile } from '../image-io.js';
import { isFile, listDir, relId, sortItems } from './util.js';

/**
 * `root/<identity>/<image>`: identity = sub-folder name, id = `identity/file`. Only one level is
 * read; images lying directly in `root` are not part of any identity and are ignored.
 */
export async function readIdentityFolder(root: string): Promise<Dataset> {
  root = resolve(root);
  const items: DatasetItem[] = [];
  for (const identity of (await listDir(root)).dirs) {
    for (const f of (await listDir(join(root, identity))).images) {
      const id = `${identity}/${f}`;
      items.push({ id, path: join(root, identity, f), identity });
    }
  }
  if (items.length === 0) throw new UserError(`no images found in ${root}/<identity>/`);
  return { kind: 'folder', root, items: sortItems(items) };
}

/** The deepest folder containing all `paths`. */
function commonDir(paths: string[]): string {
  let parts = dirname(paths[0]).split(sep);
  for (const p of paths.slice(1)) {
    const q = dirname(p).split(sep);
    let k = 0;
    while (k < parts.length && k < q.length && parts[k] === q[k]) k++;
    parts = parts.slice(0, k);
  }
  return parts.join(sep) || sep;
}

/**
 * Loose images, no identities: a flat folder (its image files), a single image file, or a list of
 * image files (ids relative to their common folder). A listed path that is not an image file is a
 * `UserError`.
 */
export async function readImages(pathOrPaths: string | string[]): Promise<Dataset> {
  let files: string[];
  if (Array.isArray(pathOrPaths)) {
    files = pathOrPaths.map((p) => resolve(p));
    for (const f of files) {
      if (!isImageFile(f)) throw new UserError(`not an image file (by extension): ${f}`);
      if (!(await isFile(f))) throw new UserError(`image file not found: ${f}`);
    }
  } else {
    const p = resolve(pathOrPaths);
    if (await isFile(p)) {
      if (!isImageFile(p)) throw new UserError(`not an image file (by extension): ${p}`);
      files = [p];
    } else {
      files = (await listDir(p)).images.map((f) => join(p, f));
      if (files.length === 0) throw new UserError(`no image files in ${p}`);
    }
  }
  if (files.length === 0) throw new UserError('no image files given');
  const root = commonDir(files);
  const seen = new Set<string>();
  const items: DatasetItem[] = [];
  for (const path of files) {
    const id = relId(root, path);
    if (seen.has(id)) continue; // the same file listed twice
    seen.add(id);
    items.push({ id, path });
  }
  return { kind: 'images', root, items: sortItems(items) };
}
