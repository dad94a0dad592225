/**
 * Pair lists for `facelens explain --pairs FILE`:
 * - LFW pairs.txt lines: `Name<TAB>i<TAB>j` (same person) or `Name1<TAB>i<TAB>Name2<TAB>j`
 *   (different), images at `<images>/<Name>/<Name>_<NNNN>.jpg`; a leading header line of one or
 *   two numbers (`10<TAB>300`) is skipped;
 * - CSV lines `a,b[,label]` (label 1/0 or same/different), image paths relative to the file's
 *   folder; a first line whose first cell is not an image path is a header.
 * Blank lines and lines starting with `#` are ignored.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { UserError } from '../../core/errors.js';
import { isImageFile } from '../../data/image-io.js';

export interface ExplainPairSpec {
  a: string;
  b: string;
  same?: boolean;
  /** Where it came from (file:line). */
  source: string;
}

const lfwPath = (images: string, name: string, index: string) => join(images, name, `${name}_${String(Number(index)).padStart(4, '0')}.jpg`);
const isIndex = (s: string) => /^\d+$/.test(s);

export function parsePairsText(text: string, file: string, imagesDir: string): ExplainPairSpec[] {
  const base = dirname(resolve(file));
  const out: ExplainPairSpec[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    const where = `${file}:${i + 1}`;
    if (line === '' || line.startsWith('#')) return;
    if (line.includes(',')) {
      const cells = line.split(',').map((c) => c.trim());
      if (!isImageFile(cells[0] ?? '')) {
        if (out.length === 0) return; // header
        throw new UserError(`${where}: expected "imageA,imageB[,label]" with image paths, got "${line}"`);
      }
      if (cells.length < 2 || cells.length > 3 || !isImageFile(cells[1]!)) throw new UserError(`${where}: expected "imageA,imageB[,label]", got "${line}"`);
      let same: boolean | undefined;
      if (cells.length === 3 && cells[2] !== '') {
        const l = cells[2]!.toLowerCase();
        if (l === '1' || l === 'same' || l === 'true') same = true;
        else if (l === '0' || l === 'different' || l === 'false') same = false;
        else throw new UserError(`${where}: label must be 1/0 or same/different, got "${cells[2]}"`);
      }
      const abs = (p: string) => (isAbsolute(p) ? p : join(base, p));
      out.push({ a: abs(cells[0]!), b: abs(cells[1]!), ...(same === undefined ? {} : { same }), source: where });
      return;
    }
    const f = line.split(/\s+/);
    if (out.length === 0 && f.length <= 2 && f.every(isIndex)) return; // LFW header
    if (f.length === 3 && isIndex(f[1]!) && isIndex(f[2]!)) {
      out.push({ a: lfwPath(imagesDir, f[0]!, f[1]!), b: lfwPath(imagesDir, f[0]!, f[2]!), same: true, source: where });
    } else if (f.length === 4 && isIndex(f[1]!) && isIndex(f[3]!)) {
      out.push({ a: lfwPath(imagesDir, f[0]!, f[1]!), b: lfwPath(imagesDir, f[2]!, f[3]!), same: false, source: where });
    } else {
      throw new UserError(`${where}: not a pair line (LFW "Name i j" / "Name1 i Name2 j", or CSV "a,b[,label]"): "${line}"`);
    }
  });
  if (out.length === 0) throw new UserError(`${file}: no pairs`);
  return out;
}

export async function readPairsFile(file: string, imagesDir?: string): Promise<ExplainPairSpec[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read pairs file ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const dir = dirname(resolve(file));
  let images = imagesDir ? resolve(imagesDir) : dir;
  if (!imagesDir) {
    const { isDir } = await import('../../data/datasets/util.js');
    if (await isDir(join(dir, 'images'))) images = join(dir, 'images');
  }
  return parsePairsText(text, file, images);
}
