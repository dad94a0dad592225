/** Small file-system helpers shared by the dataset readers. */
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { DatasetItem } from '../dataset.js';
import { isImageFile } from '../image-io.js';

/** Plain code-unit order: deterministic across machines and locales (unlike localeCompare). */
export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function sortItems(items: DatasetItem[]): DatasetItem[] {
  return items.sort((x, y) => byCodeUnits(x.id, y.id));
}

/** `path` relative to `root`, with '/' separators (the DatasetItem id convention). */
export function relId(root: string, path: string): string {
  return relative(root, path).split(sep).join('/');
}

export async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

export async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * Entries of a folder split into sub-folders and image files (symlinks followed, hidden
 * entries skipped), each sorted by name.
 */
export async function listDir(dir: string): Promise<{ dirs: string[]; images: string[] }> {
  const entries = await readdir(dir, { withFileTypes: true });
  const dirs: string[] = [];
  const images: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    let isD = e.isDirectory();
    let isF = e.isFile();
    if (e.isSymbolicLink()) {
      const s = await stat(join(dir, e.name)).catch(() => undefined);
      isD = !!s?.isDirectory();
      isF = !!s?.isFile();
    }
    if (isD) dirs.push(e.name);
    else if (isF && isImageFile(e.name)) images.push(e.name);
  }
  return { dirs: dirs.sort(byCodeUnits), images: images.sort(byCodeUnits) };
}
