import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatJson, readJson, writeJsonAtomic } from '../../src/io/json.js';

let dir: string;
before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'facelens-json-'));
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const value = { name: 'pool5', neurons: [22, 7], stats: { mean: 0.25, n: 50 }, note: null, ok: true };

test('writes 2-space JSON with a final newline, identical bytes for identical values', async () => {
  const file = path.join(dir, 'a.json');
  await writeJsonAtomic(file, value);
  const text = await fs.readFile(file, 'utf8');
  assert.equal(text, JSON.stringify(value, null, 2) + '\n');
  assert.match(text, /^\{\n {2}"name": "pool5",\n {2}"neurons": \[\n {4}22,/);
  await writeJsonAtomic(file, structuredClone(value));
  assert.equal(await fs.readFile(file, 'utf8'), text);
  assert.deepEqual(await readJson<typeof value>(file), value);
});

test('sortKeys sorts object keys recursively, arrays keep their order', () => {
  const a = formatJson({ b: 1, a: { d: [3, 1], c: 2 } }, { sortKeys: true });
  assert.equal(a, '{\n  "a": {\n    "c": 2,\n    "d": [\n      3,\n      1\n    ]\n  },\n  "b": 1\n}\n');
  assert.equal(formatJson({ b: 1, a: 2 }), '{\n  "b": 1,\n  "a": 2\n}\n');
});

test('replaces atomically, creates parent folders and leaves no temp files', async () => {
  const file = path.join(dir, 'deep', 'er', 'b.json');
  await writeJsonAtomic(file, [1]);
  await writeJsonAtomic(file, [2, 3]);
  assert.deepEqual(await readJson(file), [2, 3]);
  assert.deepEqual(await fs.readdir(path.dirname(file)), ['b.json']);
});

test('refuses non-finite numbers, naming the file and the key, and keeps the old file', async () => {
  const file = path.join(dir, 'c.json');
  await writeJsonAtomic(file, { acc: 0.5 });
  await assert.rejects(writeJsonAtomic(file, { acc: NaN }), (e: Error) => e.message.includes(file) && e.message.includes('"acc"'));
  await assert.rejects(writeJsonAtomic(file, [1, Infinity]), /non-finite number Infinity/);
  assert.deepEqual(await readJson(file), { acc: 0.5 });
  assert.deepEqual(await fs.readdir(dir).then((l) => l.filter((f) => f.includes('.tmp'))), []);
});

test('readJson errors name the file', async () => {
  const missing = path.join(dir, 'missing.json');
  await assert.rejects(readJson(missing), (e: Error) => e.name === 'UserError' && e.message.startsWith(`cannot read ${missing} (ENOENT)`));
  const bad = path.join(dir, 'bad.json');
  await fs.writeFile(bad, '{"a": 1,');
  await assert.rejects(readJson(bad), (e: Error) => e.name === 'UserError' && e.message.startsWith(`invalid JSON in ${bad}`));
});

test('write errors name the file', async () => {
  const blocker = path.join(dir, 'blocker');
  await fs.writeFile(blocker, 'x');
  const file = path.join(blocker, 'd.json'); // parent is a file
  await assert.rejects(writeJsonAtomic(file, 1), (e: Error) => e.message.startsWith(`writeJson: cannot write ${file}:`));
});
