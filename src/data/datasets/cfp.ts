/**
 * CFP (Celebrities in Frontal-Profile): `images/<NNN>/frontal/<NN>.jpg` and
 * `images/<NNN>/profile/<NN>.jpg`. Identity = the NNN folder, label = `frontal` | `profile`.
 * (The full dataset's Protocol/ split files are not read; CFP comes without pairs here.)
 */
import { join, resolve } from 'node:path';
import { UserError } from '../../core/errors.js';
import type { Dataset, DatasetItem } from '../dataset.js';
import { isDir, listDir, sortItems } from './util.js';

export const CFP_POSES = ['frontal', 'profile'] as const;

/** True when `root/images/<some identity>/frontal` exists. */
export async function looksLikeCfp(root: string): Promise<boolean> {
  const images = join(root, 'images');
  if (!(await isDir(images))) return false;
  const { dirs } = await listDir(images);
  for (const d of dirs) if (await isDir(join(images, d, 'frontal'))) return true;
  return false;
}

/** Reads a CFP folder; ids `NNN/frontal/NN.jpg` relative to `images/`, sorted. */
export async function readCfp(root: string): Promise<Dataset> {
  root = resolve(root);
  const images = join(root, 'images');
  if (!(await isDir(images))) throw new UserError(`not a CFP folder (no images/ inside): ${root}`);
  const items: DatasetItem[] = [];
  for (const identity of (await listDir(images)).dirs) {
    for (const pose of CFP_POSES) {
      const dir = join(images, identity, pose);
      if (!(await isDir(dir))) continue;
      for (const f of (await listDir(dir)).images) {
        const id = `${identity}/${pose}/${f}`;
        items.push({ id, path: join(images, id), identity, label: pose });
      }
    }
  }
  if (items.length === 0) throw new UserError(`no images found under ${images}/<id>/{frontal,profile}/`);
  return { kind: 'cfp', root, items: sortItems(items) };
}
