#!/usr/bin/env node
/**
 * Compares two results folders file by file (e.g. two `npm start` runs with the same seed, one
 * before and one after a refactoring) and says whether they are byte-identical.
 *
 *   node scripts/compare-outputs.mjs BEFORE_DIR AFTER_DIR
 *
 * Every file is hashed (sha256). Files that differ in bytes are then looked at once more with the
 * only fields that legitimately depend on the clock masked:
 *   - JSON files: the keys `date` / `at` (ISO time a run, summary or journal event was written),
 *     `seconds`, `totalSeconds`, `split` (measured durations: a number or an object of numbers;
 *     `split` is the atlas' per-neuron stage times) and `imagesPerSecond` (a speed);
 *     nothing else (status, parameters, numbers) is masked;
 *   - JSON lines files (.jsonl): each line as a JSON file;
 *   - text files (.md, .html, .csv, .svg): ISO timestamps, "<number> s" durations, and the
 *     seconds column of the report's run table (index.html: `<td>status</td><td>4.2</td>`).
 * Before that, the absolute path of each folder is replaced by `<root>` on its side (results
 * record where they were written), so two runs into different folders of the same name compare
 * equal; run the two into folders with the same name (e.g. /tmp/before/out and /tmp/after/out).
 * A file that is equal only after masking is reported as "equal but for time fields"; one that
 * still differs is listed with the first differing JSON path or line. Exit code 0 when nothing
 * differs beyond time fields and no file is missing on either side, 1 otherwise.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

const TIME_KEYS = new Set(['date', 'at', 'seconds', 'totalSeconds', 'split', 'imagesPerSecond']);
const TEXT_EXT = new Set(['.md', '.html', '.csv', '.svg', '.txt']);

async function listFiles(root, dir = '') {
  const out = [];
  for (const e of await readdir(path.join(root, dir), { withFileTypes: true })) {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(root, rel)));
    else if (e.isFile()) out.push(rel);
  }
  return out.sort();
}

const sha = (buf) => createHash('sha256').update(buf).digest('hex');

function maskJson(v) {
  if (Array.isArray(v)) return v.map(maskJson);
  if (v && typeof v === 'object') {
    const o = {};
    for (const [k, x] of Object.entries(v)) o[k] = TIME_KEYS.has(k) ? '<time>' : maskJson(x);
    return o;
  }
  return v;
}

function firstJsonDiff(a, b, at = '$') {
  if (typeof a !== typeof b || Array.isArray(a) !== Array.isArray(b) || (a === null) !== (b === null)) return at;
  if (a && typeof a === 'object') {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    for (const k of keys) {
      const d = firstJsonDiff(a[k], b[k], `${at}.${k}`);
      if (d) return d;
    }
    return null;
  }
  return a === b ? null : `${at}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`;
}

const maskText = (s) =>
  s
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<date>')
    .replace(/\b\d+(\.\d+)?\s?s\b/g, '<dur>')
    .replace(/(<td><span class="st [^"]*">[^<]*<\/span><\/td><td>)[\d.]+(<\/td>)/g, '$1<dur>$2');

function firstLineDiff(a, b) {
  const la = a.split('\n');
  const lb = b.split('\n');
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] !== lb[i]) return `line ${i + 1}: ${JSON.stringify((la[i] ?? '').slice(0, 120))} vs ${JSON.stringify((lb[i] ?? '').slice(0, 120))}`;
  }
  return null;
}

async function main() {
  const [before, after] = process.argv.slice(2);
  if (!before || !after) {
    console.error('usage: node scripts/compare-outputs.mjs BEFORE_DIR AFTER_DIR');
    process.exit(2);
  }
  const rootA = path.resolve(before);
  const rootB = path.resolve(after);
  const fa = await listFiles(before);
  const fb = await listFiles(after);
  const sb = new Set(fb);
  const sa = new Set(fa);
  const onlyBefore = fa.filter((f) => !sb.has(f));
  const onlyAfter = fb.filter((f) => !sa.has(f));
  let identical = 0;
  const timeOnly = [];
  const differ = [];
  for (const f of fa.filter((x) => sb.has(x))) {
    const [a, b] = await Promise.all([readFile(path.join(before, f)), readFile(path.join(after, f))]);
    if (sha(a) === sha(b)) {
      identical++;
      continue;
    }
    const ext = path.extname(f);
    const ta = a.toString('utf8').split(rootA).join('<root>');
    const tb = b.toString('utf8').split(rootB).join('<root>');
    if (ta === tb) {
      timeOnly.push(`${f} (the folder's own path only)`);
      continue;
    }
    if (ext === '.json' || ext === '.jsonl') {
      let ja, jb;
      try {
        const parse = (t) => (ext === '.json' ? JSON.parse(t) : t.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l)));
        ja = maskJson(parse(ta));
        jb = maskJson(parse(tb));
      } catch {
        differ.push(`${f} (not JSON on one side)`);
        continue;
      }
      const d = firstJsonDiff(ja, jb);
      if (d) differ.push(`${f}: ${d}`);
      else timeOnly.push(f);
    } else if (TEXT_EXT.has(ext)) {
      const d = firstLineDiff(maskText(ta), maskText(tb));
      if (d) differ.push(`${f}: ${d}`);
      else timeOnly.push(f);
    } else {
      differ.push(`${f} (binary, ${a.length} vs ${b.length} bytes)`);
    }
  }
  console.log(`${fa.length} files before, ${fb.length} after: ${identical} byte-identical, ${timeOnly.length} equal but for time fields / the folder path, ${differ.length} differ, ${onlyBefore.length} only before, ${onlyAfter.length} only after`);
  for (const f of timeOnly) console.log(`  time fields only: ${f}`);
  for (const f of differ) console.log(`  DIFFER: ${f}`);
  for (const f of onlyBefore) console.log(`  ONLY BEFORE: ${f}`);
  for (const f of onlyAfter) console.log(`  ONLY AFTER: ${f}`);
  const ok = differ.length === 0 && onlyBefore.length === 0 && onlyAfter.length === 0;
  console.log(ok ? 'verdict: IDENTICAL (except time fields)' : 'verdict: DIFFERENT');
  process.exit(ok ? 0 : 1);
}

main();
