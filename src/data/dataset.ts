/** One image of a dataset, before decoding. */
export interface DatasetItem {
  /**
   * Stable id, unique in the dataset: the path relative to the dataset's image folder, with '/'
   * separators (the root itself, or `root/images` for LFW and CFP: `Name/Name_0001.jpg`).
   */
  id: string;
  /** Absolute path of the image file. */
  path: string;
  identity?: string;
  /** Free label, e.g. `frontal` / `profile` for CFP. */
  label?: string;
}

/** A verification pair (LFW pairs.txt and similar). */
export interface Pair {
  a: string;
  b: string;
  same: boolean;
  /** 0-based fold index. */
  fold: number;
}

export interface Dataset {
  kind: 'folder' | 'lfw' | 'cfp' | 'csv' | 'images' | 'pairlist';
  root: string;
  items: DatasetItem[];
  /** Present for datasets that come with pairs. */
  pairs?: Pair[];
  folds?: number;
  /** How the pairs / folds were formed, when that needs saying (e.g. a CFP protocol with one split). */
  note?: string;
}

/** An item that could not be used, and why (its schema lives with the other result formats). */
export type { SkippedItem } from '../results/skipped.js';
