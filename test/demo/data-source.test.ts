/** Where the demo's data comes from (no network: a local closed port stands for a dead mirror), and the LFW subset. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Dataset, Pair } from '../../src/data/dataset.ts';
import { subsetLfw } from '../../src/data/datasets/lfw-subset.ts';
import { lfwPhotos, resolveDemoData } from '../../src/demo/data-source.ts';
import { tempDir } from '../data/helpers.ts';

test('resolveDemoData: --lfw, then the data folder, then a download; offline or a dead mirror give the bundled photos and a banner', async (t) => {
  const { dir, cleanup } = await tempDir('facelens-demo-data-');
  t.after(cleanup);
  const dataDir = path.join(dir, 'data');
  let fetches = 0;
  const fetch = async () => {
    fetches++;
    throw new Error('must not be called');
  };
  const given = await resolveDemoData({ lfw: 'x/lfw', dataDir, fetch });
  assert.deepEqual([given.lfw, given.lfwSource, given.banner], [path.resolve('x/lfw'), 'given', undefined]);
  const off = await resolveDemoData({ dataDir, offline: true, fetch });
  assert.equal(off.lfw, undefined);
  assert.match(off.banner!, /--offline .* bundled demo photos .*243\.3 MB/);
  assert.equal(fetches, 0);
  // a mirror on a closed port: the real fetcher fails at once, the demo falls back
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
  const lines: string[] = [];
  const dead = await resolveDemoData({ dataDir, baseUrl: `http://127.0.0.1:${port}`, log: (l) => lines.push(l) });
  assert.equal(dead.lfwSource, 'none');
  assert.match(dead.banner!, /^could not download LFW \(cannot download http:\/\/127\.0\.0\.1:\d+\/lfw-funneled\.tgz/);
  assert.match(lines[0]!, /downloading it now \(243\.3 MB/);
  // installed in the data folder (here: by hand), with a CFP next to it
  await mkdir(path.join(dataDir, 'lfw', 'images'), { recursive: true });
  await writeFile(path.join(dataDir, 'lfw', 'pairs.txt'), '1\t1\n');
  await mkdir(path.join(dataDir, 'cfp', 'images'), { recursive: true });
  const found = await resolveDemoData({ dataDir, fetch });
  assert.deepEqual([found.lfw, found.lfwSource, found.cfp], [path.join(dataDir, 'lfw'), 'data folder', path.join(dataDir, 'cfp')]);
});

test('subsetLfw keeps whole pairs, at most `limit` images, balanced over folds and same/diff; lfwPhotos picks distinct people', () => {
  // 2 folds x (3 same + 3 diff), all images distinct except within a same pair
  const pairs: Pair[] = [];
  for (const fold of [0, 1]) {
    for (let k = 0; k < 3; k++) pairs.push({ a: `S${fold}${k}/1.jpg`, b: `S${fold}${k}/2.jpg`, same: true, fold });
    for (let k = 0; k < 3; k++) pairs.push({ a: `A${fold}${k}/1.jpg`, b: `B${fold}${k}/1.jpg`, same: false, fold });
  }
  const items = [...new Set(pairs.flatMap((p) => [p.a, p.b]))].sort().map((id) => ({ id, path: `/x/${id}`, identity: id.split('/')[0]! }));
  const ds: Dataset = { kind: 'lfw', root: '/x', items, pairs, folds: 2 };
  assert.equal(subsetLfw(ds, 100), ds);
  const s = subsetLfw(ds, 8);
  assert.equal(s.items.length, 8);
  assert.equal(s.pairs!.length, 4);
  assert.deepEqual(s.pairs!.map((p) => `${p.fold}${p.same ? 's' : 'd'}`).sort(), ['0d', '0s', '1d', '1s']);
  const ids = new Set(s.items.map((i) => i.id));
  for (const p of s.pairs!) assert.ok(ids.has(p.a) && ids.has(p.b));
  assert.match(s.note!, /4 of 12 pairs \(2 matched\) over 2 folds, 8 of 24 images/);
  assert.throws(() => subsetLfw(ds, 3), /too small/);
  const photos = lfwPhotos(s, 10);
  assert.equal(new Set(photos.map((p) => p.identity)).size, photos.length);
  assert.ok(photos.every((p) => !p.id.includes('/')));
});
