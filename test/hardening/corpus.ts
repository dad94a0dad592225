/**
 * The malformed-input corpus of the hardening suite, built from scratch in a temp folder (no
 * test data needed): broken and hostile images, bad pairs / CSV / CFP trees, hostile names,
 * hostile model descriptions, a folder of user files, and (made by the suite itself with the
 * CLI) a valid sweep plus corrupted copies of it.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { lstat, mkdir, readdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { encodeModel } from '../../src/engine/onnx/proto.ts';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A valid 1x1 PNG whose IHDR claims width x height (CRC fixed): a decompression bomb header. */
async function pngClaiming(width: number, height: number): Promise<Buffer> {
  const png = await sharp({ create: { width: 1, height: 1, channels: 3, background: { r: 1, g: 2, b: 3 } } }).png().toBuffer();
  // IHDR data starts at byte 16 (8 signature + 4 length + 4 type).
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  return png;
}

const solid = (w: number, h: number, r: number, g: number, b: number) => sharp({ create: { width: w, height: h, channels: 3, background: { r, g, b } } });

export interface Corpus {
  root: string;
  inDir: string;
  p: (rel: string) => string;
}

export async function buildCorpus(root: string): Promise<Corpus> {
  const inDir = path.join(root, 'in');
  const p = (rel: string) => path.join(inDir, rel);
  const put = async (rel: string, data: string | Buffer) => {
    await mkdir(path.dirname(p(rel)), { recursive: true });
    await writeFile(p(rel), data);
  };
  const jpg = await solid(160, 160, 120, 90, 70).jpeg().toBuffer();
  const jpg2 = await solid(160, 160, 30, 90, 170).jpeg().toBuffer();
  const png = await solid(160, 160, 200, 180, 160).png().toBuffer();

  // good: plain (faceless) images, usable with --no-detect
  await put('good/a.jpg', jpg);
  await put('good/b.png', png);
  await put('good/c.jpg', jpg2);
  await put('good/d.jpg', await solid(120, 200, 80, 80, 80).jpeg().toBuffer());

  // bad images, one per file
  await put('bad/zero.jpg', Buffer.alloc(0));
  await put('bad/garbage.jpg', Buffer.from('this is not an image at all\n'.repeat(20)));
  await put('bad/trunc.jpg', jpg.subarray(0, Math.floor(jpg.length / 3)));
  await put('bad/trunc.png', png.subarray(0, 40));
  await put('bad/text.png', Buffer.from('PNG? no.'));
  await put('bad/bomb.png', await pngClaiming(60000, 60000));
  await put('bad/bomb-wide.png', await pngClaiming(2 ** 31 - 1, 1));
  await put('bad/gray16.png', await solid(64, 64, 100, 100, 100).toColourspace('grey16').png().toBuffer());
  await put('bad/grey-alpha.png', await sharp({ create: { width: 64, height: 64, channels: 4, background: { r: 90, g: 90, b: 90, alpha: 0.3 } } }).toColourspace('b-w').png().toBuffer());
  await put('bad/palette.png', await solid(64, 64, 10, 200, 30).png({ palette: true, colours: 4 }).toBuffer());
  await put('bad/rgba.png', await sharp({ create: { width: 64, height: 64, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toBuffer());
  await put('bad/cmyk.jpg', await solid(64, 64, 10, 100, 200).toColourspace('cmyk').jpeg().toBuffer());
  await put('bad/tiny.png', await solid(1, 1, 5, 5, 5).png().toBuffer());
  await put('bad/strip.png', await solid(3000, 2, 5, 5, 5).png().toBuffer());
  await put('bad/webp-named.jpg', await solid(64, 64, 10, 100, 200).webp().toBuffer());
  await put('bad/svg-named.png', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><image href="file:///etc/passwd"/></svg>'));
  await put('bad/html.jpg', Buffer.from('<html><script>alert(1)</script></html>'));
  await put('bad/exif-rot.jpg', await solid(80, 40, 50, 60, 70).jpeg().withMetadata({ orientation: 6 }).toBuffer());

  // one folder mixing good and bad, and two images differing only in extension
  await put('mixed/x.jpg', jpg);
  await put('mixed/x.png', png);
  await put('mixed/bad.jpg', Buffer.from('garbage'));
  await put('mixed/zero.png', Buffer.alloc(0));
  await put('allbad/one.jpg', Buffer.from('garbage'));
  await put('allbad/two.png', Buffer.alloc(0));
  await mkdir(p('emptydir'), { recursive: true });
  await put('noimages/readme.txt', 'no images here');

  // hostile names
  for (const n of ['sp ace.jpg', 'ünïcødé.jpg', '-dash.jpg', 'new\nline.jpg', 'quote\'".jpg', '%2e%2e.jpg', 'x.JPG']) await put(`names/${n}`, jpg);
  await symlink('loop-b', p('names/loop-a.jpg'));
  await symlink('loop-a.jpg', p('names/loop-b'));
  await symlink('/etc/passwd', p('names/passwd.jpg'));
  try {
    execFileSync('mkfifo', [p('fifo.jpg')]);
  } catch {
    await put('fifo.jpg', jpg); // no mkfifo: an ordinary file
  }

  // CSV lists
  const abs = p('good/b.png');
  await put('csv/ok.csv', 'path,identity\n../good/a.jpg,p1\n../good/b.png,p2\n');
  await put('csv/dotdot.csv', `path,identity\n../good/a.jpg,p1\n${abs},p2\n../../in/good/c.jpg,p3\n../mixed/x.jpg,p4\n../mixed/x.png,p4\n`);
  await put('csv/empty.csv', '');
  await put('csv/header-only.csv', 'path,identity,label\n');
  await put('csv/missing.csv', 'path\nnope1.jpg\nnope2.png\n');
  await put('csv/garbage.csv', Buffer.from([0, 1, 2, 3, 255, 254, 10, 0, 0, 44, 44]));
  await put('csv/badquote.csv', 'path,identity\n"../good/a.jpg,p1\n');
  await put('csv/dup.csv', 'path\n../good/a.jpg\n../good/a.jpg\n');
  await put('csv/dir.csv', 'path\n../good\n');
  await put('csv/allbad.csv', 'path\n../bad/zero.jpg\n../bad/garbage.jpg\n');
  await put('csv/etc.csv', 'path\n/etc/passwd\n/etc/hostname\n');
  await put('csv/longline.csv', `path\n${'a'.repeat(100_000)}.jpg\n`);
  await put('csv/pose-nolabel.csv', 'path,identity\n../good/a.jpg,001\n../good/b.png,001\n');
  await put('csv/comma-names.csv', 'path,identity\n"../names/sp ace.jpg","id, with comma"\n');

  // LFW-like trees
  await put('lfw-missing/pairs.txt', '2\t1\nAlice\t1\t2\nAlice\t1\tBob\t1\nCarol\t1\t2\nCarol\t1\tDan\t1\n');
  await mkdir(p('lfw-missing/images'), { recursive: true });
  await put('lfw-empty/pairs.txt', '');
  await mkdir(p('lfw-empty/images'), { recursive: true });
  await put('lfw-garbage/pairs.txt', 'this\nis not\na pairs file\n');
  await put('lfw-garbage/images/Alice/Alice_0001.jpg', jpg);
  await put('lfw-negative/pairs.txt', '1\t1\nAlice\t-1\t0\nAlice\t1\tBob\t99999999999\n');
  await put('lfw-negative/images/Alice/Alice_0001.jpg', jpg);
  await put('lfw-onefold/pairs.txt', '1\t1\nAlice\t1\t2\nAlice\t1\tBob\t1\n');
  await put('lfw-onefold/images/Alice/Alice_0001.jpg', jpg);
  await put('lfw-onefold/images/Alice/Alice_0002.jpg', jpg2);
  await put('lfw-onefold/images/Bob/Bob_0001.jpg', png);
  await put('lfw-badimages/pairs.txt', '2\t1\nAlice\t1\t2\nAlice\t1\tBob\t1\nAlice\t1\t2\nAlice\t2\tBob\t1\n');
  await put('lfw-badimages/images/Alice/Alice_0001.jpg', Buffer.from('garbage'));
  await put('lfw-badimages/images/Alice/Alice_0002.jpg', Buffer.alloc(0));
  await put('lfw-badimages/images/Bob/Bob_0001.jpg', Buffer.from('garbage'));
  await put('pairlist.txt', 'nope/a.jpg 1\nnope/b.jpg 1\nnope/c.jpg 0\nnope/d.jpg 0\n');

  // CFP-like trees
  await mkdir(p('cfp-empty/images'), { recursive: true });
  await put('cfp-frontal-only/images/001/frontal/01.jpg', jpg);
  await put('cfp-frontal-only/images/001/frontal/02.jpg', jpg2);
  await put('cfp-garbage/images/001/frontal/01.jpg', Buffer.from('garbage'));
  await put('cfp-garbage/images/001/profile/01.jpg', Buffer.alloc(0));
  await put('cfp-garbage/images/002/frontal/01.jpg', Buffer.from('garbage'));
  await put('cfp-garbage/images/002/profile/01.jpg', Buffer.from('garbage'));

  // hostile model descriptions
  const node = [{ name: 'x', op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: { dim: [{ size: '1' }, { size: '8' }, { size: '8' }, { size: '3' }] } } } }];
  await put('models/trav/model.json', JSON.stringify({ format: 'graph-model', modelTopology: { node }, weightsManifest: [{ paths: ['../../../../../../etc/passwd'], weights: [{ name: 'w', shape: [1], dtype: 'float32' }] }] }));
  await put('models/abs/model.json', JSON.stringify({ format: 'graph-model', modelTopology: { node }, weightsManifest: [{ paths: ['/etc/passwd'], weights: [{ name: 'w', shape: [1], dtype: 'float32' }] }] }));
  await mkdir(p('models/link'), { recursive: true });
  await symlink('/etc/passwd', p('models/link/shard.bin'));
  await put('models/link/model.json', JSON.stringify({ format: 'graph-model', modelTopology: { node }, weightsManifest: [{ paths: ['shard.bin'], weights: [{ name: 'w', shape: [1], dtype: 'float32' }] }] }));
  await put('models/null/model.json', 'null');
  await put('models/nopaths/model.json', JSON.stringify({ format: 'graph-model', modelTopology: { node }, weightsManifest: [{ weights: [] }] }));
  await put('models/layers/model.json', JSON.stringify({ format: 'layers-model', modelTopology: {} }));
  // An ONNX model whose weight lives in "external data" outside its folder.
  const external = encodeModel({
    irVersion: 8,
    opsetImport: [{ version: 13 }],
    graph: {
      name: 'g',
      node: [{ opType: 'Add', input: ['x', 'w'], output: ['y'], name: 'add' }],
      input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }, { dimValue: 3 }, { dimValue: 8 }, { dimValue: 8 }] } } } }],
      output: [{ name: 'y', type: { tensorType: { elemType: 1 } } }],
      initializer: [{ name: 'w', dims: [1], dataType: 1, dataLocation: 1, externalData: [{ key: 'location', value: '../../../../../../etc/passwd' }, { key: 'length', value: '4' }] }],
    },
  });
  await put('models/external.onnx', Buffer.from(external));
  await put('models/garbage.onnx', Buffer.from('not an onnx file'));
  await put('models/empty.onnx', Buffer.alloc(0));
  await put('models/config-null.json', 'null');
  await put('models/weights.h5', Buffer.from('not hdf5'));

  // a plain file, a folder of user files, a folder that looks like results but is not
  await put('file.txt', 'just a file\n');
  await put('userdir/notes.txt', 'my notes\n');
  await put('userdir/summary.json', '{"mine": true}\n');
  await put('userdir/sweep/data.csv', '1,2,3\n');
  await put('userdir/report/draft.md', '# draft\n');
  await put('userdir/faces/me.jpg', jpg);
  await put('fake-results/run.json', '{"format": "something-else"}');
  await put('fake-results/faces/a.jpg', jpg);
  await mkdir(p('serve-empty'), { recursive: true });
  await put('serve-garbage/sweep/manifest.json', 'null');
  await put('serve-garbage/atlas/res64/summary.json', '{{{');
  return { root, inDir, p };
}

/** Every entry under `dir` (relative path -> content hash, link target or 'dir'), `skip`ped subtrees left out. */
export async function snapshot(dir: string, skip: (rel: string) => boolean = () => false): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string) => {
    let names: string[];
    try {
      names = await readdir(d);
    } catch {
      return;
    }
    for (const n of names) {
      const abs = path.join(d, n);
      const rel = path.relative(dir, abs);
      if (skip(rel)) continue;
      const st = await lstat(abs);
      if (st.isSymbolicLink()) out.set(rel, `link:${await readlink(abs)}`);
      else if (st.isDirectory()) {
        out.set(rel, 'dir');
        await walk(abs);
      } else if (st.isFile()) out.set(rel, createHash('sha1').update(await readFile(abs)).digest('hex'));
      else out.set(rel, 'special');
    }
  };
  await walk(dir);
  return out;
}

export function diffSnapshots(a: Map<string, string>, b: Map<string, string>): string[] {
  const d: string[] = [];
  for (const [k, v] of a) if (b.get(k) !== v) d.push(b.has(k) ? `changed ${k}` : `removed ${k}`);
  for (const k of b.keys()) if (!a.has(k)) d.push(`added ${k}`);
  return d;
}
