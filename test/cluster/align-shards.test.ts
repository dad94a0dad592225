/** `align --shard`: three shards merged hold the same crops (byte for byte) and face list as one unsharded run. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { mergeShards } from '../../src/cluster/merge.ts';
import { openDataset } from '../../src/data/datasets/index.ts';
import { exportAligned } from '../../src/data/export-aligned.ts';
import { DLIB_150_TEMPLATE } from '../../src/models/templates.ts';

const LFW = path.resolve('../shared/data/lfw');
const skip = existsSync(path.join(LFW, 'pairs.txt')) ? false : 'SKIPPED: no ../shared/data/lfw';

async function pngs(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const f of await readdir(dir, { recursive: true })) {
    if (String(f).endsWith('.png')) out.set(String(f), await readFile(path.join(dir, String(f))));
  }
  return out;
}

test('align: 3 shards merged equal one unsharded run', { skip }, async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'facelens-align-shards-'));
  const lfw = await openDataset(LFW);
  const dataset = { ...lfw, items: lfw.items.slice(0, 7), pairs: undefined };
  const base = { dataset, template: DLIB_150_TEMPLATE, detect: false, cache: false };
  await exportAligned({ ...base, out: path.join(root, 'single') });
  for (let i = 0; i < 3; i++) await exportAligned({ ...base, out: path.join(root, 'parts', `shard-00${i}-of-003`), shard: { index: i, count: 3 } });
  const r = await mergeShards([path.join(root, 'parts')], path.join(root, 'merged'));
  assert.deepEqual(r, { kind: 'align', shards: 3, rows: 7, skipped: 0 });
  const a = await pngs(path.join(root, 'single'));
  const b = await pngs(path.join(root, 'merged'));
  assert.equal(a.size, 7);
  assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort());
  for (const [k, v] of a) assert.ok(v.equals(b.get(k)!), `${k} differs`);
  const s1 = JSON.parse(await readFile(path.join(root, 'single', 'summary.json'), 'utf8'));
  const s2 = JSON.parse(await readFile(path.join(root, 'merged', 'summary.json'), 'utf8'));
  for (const k of ['command', 'dataset', 'template', 'aligned', 'skipped', 'faces']) assert.deepEqual(s2[k], s1[k], k);
});
