import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { UserError } from '../../src/core/errors.js';
import { lfwImageId, openDataset, parsePairs, readLfw } from '../../src/data/datasets/index.js';
import { HAVE_LFW, LFW_DIR, NO_DATA, tempDir } from './helpers.js';

describe('LFW reader on the shared pairs.txt', () => {
  it('reads 2 folds x (300 same + 300 different) pairs and their images', async (t) => {
    if (!HAVE_LFW) return t.skip(NO_DATA);
    const ds = await openDataset(LFW_DIR);
    assert.equal(ds.kind, 'lfw');
    assert.equal(ds.folds, 2);
    const pairs = ds.pairs ?? [];
    assert.equal(pairs.length, 1200);
    assert.equal(pairs.filter((p) => p.same).length, 600);
    assert.equal(pairs.filter((p) => !p.same).length, 600);
    for (const fold of [0, 1]) {
      const f = pairs.filter((p) => p.fold === fold);
      assert.equal(f.filter((p) => p.same).length, 300, `fold ${fold} same`);
      assert.equal(f.filter((p) => !p.same).length, 300, `fold ${fold} different`);
    }
    // Standard layout: in each fold the 300 matched lines come first.
    assert.ok(pairs.slice(0, 300).every((p) => p.same && p.fold === 0));
    assert.ok(pairs.slice(300, 600).every((p) => !p.same && p.fold === 0));
    // First lines of the file: "Abel_Pacheco 1 4", then after 600 lines fold 2 begins.
    assert.deepEqual(pairs[0], { a: 'Abel_Pacheco/Abel_Pacheco_0001.jpg', b: 'Abel_Pacheco/Abel_Pacheco_0004.jpg', same: true, fold: 0 });
    assert.equal(pairs[600].fold, 1);

    const byId = new Map(ds.items.map((i) => [i.id, i]));
    assert.equal(byId.size, ds.items.length, 'ids are unique');
    for (const p of pairs) {
      for (const id of [p.a, p.b]) {
        const item = byId.get(id);
        assert.ok(item, `pair image ${id} is an item`);
        assert.ok(existsSync(item.path), `${item.path} exists`);
        assert.equal(item.identity, id.split('/')[0]);
      }
      if (p.same) assert.equal(p.a.split('/')[0], p.b.split('/')[0]);
      else assert.notEqual(p.a.split('/')[0], p.b.split('/')[0]);
    }
    // Items = exactly the images the pairs reference, sorted by id.
    assert.equal(ds.items.length, new Set(pairs.flatMap((p) => [p.a, p.b])).size);
    assert.equal(ds.items.length, 1583);
    const ids = ds.items.map((i) => i.id);
    assert.deepEqual(ids, [...ids].sort());
    // The pairs file itself can be given.
    const viaFile = await openDataset(join(LFW_DIR, 'pairs.txt'));
    assert.equal(viaFile.pairs?.length, 1200);
    assert.deepEqual(viaFile.items.map((i) => i.id), ids);
  });
});

describe('LFW pairs parsing', () => {
  let dir = '';
  let cleanup = async () => {};
  before(async () => {
    ({ dir, cleanup } = await tempDir());
    for (const [name, n] of [['Ann_A', 3], ['Bob_B', 2], ['Cy_C', 1]] as const) {
      await mkdir(join(dir, 'images', name), { recursive: true });
      for (let i = 1; i <= n; i++) await writeFile(join(dir, 'images', lfwImageId(name, i)), 'x');
    }
  });
  after(() => cleanup());

  const write = async (name: string, text: string) => {
    const f = join(dir, name);
    await writeFile(f, text);
    return f;
  };

  it('accepts any fold count, tabs or spaces, CRLF, and the single-number header', async () => {
    const f = await write('pairs.txt', '2\t1\r\nAnn_A\t1\t2\r\nAnn_A\t1\tBob_B\t2\r\nBob_B 1 2\r\nCy_C  1 Ann_A 3\r\n\r\n');
    const ds = await readLfw(dir, { pairsFile: f });
    assert.equal(ds.folds, 2);
    assert.deepEqual(ds.pairs?.map((p) => [p.same, p.fold]), [[true, 0], [false, 0], [true, 1], [false, 1]]);
    assert.deepEqual(ds.items.map((i) => i.id), [
      'Ann_A/Ann_A_0001.jpg', 'Ann_A/Ann_A_0002.jpg', 'Ann_A/Ann_A_0003.jpg',
      'Bob_B/Bob_B_0001.jpg', 'Bob_B/Bob_B_0002.jpg', 'Cy_C/Cy_C_0001.jpg',
    ]);
    const dev = parsePairs('2\nAnn_A 1 2\nBob_B 1 2\nAnn_A 1 Bob_B 1\nAnn_A 2 Cy_C 1\n', 'pairsDevTrain.txt');
    assert.equal(dev.folds, 1);
    assert.equal(dev.perFold, 2);
    assert.deepEqual(dev.pairs.map((p) => p.same), [true, true, false, false]);
    // allImages adds images no pair uses.
    const one = await write('pairsOne.txt', '1\t1\nAnn_A 1 2\nAnn_A 1 Bob_B 1\n');
    assert.equal((await readLfw(dir, { pairsFile: one })).items.length, 3);
    assert.equal((await readLfw(dir, { pairsFile: one, allImages: true })).items.length, 6);
  });

  const cases: [string, string, number, RegExp][] = [
    ['wrong field count', '1\t1\nAnn_A\t1\t2\nAnn_A\t1\tBob_B\t1\t9\n', 3, /expected 3 fields \(Name i j\) or 4 fields \(Name1 i Name2 j\), got 5/],
    ['name where an index belongs', '1\t1\nAnn_A\t1\t2\nAnn_A\t1\tBob_B\n', 3, /image index "Bob_B" is not a positive integer/],
    ['too few fields', '1\t1\nAnn_A\t1\nAnn_A\t1\tBob_B\t1\n', 2, /got 2/],
    ['non-integer index', '1\t1\nAnn_A\t1\ttwo\nAnn_A\t1\tBob_B\t1\n', 2, /"two" is not a positive integer/],
    ['zero index', '1\t1\nAnn_A\t1\t2\nAnn_A\t0\tBob_B\t1\n', 3, /"0" is not a positive integer/],
    ['missing image file', '1\t1\nAnn_A\t1\t2\nAnn_A\t1\tBob_B\t7\n', 3, /image file not found: .*Bob_B_0007\.jpg/],
    ['bad header', 'folds 1\nAnn_A 1 2\n', 1, /bad header/],
    ['too few lines for the header', '2\t1\nAnn_A 1 2\nAnn_A 1 Bob_B 1\nBob_B 1 2\n', 4, /only 3 pair lines.*promises 2 fold\(s\) x 2 = 4/],
    ['extra lines', '1\t1\nAnn_A 1 2\nAnn_A 1 Bob_B 1\nBob_B 1 2\n', 4, /extra pair line/],
  ];
  for (const [what, text, line, re] of cases) {
    it(`malformed pairs file (${what}) -> UserError naming file:${line}`, async () => {
      const f = await write(`bad-${what.replace(/\W+/g, '_')}.txt`, text);
      await assert.rejects(readLfw(dir, { pairsFile: f }), (e: unknown) => {
        assert.ok(e instanceof UserError, String(e));
        assert.ok(e.message.startsWith(`${f}:${line}: `), e.message);
        assert.match(e.message, re);
        return true;
      });
    });
  }
});
