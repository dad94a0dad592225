/**
 * The explorer's server without a browser, on a hand-made results folder: the index lists what
 * is on disk, files are served read-only with their content types, and every way out of the
 * results folder (.., encoded dots and slashes, absolute paths, NUL, hidden files, symlinks
 * pointing outside, directories) is refused. `facelens serve` checks its folder and prints the URL.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import http from 'node:http';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { buildResultsIndex, hasResults } from '../../src/web/results-index.ts';
import { checkSegments } from '../../src/web/safe-path.ts';
import { startExplorer, type Explorer } from '../../src/web/server.ts';

const CLI = path.resolve('src/cli/main.ts');
let tmp = '';
let root = '';
let ex: Explorer;

const png = (w: number, h: number) => sharp({ create: { width: w, height: h, channels: 3, background: { r: 200, g: 10, b: 10 } } }).png().toBuffer();
const neuron = (mode: string, extra: object = {}) =>
  JSON.stringify({ format: 'facelens-atlas/1', layer: 'res64', neuron: 3, mode, n: 1, png: 'neuron-3.png', layout: { grid: { cols: 1, rows: 1 } }, samples: [{ rank: 1, id: 'a/b.jpg', value: 2.5, grid: { col: 0, row: 0 } }], similar: [], ...extra });

async function put(rel: string, body: string | Buffer): Promise<void> {
  await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
  await writeFile(path.join(root, rel), body);
}

before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'facelens-serve-'));
  root = path.join(tmp, 'results');
  await put('run.json', '{"command":"demo"}\n');
  await put('atlas/res64/neuron-3.json', neuron('deconv', { maximize: [{ facet: null, init: 'noise', image: '../../maximize/res64/res64-3.png', strip: 'x', curve: 'y', summary: 'z', initialActivation: 0, finalActivation: 1 }] }));
  await put('atlas/res64/neuron-3.png', await png(68, 36));
  await put('atlas/res64/guided/neuron-3.json', neuron('guided'));
  await put('atlas/res64/guided/neuron-3.png', await png(68, 36));
  await put('atlas/res64/neuron-9.json', 'not json');
  await put('atlas/res64/summary.json', '{}');
  await put('similarity/res64/summary.json', '{"neurons":64}');
  await put('similarity/res64/res64.similarity.png', await png(8, 8));
  await put('maximize/res64/res64-3.png', await png(150, 150));
  await put('maximize/res64/res64-3-activation.png', await png(20, 10));
  await put('maximize/res64/res64-3-activation.svg', '<svg xmlns="http://www.w3.org/2000/svg"/>');
  await put('invariance/summary.json', '{"parameters":{}}');
  await put('invariance/table.md', '| a | b |\n|---|---:|\n| 1 | 2 |\n');
  await put('invariance/plot.png', await png(30, 20));
  await put('invariance/plot.svg', '<svg xmlns="http://www.w3.org/2000/svg"/>');
  await put('.hidden.json', '{}');
  await writeFile(path.join(tmp, 'secret.txt'), 'SECRET');
  await symlink(path.join(tmp, 'secret.txt'), path.join(root, 'link-out.txt'));
  await symlink(path.join(root, 'run.json'), path.join(root, 'link-in.json'));
  await symlink(tmp, path.join(root, 'dir-out'));
  ex = await startExplorer({ root, port: 0 });
});

after(async () => {
  await ex?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

function request(rawPath: string, method = 'GET'): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: ex.port, path: rawPath, method }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString('latin1')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('the index lists layers, atlas modes, neurons, AM, similarity and probes from the folder', async () => {
  const idx = await buildResultsIndex(root);
  assert.equal(idx.name, 'results');
  assert.equal(idx.run, 'run.json');
  assert.equal(idx.report, undefined);
  assert.deepEqual(idx.layers.map((l) => l.name), ['res64']);
  const l = idx.layers[0];
  assert.deepEqual(l.atlas?.modes, ['deconv', 'guided']);
  assert.deepEqual(l.atlas?.neurons, [
    {
      neuron: 3,
      modes: [
        { mode: 'deconv', json: 'atlas/res64/neuron-3.json', png: 'atlas/res64/neuron-3.png' },
        { mode: 'guided', json: 'atlas/res64/guided/neuron-3.json', png: 'atlas/res64/guided/neuron-3.png' },
      ],
      top: { id: 'a/b.jpg', value: 2.5, col: 0, row: 0 },
      grid: { cols: 1, rows: 1 },
      am: 'maximize/res64/res64-3.png',
    },
  ]);
  assert.deepEqual(l.similarity, { dir: 'similarity/res64', summary: 'similarity/res64/summary.json', heatmap: 'similarity/res64/res64.similarity.png' });
  assert.deepEqual(l.maximize?.images, ['maximize/res64/res64-3-activation.png', 'maximize/res64/res64-3.png']);
  assert.deepEqual(idx.probes, [{ name: 'invariance', dir: 'invariance', images: ['invariance/plot.png'], tables: ['invariance/table.md'], summary: 'invariance/summary.json' }]);
  assert.equal(hasResults(idx), true);
  const empty = path.join(tmp, 'empty');
  await mkdir(path.join(empty, 'atlas', 'res64'), { recursive: true });
  assert.equal(hasResults(await buildResultsIndex(empty)), false);
});

test('checkSegments refuses dots, encoded separators, NUL, hidden and empty segments', () => {
  assert.deepEqual(checkSegments('atlas/res64/neuron-3.png'), ['atlas', 'res64', 'neuron-3.png']);
  assert.deepEqual(checkSegments('a%20b/c.png'), ['a b', 'c.png']);
  for (const bad of ['..', '../x', 'a/../b', '%2e%2e/x', '%2E%2E/x', '..%2fx', 'a%2Fb', 'a%5cb', 'a\\b', '.', './a', 'a//b', '/etc/passwd', '.hidden', 'a%00b', 'a\0b', '%zz', 'C:/x', 'a/'])
    assert.equal(typeof checkSegments(bad), 'string', bad);
});

test('files: content types, HEAD, no listing, GET/HEAD only; the app and its index', async () => {
  const cases: [string, number, string][] = [
    ['/files/run.json', 200, 'application/json; charset=utf-8'],
    ['/files/atlas/res64/neuron-3.png', 200, 'image/png'],
    ['/files/invariance/table.md', 200, 'text/markdown; charset=utf-8'],
    ['/files/invariance/plot.svg', 200, 'image/svg+xml'],
    ['/files/link-in.json', 200, 'application/json; charset=utf-8'],
    ['/', 200, 'text/html; charset=utf-8'],
    ['/app.js', 200, 'text/javascript; charset=utf-8'],
    ['/app.css', 200, 'text/css; charset=utf-8'],
    ['/api/index.json', 200, 'application/json; charset=utf-8'],
  ];
  for (const [p, status, type] of cases) {
    const r = await request(p);
    assert.equal(r.status, status, p);
    assert.equal(r.headers['content-type'], type, p);
    assert.equal(r.headers['x-content-type-options'], 'nosniff', p);
  }
  assert.equal((await request('/files/run.json')).body, '{"command":"demo"}\n');
  assert.deepEqual(JSON.parse((await request('/api/index.json')).body), await buildResultsIndex(root));
  assert.match(String((await request('/')).headers['content-security-policy']), /script-src 'self'/);
  assert.match((await request('/app.js')).body, /hashchange/);
  const head = await request('/files/maximize/res64/res64-3.png', 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.body, '');
  assert.equal(Number(head.headers['content-length']), (await request('/files/maximize/res64/res64-3.png')).body.length);
  for (const m of ['POST', 'PUT', 'DELETE']) {
    const r = await request('/files/run.json', m);
    assert.equal(r.status, 405, m);
    assert.equal(r.headers.allow, 'GET, HEAD');
  }
  for (const p of ['/files/atlas', '/files/atlas/res64', '/files/nope.json', '/nope', '/files/']) assert.ok([403, 404].includes((await request(p)).status), p);
  assert.equal(ex.url, `http://127.0.0.1:${ex.port}/`);
});

test('every way out of the results folder is refused with 403/404', async () => {
  const outside = path.join(tmp, 'secret.txt');
  const paths = [
    '/../secret.txt', '/files/../secret.txt', '/files/../../package.json', '/%2e%2e/secret.txt', '/files/%2e%2e/secret.txt', '/files/%2E%2E/secret.txt',
    '/files/..%2fsecret.txt', '/files/..%2Fsecret.txt', '/files/atlas/..%2f..%2fsecret.txt', '/files/..%5csecret.txt', '/files/..\\secret.txt',
    `/files/${outside}`, `/files//${outside}`, `/files/%2f${outside.slice(1)}`, outside, `//${outside}`,
    '/files/link-out.txt', '/files/dir-out/secret.txt', '/files/.hidden.json', '/files/run.json%00.png', '/files/%2e/run.json', '/files/atlas/./res64/neuron-3.png',
  ];
  for (const p of paths) {
    const r = await request(p);
    assert.ok(r.status === 403 || r.status === 404, `${p}: HTTP ${r.status}`);
    assert.doesNotMatch(r.body, /SECRET/, p);
  }
  assert.equal((await request('/files/link-out.txt')).status, 403);
  assert.equal((await request('/files/dir-out/secret.txt')).status, 403);
});

test('facelens serve: refuses a folder without results, serves one with results (prints the URL)', async () => {
  const empty = path.join(tmp, 'nothing');
  await mkdir(empty);
  const bad = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'serve', empty, '--port', '0'], { encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^facelens: error: .*nothing holds no facelens results/m);

  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve', root, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /^(http:\/\/127\.0\.0\.1:\d+\/)$/m.exec(out);
        if (m) resolve(m[1]);
      });
      child.on('exit', (code) => reject(new Error(`serve exited with ${code}`)));
    });
    const r = await fetch(`${url}api/index.json`);
    assert.equal(r.status, 200);
    assert.deepEqual(((await r.json()) as { layers: { name: string }[] }).layers.map((l) => l.name), ['res64']);
  } finally {
    child.kill('SIGTERM');
  }
});
