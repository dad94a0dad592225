/**
 * LFW (Labeled Faces in the Wild) with its verification pairs.
 *
 * pairs.txt (View 2): a header `folds<TAB>n`, then per fold n matched lines `Name i j` followed by
 * n mismatched lines `Name1 i Name2 j`. The View 1 files (pairsDevTrain.txt / pairsDevTest.txt)
 * have a single-number header `n` and one fold. Fields may be separated by tabs or spaces.
 * Image i of Name is `images/Name/Name_%04d.jpg` (1-based).
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from '../../core/errors.js';
import type { Dataset, DatasetItem, Pair } from '../dataset.js';
import { isDir, isFile, listDir, sortItems } from './util.js';

export interface LfwImageRef {
  name: string;
  /** 1-based image number. */
  index: number;
}

export interface LfwPairLine {
  a: LfwImageRef;
  b: LfwImageRef;
  same: boolean;
  /** 0-based fold. */
  fold: number;
  /** 1-based line number in the file. */
  line: number;
}

export interface LfwPairsFile {
  folds: number;
  /** Pairs per class per fold (n matched + n mismatched lines per fold). */
  perFold: number;
  pairs: LfwPairLine[];
}

/** `Name/Name_0004.jpg`: the id of image `index` of `name`, relative to the images folder. */
export function lfwImageId(name: string, index: number): string {
  return `${name}/${name}_${String(index).padStart(4, '0')}.jpg`;
}

const INT = /^[0-9]+$/;

/**
 * Parses the text of a pairs file. `file` only labels errors, which are `UserError`s of the form
 * `<file>:<line>: <problem>`.
 */
export function parsePairs(text: string, file: string): LfwPairsFile {
  const lines = text.split(/\r?\n/);
  const fail = (line: number, msg: string): never => {
    throw new UserError(`${file}:${line}: ${msg}`);
  };
  let h = 0;
  while (h < lines.length && lines[h].trim() === '') h++;
  if (h === lines.length) fail(1, 'empty pairs file');
  const head = lines[h].trim().split(/\s+/);
  let folds: number;
  let perFold: number;
  if (head.length === 2 && INT.test(head[0]) && INT.test(head[1])) {
    folds = Number(head[0]);
    perFold = Number(head[1]);
  } else if (head.length === 1 && INT.test(head[0])) {
    // pairsDevTrain.txt / pairsDevTest.txt: "n", then n matched and n mismatched lines.
    folds = 1;
    perFold = Number(head[0]);
  } else {
    return fail(h + 1, `bad header "${lines[h].trim()}": expected "folds<TAB>pairs-per-fold" or a single pair count`);
  }
  if (folds < 1 || perFold < 1) fail(h + 1, `bad header "${lines[h].trim()}": counts must be positive`);

  const pairs: LfwPairLine[] = [];
  const perFoldLines = 2 * perFold;
  const expected = folds * perFoldLines;
  const parseIndex = (s: string, lineNo: number): number => {
    if (!INT.test(s) || Number(s) < 1) fail(lineNo, `image index "${s}" is not a positive integer`);
    return Number(s);
  };
  let lastLine = h + 1;
  for (let i = h + 1; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (raw === '') continue;
    const lineNo = i + 1;
    lastLine = lineNo;
    if (pairs.length === expected) {
      fail(lineNo, `extra pair line: the header promises ${folds} fold(s) x ${perFoldLines} = ${expected} pair lines`);
    }
    const f = raw.split(/\s+/);
    const fold = Math.floor(pairs.length / perFoldLines);
    if (f.length === 3) {
      const a = { name: f[0], index: parseIndex(f[1], lineNo) };
      const b = { name: f[0], index: parseIndex(f[2], lineNo) };
      pairs.push({ a, b, same: true, fold, line: lineNo });
    } else if (f.length === 4) {
      const a = { name: f[0], index: parseIndex(f[1], lineNo) };
      const b = { name: f[2], index: parseIndex(f[3], lineNo) };
      pairs.push({ a, b, same: false, fold, line: lineNo });
    } else {
      fail(lineNo, `expected 3 fields (Name i j) or 4 fields (Name1 i Name2 j), got ${f.length}: "${raw}"`);
    }
  }
  if (pairs.length < expected) {
    fail(lastLine, `only ${pairs.length} pair lines, but the header promises ${folds} fold(s) x ${perFoldLines} = ${expected}`);
  }
  return { folds, perFold, pairs };
}

export interface LfwOptions {
  /** Pairs file (default `<root>/pairs.txt`). */
  pairsFile?: string;
  /** Also list every image under the images folder, not only those used by pairs. */
  allImages?: boolean;
}

/** Where the per-person folders are: `<root>/images` if present, else `<root>` (the tarball layout). */
export async function lfwImagesDir(root: string): Promise<string> {
  const sub = join(root, 'images');
  return (await isDir(sub)) ? sub : root;
}

/**
 * Reads an LFW folder. Items are the images referenced by the pairs (plus all images with
 * `allImages`), ids `Name/Name_0001.jpg`, identity `Name`, sorted by id. A pair line whose image
 * file is missing is a `UserError` naming that line.
 */
export async function readLfw(root: string, opts: LfwOptions = {}): Promise<Dataset> {
  root = resolve(root);
  const pairsFile = resolve(opts.pairsFile ?? join(root, 'pairs.txt'));
  let text: string;
  try {
    text = await readFile(pairsFile, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read LFW pairs file ${pairsFile}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const parsed = parsePairs(text, pairsFile);
  const imagesDir = await lfwImagesDir(root);

  // First line mentioning each image, for error messages.
  const firstLine = new Map<string, { ref: LfwImageRef; line: number }>();
  for (const p of parsed.pairs) {
    for (const ref of [p.a, p.b]) {
      const id = lfwImageId(ref.name, ref.index);
      if (!firstLine.has(id)) firstLine.set(id, { ref, line: p.line });
    }
  }
  const ids = [...firstLine.keys()];
  const exists = await Promise.all(ids.map((id) => isFile(join(imagesDir, id))));
  const missing = ids.filter((_, k) => !exists[k]).sort((x, y) => firstLine.get(x)!.line - firstLine.get(y)!.line);
  if (missing.length > 0) {
    const m = missing[0];
    const more = missing.length > 1 ? ` (and ${missing.length - 1} more missing image(s))` : '';
    throw new UserError(`${pairsFile}:${firstLine.get(m)!.line}: image file not found: ${join(imagesDir, m)}${more}`);
  }

  const items = new Map<string, DatasetItem>();
  for (const [id, { ref }] of firstLine) items.set(id, { id, path: join(imagesDir, id), identity: ref.name });
  if (opts.allImages) {
    for (const name of (await listDir(imagesDir)).dirs) {
      for (const f of (await listDir(join(imagesDir, name))).images) {
        const id = `${name}/${f}`;
        if (!items.has(id)) items.set(id, { id, path: join(imagesDir, id), identity: name });
      }
    }
  }
  const pairs: Pair[] = parsed.pairs.map((p) => ({
    a: lfwImageId(p.a.name, p.a.index),
    b: lfwImageId(p.b.name, p.b.index),
    same: p.same,
    fold: p.fold,
  }));
  return { kind: 'lfw', root, items: sortItems([...items.values()]), pairs, folds: parsed.folds };
}

/** True for file names that look like LFW pairs files (pairs.txt, pairsDevTrain.txt, ...). */
export function looksLikePairsFile(path: string): boolean {
  return /^pairs.*\.txt$/i.test(basename(path));
}

/** The LFW root implied by a pairs file: its folder. */
export function lfwRootOfPairsFile(path: string): string {
  return dirname(resolve(path));
}

