import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { UserError } from '../../src/core/errors.js';
import { openDataset, parseCsv, readCsv } from '../../src/data/datasets/index.js';
import { CFP_DIR, HAVE_CFP, NO_DATA, tempDir } from './helpers.js';

/** Dataset readers only look at names and existence, so 1-byte files stand in for images. */
async function touch(path: string) {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, 'x');
}

describe('folder and image-list readers', () => {
  let dir = '';
  let cleanup = async () => {};
  before(async () => ({ dir, cleanup } = await tempDir()));
  after(() => cleanup());

  it('folder of identities: root/<identity>/*.jpg|jpeg|png, sorted, loose files ignored', async () => {
    const root = join(dir, 'people');
    for (const f of ['bob/b2.JPG', 'bob/b1.jpeg', 'alice/a.png', 'alice/notes.txt', 'alice/.hidden.jpg', 'loose.jpg', 'Zed/z.jpg'])
      await touch(join(root, f));
    await mkdir(join(root, 'empty'), { recursive: true });
    const ds = await openDataset(root);
    assert.equal(ds.kind, 'folder');
    assert.equal(ds.root, root);
    assert.deepEqual(
      ds.items.map((i) => [i.id, i.identity]),
      [['Zed/z.jpg', 'Zed'], ['alice/a.png', 'alice'], ['bob/b1.jpeg', 'bob'], ['bob/b2.JPG', 'bob']],
    );
    assert.equal(ds.items[1].path, join(root, 'alice', 'a.png'));
  });

  it('flat folder, single image file, list of image files -> kind images', async () => {
    const flat = join(dir, 'flat');
    for (const f of ['c.png', 'a.jpg', 'b.jpeg', 'readme.md']) await touch(join(flat, f));
    const ds = await openDataset(flat);
    assert.equal(ds.kind, 'images');
    assert.deepEqual(ds.items.map((i) => i.id), ['a.jpg', 'b.jpeg', 'c.png']);
    assert.equal(ds.items[0].identity, undefined);

    const one = await openDataset(join(flat, 'c.png'));
    assert.equal(one.kind, 'images');
    assert.deepEqual(one.items.map((i) => [i.id, i.path]), [['c.png', join(flat, 'c.png')]]);

    await touch(join(dir, 'other', 'd.jpg'));
    const list = await openDataset([join(flat, 'c.png'), join(dir, 'other', 'd.jpg'), join(flat, 'a.jpg')]);
    assert.equal(list.kind, 'images');
    assert.equal(list.root, dir);
    assert.deepEqual(list.items.map((i) => i.id), ['flat/a.jpg', 'flat/c.png', 'other/d.jpg']);

    await assert.rejects(openDataset([join(flat, 'a.jpg'), join(flat, 'nope.jpg')]), UserError);
    await assert.rejects(openDataset(join(dir, 'does-not-exist')), /no such file or folder/);
    await mkdir(join(dir, 'void'));
    await assert.rejects(openDataset(join(dir, 'void')), /no images found/);
  });
});

describe('CSV reader', () => {
  let dir = '';
  let cleanup = async () => {};
  before(async () => {
    ({ dir, cleanup } = await tempDir());
    for (const f of ['imgs/a.jpg', 'imgs/b.png', 'imgs/c, with comma.jpg', 'elsewhere/e.jpg']) await touch(join(dir, f));
  });
  after(() => cleanup());

  it('without header: path[,identity][,label], relative to the CSV folder, sorted', async () => {
    const csv = join(dir, 'list.csv');
    await writeFile(csv, `imgs/b.png,bob\n\n# comment\nimgs/a.jpg , alice , frontal\r\n"imgs/c, with comma.jpg"\n${join(dir, 'elsewhere', 'e.jpg')},eve,\n`);
    const ds = await openDataset(csv);
    assert.equal(ds.kind, 'csv');
    assert.equal(ds.root, dir);
    assert.deepEqual(
      ds.items.map((i) => [i.id, i.identity, i.label]),
      [
        ['elsewhere/e.jpg', 'eve', undefined],
        ['imgs/a.jpg', 'alice', 'frontal'],
        ['imgs/b.png', 'bob', undefined],
        ['imgs/c, with comma.jpg', undefined, undefined],
      ],
    );
    assert.equal(ds.items[1].path, join(dir, 'imgs', 'a.jpg'));
  });

  it('with a header, columns by name in any order', async () => {
    const csv = join(dir, 'sub', 'h.csv');
    await mkdir(join(dir, 'sub'), { recursive: true });
    await writeFile(csv, 'Path,Label,Identity\n../imgs/a.jpg,profile,alice\n../imgs/b.png,,bob\n');
    const ds = await readCsv(csv);
    assert.deepEqual(
      ds.items.map((i) => [i.id, i.identity, i.label]),
      [['../imgs/a.jpg', 'alice', 'profile'], ['../imgs/b.png', 'bob', undefined]],
    );
  });

  it('errors name file:line', async () => {
    const cases: [string, string, RegExp][] = [
      ['imgs/a.jpg,alice\nimgs/zzz.jpg,bob\n', ':2: ', /image file not found: .*zzz\.jpg/],
      ['imgs/a.jpg,alice,frontal,extra\n', ':1: ', /expected at most 3 fields/],
      ['path,identity\nimgs/a.jpg,alice\n,bob\n', ':3: ', /empty image path/],
      ['imgs/a.jpg\n# x\nimgs/a.jpg\n', ':3: ', /duplicate image imgs\/a\.jpg \(first listed at line 1\)/],
      ['imgs/a.jpg\n"imgs/b.png\n', ':2: ', /unterminated quoted cell/],
    ];
    let k = 0;
    for (const [text, where, re] of cases) {
      const csv = join(dir, `bad${k++}.csv`);
      await writeFile(csv, text);
      await assert.rejects(openDataset(csv), (e: unknown) => {
        assert.ok(e instanceof UserError, String(e));
        assert.ok(e.message.startsWith(csv + where), e.message);
        assert.match(e.message, re);
        return true;
      });
    }
  });

  it('parseCsv handles quotes and escaped quotes', () => {
    assert.deepEqual(parseCsv('"a ""b""",c\n"x\ny",z', 'f.csv'), [
      { line: 1, cells: ['a "b"', 'c'] },
      { line: 2, cells: ['x\ny', 'z'] },
    ]);
  });
});

describe('CFP reader', () => {
  it('reads the shared CFP subset: 50 identities, 700 items, frontal/profile labels', async (t) => {
    if (!HAVE_CFP) return t.skip(NO_DATA);
    const ds = await openDataset(CFP_DIR);
    assert.equal(ds.kind, 'cfp');
    assert.equal(ds.items.length, 700);
    assert.equal(new Set(ds.items.map((i) => i.identity)).size, 50);
    assert.equal(ds.items.filter((i) => i.label === 'frontal').length, 500);
    assert.equal(ds.items.filter((i) => i.label === 'profile').length, 200);
    assert.deepEqual(ds.items[0], { id: '001/frontal/01.jpg', path: join(CFP_DIR, 'images', '001', 'frontal', '01.jpg'), identity: '001', label: 'frontal' });
    assert.equal(ds.items[10].id, '001/profile/01.jpg');
    assert.equal(ds.items.at(-1)?.id, '050/profile/04.jpg');
    for (const i of ds.items) assert.equal(i.id.split('/')[1], i.label);
  });

  it('detects a synthetic CFP tree', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      for (const f of ['images/001/frontal/01.jpg', 'images/001/profile/01.jpg', 'images/002/frontal/01.jpg']) await touch(join(dir, f));
      const ds = await openDataset(dir);
      assert.equal(ds.kind, 'cfp');
      assert.deepEqual(ds.items.map((i) => `${i.id}:${i.identity}:${i.label}`), [
        '001/frontal/01.jpg:001:frontal',
        '001/profile/01.jpg:001:profile',
        '002/frontal/01.jpg:002:frontal',
      ]);
    } finally {
      await cleanup();
    }
  });
});
