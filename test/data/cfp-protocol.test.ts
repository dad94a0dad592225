/** The CFP-FP / CFP-FF protocol reader, on ../shared/data/cfp and on small broken copies. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseCfpPairList, parseCfpSplit, readCfpProtocol } from '../../src/data/datasets/cfp-protocol.ts';
import { CFP_DIR, HAVE_CFP, NO_DATA, tempDir } from './helpers.ts';

test('parseCfpPairList / parseCfpSplit: original paths matched on id/pose/file; bad lines name file and line', () => {
  const m = parseCfpPairList('1 ../Data/Images/001/frontal/01.jpg\n\n2 ..\\Data\\Images\\002\\profile\\04.jpg\n', 'F.txt');
  assert.deepEqual([...m], [[1, '001/frontal/01.jpg'], [2, '002/profile/04.jpg']]);
  assert.throws(() => parseCfpPairList('1 a.jpg\n', 'F.txt'), /^UserError: F\.txt:1: image path "a\.jpg" has no/);
  assert.throws(() => parseCfpPairList('1 x/y/z.jpg\n1 x/y/w.jpg', 'F.txt'), /F\.txt:2: index 1 listed twice/);
  assert.deepEqual(parseCfpSplit('5,1\n 8 , 4\n', 's.txt'), [{ i: 5, j: 1, line: 1 }, { i: 8, j: 4, line: 2 }]);
  assert.throws(() => parseCfpSplit('5,1\n5;1\n', 's.txt'), /s\.txt:2: expected "i,j"/);
});

test('readCfpProtocol on the shared CFP: FP pairs frontal-profile, FF pairs frontal-frontal, split 01 dealt into 10 folds', { skip: HAVE_CFP ? false : NO_DATA }, async () => {
  for (const protocol of ['FP', 'FF'] as const) {
    const ds = await readCfpProtocol(CFP_DIR, protocol);
    assert.equal(ds.pairs!.length, 700);
    assert.equal(ds.pairs!.filter((p) => p.same).length, 350);
    assert.equal(ds.folds, 10);
    assert.match(ds.note!, /only split 01 present/);
    const perFold = new Map<number, number>();
    for (const p of ds.pairs!) perFold.set(p.fold, (perFold.get(p.fold) ?? 0) + (p.same ? 1 : 0));
    assert.deepEqual([...perFold.values()], Array(10).fill(35));
    const ids = new Set(ds.items.map((it) => it.id));
    for (const p of ds.pairs!) {
      assert.ok(ids.has(p.a) && ids.has(p.b));
      assert.match(p.a, /\/frontal\//);
      assert.match(p.b, protocol === 'FP' ? /\/profile\// : /\/frontal\//);
      // same pairs share the identity folder, diff pairs do not
      assert.equal(p.a.slice(0, 3) === p.b.slice(0, 3), p.same);
    }
    // an identity subset keeps exactly the pairs inside it
    const keep = (id: string) => Number(id) <= 10;
    const sub = await readCfpProtocol(CFP_DIR, protocol, { identities: { test: keep, label: '001-010' } });
    const expected = ds.pairs!.filter((p) => keep(p.a.slice(0, 3)) && keep(p.b.slice(0, 3)));
    assert.deepEqual(sub.pairs, expected);
    assert.ok(sub.items.every((it) => keep(it.identity!)));
    assert.match(sub.note!, new RegExp(`identities 001-010: ${expected.length} of 700 pairs`));
  }
});

test('readCfpProtocol: an index missing from the image list, and a missing split file, are clear errors', { skip: HAVE_CFP ? false : NO_DATA }, async (t) => {
  const { dir, cleanup } = await tempDir('facelens-cfpp-');
  t.after(cleanup);
  await mkdir(path.join(dir, 'images'), { recursive: true });
  await cp(path.join(CFP_DIR, 'images', '001'), path.join(dir, 'images', '001'), { recursive: true });
  await mkdir(path.join(dir, 'Protocol', 'Split', 'FP', '01'), { recursive: true });
  await writeFile(path.join(dir, 'Protocol', 'Pair_list_F.txt'), '1 ../Data/Images/001/frontal/01.jpg\n2 ../Data/Images/001/frontal/02.jpg\n');
  await writeFile(path.join(dir, 'Protocol', 'Pair_list_P.txt'), '1 ../Data/Images/001/profile/01.jpg\n');
  const split = path.join(dir, 'Protocol', 'Split', 'FP', '01');
  await writeFile(path.join(split, 'same.txt'), '1,1\n');
  await assert.rejects(readCfpProtocol(dir, 'FP'), /missing CFP split file .*diff\.txt/);
  await writeFile(path.join(split, 'diff.txt'), '1,1\n');
  await writeFile(path.join(split, 'same.txt'), '1,1\n2,7\n');
  await assert.rejects(readCfpProtocol(dir, 'FP'), (e: Error) => e.message === `${path.join(split, 'same.txt')}:2: index 7 is not in Pair_list_P.txt`);
  await assert.rejects(readCfpProtocol(dir, 'FF'), /no FF splits/);
});
