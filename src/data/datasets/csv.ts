/**
 * CSV image lists: one row per image, `path[,identity][,label]`. A header row is optional; it is
 * recognised by its first cell (`path`, `file`, `filename`, `image`) and then columns are taken by
 * name (`identity`/`id`/`name`/`person`/`subject`/`class`, `label`/`pose`/`tag`), in any order.
 * Relative paths are resolved against the CSV file's folder. Quoted cells ("a,b", "say ""hi""")
 * follow RFC 4180; blank lines and lines starting with '#' are skipped.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { UserError } from '../../core/errors.js';
import type { Dataset, DatasetItem } from '../dataset.js';
import { isFile, relId, sortItems } from './util.js';

export interface CsvRow {
  /** 1-based line the row starts on. */
  line: number;
  cells: string[];
}

/** Splits CSV text into rows of cells. `file` only labels errors. */
export function parseCsv(text: string, file: string): CsvRow[] {
  const rows: CsvRow[] = [];
  let i = 0;
  let line = 1;
  const n = text.length;
  if (text.charCodeAt(0) === 0xfeff) i = 1; // BOM
  while (i < n) {
    const startLine = line;
    // Skip blank and comment lines.
    let j = i;
    while (j < n && (text[j] === ' ' || text[j] === '\t')) j++;
    if (j >= n) break;
    if (text[j] === '\n' || text[j] === '\r' || text[j] === '#') {
      while (i < n && text[i] !== '\n') i++;
      i++;
      line++;
      continue;
    }
    const cells: string[] = [];
    let cell = '';
    let quoted = false;
    for (;;) {
      if (i >= n) {
        if (quoted) throw new UserError(`${file}:${startLine}: unterminated quoted cell`);
        cells.push(cell);
        break;
      }
      const c = text[i];
      if (quoted) {
        if (c === '"') {
          if (text[i + 1] === '"') {
            cell += '"';
            i += 2;
          } else {
            quoted = false;
            i++;
          }
        } else {
          if (c === '\n') line++;
          cell += c;
          i++;
        }
      } else if (c === '"' && cell.trim() === '') {
        quoted = true;
        cell = '';
        i++;
      } else if (c === ',') {
        cells.push(cell);
        cell = '';
        i++;
      } else if (c === '\n' || c === '\r') {
        cells.push(cell);
        if (c === '\r' && text[i + 1] === '\n') i++;
        i++;
        line++;
        break;
      } else {
        cell += c;
        i++;
      }
    }
    rows.push({ line: startLine, cells: cells.map((s) => s.trim()) });
  }
  return rows;
}

const PATH_NAMES = ['path', 'file', 'filename', 'image', 'img'];
const IDENTITY_NAMES = ['identity', 'id', 'name', 'person', 'subject', 'class'];
const LABEL_NAMES = ['label', 'pose', 'tag'];

/** Reads a CSV image list; errors are `UserError`s naming `file:line`. */
export async function readCsv(file: string): Promise<Dataset> {
  file = resolve(file);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read CSV file ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const rows = parseCsv(text, file);
  const root = dirname(file);
  let col = { path: 0, identity: 1 as number | undefined, label: 2 as number | undefined };
  let maxCells = 3;
  let body = rows;
  if (rows.length > 0 && PATH_NAMES.includes(rows[0].cells[0].toLowerCase())) {
    const head = rows[0].cells.map((c) => c.toLowerCase());
    const find = (names: string[]) => {
      const k = head.findIndex((h) => names.includes(h));
      return k < 0 ? undefined : k;
    };
    col = { path: 0, identity: find(IDENTITY_NAMES), label: find(LABEL_NAMES) };
    maxCells = head.length;
    body = rows.slice(1);
  }
  const items: DatasetItem[] = [];
  const firstSeen = new Map<string, number>();
  for (const { line, cells } of body) {
    const where = `${file}:${line}`;
    if (cells.length > maxCells) {
      throw new UserError(`${where}: expected at most ${maxCells} fields (path[,identity][,label]), got ${cells.length}`);
    }
    const p = cells[col.path] ?? '';
    if (p === '') throw new UserError(`${where}: empty image path`);
    const path = isAbsolute(p) ? p : resolve(root, p);
    if (!(await isFile(path))) throw new UserError(`${where}: image file not found: ${path}`);
    const id = relId(root, path);
    const prev = firstSeen.get(id);
    if (prev !== undefined) throw new UserError(`${where}: duplicate image ${p} (first listed at line ${prev})`);
    firstSeen.set(id, line);
    const item: DatasetItem = { id, path };
    const identity = col.identity === undefined ? undefined : cells[col.identity];
    const label = col.label === undefined ? undefined : cells[col.label];
    if (identity) item.identity = identity;
    if (label) item.label = label;
    items.push(item);
  }
  if (items.length === 0) throw new UserError(`${file}: no image rows`);
  return { kind: 'csv', root, items: sortItems(items) };
}
