/**
 * `facelens data fetch` against a local HTTP server (127.0.0.1, started here) that serves a
 * tarball built here from a few identities of ../shared/data/lfw, in the figshare layout
 * (`lfw_funneled/<Name>/<Name>_NNNN.jpg`), plus a matching pairs.txt. Never touches the internet.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { copyFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tar from 'tar';
import { LFW, type DatasetSpec } from '../../src/data/fetch/catalog.ts';
import { downloadFile, NetworkError } from '../../src/data/fetch/download.ts';
import { fetchDataset, isInstalled, listDatasets, MARKER } from '../../src/data/fetch/install.ts';
import { openDataset } from '../../src/data/datasets/index.ts';
import { HAVE_LFW, LFW_DIR, NO_DATA, tempDir } from './helpers.ts';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface Fixture {
  files: Map<string, Buffer>;
  spec: DatasetSpec;
  names: string[];
  images: number;
}

/** A small LFW: the first matched and first mismatched pair of the shared pairs.txt, all images of those people. */
async function buildFixture(dir: string): Promise<Fixture> {
  const lines = (await readFile(path.join(LFW_DIR, 'pairs.txt'), 'utf8')).split(/\r?\n/).slice(1).map((l) => l.trim().split(/\s+/));
  const matched = lines.find((f) => f.length === 3)!;
  const mismatched = lines.find((f) => f.length === 4)!;
  const names = [...new Set([matched[0]!, mismatched[0]!, mismatched[2]!])];
  const src = path.join(dir, 'src', 'lfw_funneled');
  let images = 0;
  for (const n of names) {
    await mkdir(path.join(src, n), { recursive: true });
    for (const f of await readdir(path.join(LFW_DIR, 'images', n))) {
      await copyFile(path.join(LFW_DIR, 'images', n, f), path.join(src, n, f));
      images++;
    }
  }
  const tgz = path.join(dir, 'lfw-funneled.tgz');
  await tar.c({ gzip: true, file: tgz, cwd: path.join(dir, 'src'), portable: true }, ['lfw_funneled']);
  const pairs = Buffer.from(`1\t1\n${matched.join('\t')}\n${mismatched.join('\t')}\n`);
  const tarball = await readFile(tgz);
  const files = new Map([
    ['lfw-funneled.tgz', tarball],
    ['pairs.txt', pairs],
  ]);
  const spec: DatasetSpec = {
    ...LFW,
    files: LFW.files.map((f) => ({ ...f, url: 'http://127.0.0.1:9/unused', sha256: sha(files.get(f.name)!), size: files.get(f.name)!.length })),
  };
  return { files, spec, names, images };
}

interface Served {
  server: Server;
  base: string;
  log: { url: string; range?: string }[];
  /** Cut the next response for this file after this many bytes. */
  cut: Map<string, number>;
  close: () => Promise<void>;
}

/** A static file server with Range support (hand-written: it is the test's counterpart). */
async function serve(files: Map<string, Buffer>): Promise<Served> {
  const log: Served['log'] = [];
  const cut = new Map<string, number>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const name = decodeURIComponent((req.url ?? '/').slice(1));
    log.push({ url: name, ...(req.headers.range ? { range: req.headers.range } : {}) });
    const body = files.get(name);
    if (!body) {
      res.writeHead(404).end('not found');
      return;
    }
    let start = 0;
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (m) {
      start = Number(m[1]);
      if (start >= body.length) {
        res.writeHead(416, { 'Content-Range': `bytes */${body.length}` }).end();
        return;
      }
      res.writeHead(206, { 'Content-Length': body.length - start, 'Content-Range': `bytes ${start}-${body.length - 1}/${body.length}` });
    } else res.writeHead(200, { 'Content-Length': body.length });
    const limit = cut.get(name);
    if (limit !== undefined) {
      cut.delete(name);
      // a cut: the promised length is never sent, the connection just ends
      // (after a pause, so the client has read what was sent)
      res.write(body.subarray(start, start + limit), () => setTimeout(() => res.socket?.end(), 300));
      return;
    }
    res.end(body.subarray(start));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    base: `http://127.0.0.1:${port}`,
    log,
    cut,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const leftovers = async (dataDir: string) => (await readdir(dataDir)).filter((e) => e.includes('.tmp-'));

/** A temp folder with the LFW tarball fixture, served by a local mirror; both cleaned up after the test. */
async function servedFixture(t: TestContext) {
  const { dir, cleanup } = await tempDir('facelens-fetch-');
  t.after(cleanup);
  const fx = await buildFixture(dir);
  const srv = await serve(fx.files);
  t.after(srv.close);
  return { dir, fx, srv };
}

test('data fetch: installs the tarball and pairs.txt from a mirror, checksums verified, in the reader layout', { skip: HAVE_LFW ? false : NO_DATA, timeout: 60_000 }, async (t) => {
  const { dir, fx, srv } = await servedFixture(t);
  const dataDir = path.join(dir, 'data');
  assert.equal(await isInstalled(dataDir, 'lfw'), false);
  const r = await fetchDataset(fx.spec, { dataDir, baseUrl: `${srv.base}/` });
  assert.equal(r.status, 'installed');
  assert.equal(r.dir, path.join(dataDir, 'lfw'));
  assert.deepEqual(r.files.map((f) => [f.name, f.sha256]), fx.spec.files.map((f) => [f.name, f.sha256]));
  // the reader opens it: 4 pair images (2 pairs), and every person folder was extracted
  const ds = await openDataset(r.dir);
  assert.equal(ds.kind, 'lfw');
  assert.equal(ds.pairs?.length, 2);
  assert.deepEqual((await readdir(path.join(r.dir, 'images'))).sort(), [...fx.names].sort());
  const all = await openDataset(path.join(r.dir, 'images'));
  assert.equal(all.items.length, fx.images);
  const marker = JSON.parse(await readFile(path.join(r.dir, MARKER), 'utf8'));
  assert.equal(marker.files[0].sha256, fx.spec.files[0]!.sha256);
  // nothing left behind, and a second fetch fetches nothing
  assert.deepEqual(await leftovers(dataDir), []);
  assert.deepEqual(await readdir(path.join(dataDir, '.downloads')), []);
  const n = srv.log.length;
  assert.equal((await fetchDataset(fx.spec, { dataDir, baseUrl: srv.base })).status, 'present');
  assert.equal(srv.log.length, n);
  const list = await listDatasets(dataDir);
  assert.deepEqual(list.map((d) => [d.name, d.present]), [['lfw', true], ['cfp', false]]);
  assert.equal(list[0]!.identities, fx.names.length);
});

test('data fetch: a cut connection is resumed with an HTTP Range request, in the same run and from a leftover .part', { skip: HAVE_LFW ? false : NO_DATA, timeout: 60_000 }, async (t) => {
  const { dir, fx, srv } = await servedFixture(t);
  const tgz = fx.files.get('lfw-funneled.tgz')!;
  const half = Math.floor(tgz.length / 2);
  srv.cut.set('lfw-funneled.tgz', half);
  const dataDir = path.join(dir, 'data');
  const r = await fetchDataset(fx.spec, { dataDir, baseUrl: srv.base, keepDownloads: true });
  assert.equal(r.status, 'installed');
  const tgzReqs = srv.log.filter((l) => l.url === 'lfw-funneled.tgz');
  assert.equal(tgzReqs[0]!.range, undefined);
  // the retry asks for the rest, from the bytes that had reached the disk (at most the half that
  // was sent; a fetch body stream drops what it had queued when the connection fails, so it can
  // be fewer, even none). The leftover-.part case below checks the exact offset.
  assert.equal(tgzReqs.length, 2);
  if (tgzReqs[1]!.range !== undefined) {
    const from = Number(/^bytes=(\d+)-$/.exec(tgzReqs[1]!.range)?.[1]);
    assert.ok(from > 0 && from <= half, `resumed from ${tgzReqs[1]!.range}`);
  }
  assert.equal(r.files[0]!.resumed, tgzReqs[1]!.range ? 1 : 0);
  const kept = await readFile(path.join(dataDir, '.downloads', 'lfw', 'lfw-funneled.tgz'));
  assert.equal(sha(kept), sha(tgz));

  // a .part left by a killed run: the next download starts where it stopped
  const dest = path.join(dir, 'again.tgz');
  await writeFile(`${dest}.part`, tgz.subarray(0, 1000));
  srv.log.length = 0;
  const d = await downloadFile({ url: `${srv.base}/lfw-funneled.tgz`, dest, sha256: sha(tgz), size: tgz.length });
  assert.deepEqual(srv.log, [{ url: 'lfw-funneled.tgz', range: 'bytes=1000-' }]);
  assert.equal(d.resumed, 1);
  assert.equal(sha(await readFile(dest)), sha(tgz));
  await assert.rejects(stat(`${dest}.part`));
});

test('data fetch: a wrong checksum is a clear error and leaves no dataset folder, no partial file', { skip: HAVE_LFW ? false : NO_DATA, timeout: 60_000 }, async (t) => {
  const { dir, fx, srv } = await servedFixture(t);
  const dataDir = path.join(dir, 'data');
  const bad: DatasetSpec = { ...fx.spec, files: fx.spec.files.map((f, i) => (i === 0 ? { ...f, sha256: '0'.repeat(64) } : f)) };
  await assert.rejects(fetchDataset(bad, { dataDir, baseUrl: srv.base }), (e: Error) => {
    assert.equal(e.name, 'UserError');
    assert.match(e.message, /^checksum mismatch for http:\/\/127\.0\.0\.1:\d+\/lfw-funneled\.tgz: SHA-256 [0-9a-f]{64}, expected 0{64}/);
    return true;
  });
  await assert.rejects(stat(path.join(dataDir, 'lfw')));
  assert.deepEqual(await readdir(path.join(dataDir, '.downloads', 'lfw')), []);
  assert.deepEqual(await leftovers(dataDir), []);
  assert.equal(await isInstalled(dataDir, 'lfw'), false);
});

test('data fetch: no server, a silent server and a 404 fail with an error instead of hanging', { timeout: 30_000 }, async (t) => {
  const { dir, cleanup } = await tempDir('facelens-fetch-');
  t.after(cleanup);
  // a port with nothing listening
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
  const spec = { dest: path.join(dir, 'x.bin'), sha256: '0'.repeat(64) };
  await assert.rejects(downloadFile({ ...spec, url: `http://127.0.0.1:${port}/x.bin` }), (e: Error) => e instanceof NetworkError && /cannot download/.test(e.message));
  // a server that accepts and never answers: the connect timeout fires
  const silent = createServer(() => {});
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  t.after(() => {
    silent.closeAllConnections();
    silent.close();
  });
  const sp = (silent.address() as AddressInfo).port;
  await assert.rejects(downloadFile({ ...spec, url: `http://127.0.0.1:${sp}/x.bin` }, { connectTimeoutMs: 300 }), /no response within 0.3 s/);
  const srv = await serve(new Map());
  t.after(srv.close);
  await assert.rejects(downloadFile({ ...spec, url: `${srv.base}/x.bin` }), /HTTP 404/);
  await assert.rejects(fetchDataset('nope', { dataDir: dir }), /unknown dataset "nope"/);
});
