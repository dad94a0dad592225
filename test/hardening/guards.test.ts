/**
 * The guards of the hardening issue, each tested on its own:
 *   - the explorer answers 403 to a foreign Host header on every route, and every response
 *     carries a Content-Security-Policy;
 *   - `demo --out` on a folder of user files refuses and deletes nothing; a demo rerun keeps the
 *     previous results until the new report exists, also across a killed run;
 *   - after a SIGKILL during a sweep the next run leaves no *.tmp anywhere (out and cache) and
 *     takes over the dead run's lock;
 *   - a second writer into a locked --out gets an error naming the holder's pid.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { checkDemoOut, commitDemoOut, PREVIOUS_DIR, setAsidePrevious } from '../../src/demo/output.ts';
import { RESULT_PARTS } from '../../src/demo/pipeline.ts';
import { RUN_FORMAT } from '../../src/demo/run-log.ts';
import { LOCK_NAME } from '../../src/io/lock.ts';
import { startExplorer } from '../../src/web/server.ts';
import { buildResultsIndex } from '../../src/web/results-index.ts';
import { describeIndex } from '../../src/cli/commands/serve.ts';
import { diffSnapshots, snapshot } from './corpus.ts';
import { runInProcess } from './run-inprocess.ts';

const tmp = () => mkdtemp(path.join(os.tmpdir(), 'facelens-guards-'));

function request(port: number, pathname: string, host: string, method = 'GET'): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: pathname, method, headers: { Host: host } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function tmpFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.name.endsWith('.tmp')) found.push(p);
    }
  };
  await walk(dir);
  return found;
}

test('serve: a foreign Host header gets 403 on every route; every response has a CSP', async (t) => {
  const dir = await tmp();
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(path.join(dir, 'index.html'), '<html><body>report</body></html>');
  await mkdir(path.join(dir, 'sweep'));
  await writeFile(path.join(dir, 'sweep', 'manifest.json'), '{}');
  // what `serve` prints before it starts: what it serves and what is missing (and how to make it)
  const said = describeIndex(await buildResultsIndex(dir));
  assert.match(said[0]!, /^serving: report \(index\.html\); sweep$/);
  assert.match(said[1]!, /^missing: run record .*atlas \(run `facelens atlas`\).*probes/);
  const ex = await startExplorer({ root: dir, port: 0 });
  t.after(() => ex.close());
  const routes = ['/', '/index.html', '/app.js', '/app.css', '/favicon.ico', '/api/index.json', '/files/index.html', '/files/sweep/manifest.json', '/files/nosuch', '/nosuch', '/files/../etc/passwd'];
  for (const host of ['evil.example.com', `evil.example.com:${ex.port}`, 'localhost.evil.example', '127.0.0.1.nip.io', '[::2]', `127.0.0.1:${ex.port + 1}`]) {
    for (const r of routes) {
      for (const method of ['GET', 'HEAD', 'POST']) {
        const res = await request(ex.port, r, host, method);
        assert.equal(res.status, 403, `${method} ${r} with Host "${host}"`);
        assert.match(String(res.headers['content-security-policy']), /default-src 'none'/, `CSP on the 403 of ${r}`);
      }
    }
  }
  for (const host of [`127.0.0.1:${ex.port}`, `localhost:${ex.port}`, 'localhost', `LOCALHOST:${ex.port}`]) {
    for (const r of ['/', '/app.css', '/api/index.json', '/files/index.html', '/nosuch']) {
      const res = await request(ex.port, r, host);
      assert.notEqual(res.status, 403, `${r} with Host ${host}`);
      assert.ok(res.headers['content-security-policy'], `CSP on ${r}`);
    }
  }
  const report = await request(ex.port, '/files/index.html', `127.0.0.1:${ex.port}`);
  assert.equal(report.status, 200);
  assert.doesNotMatch(String(report.headers['content-security-policy']), /script-src/, 'no script may run in a served results file');
});

test('demo --out on a folder of user files refuses and deletes nothing', async (t) => {
  const dir = await tmp();
  t.after(() => rm(dir, { recursive: true, force: true }));
  const user = path.join(dir, 'mine');
  // user files with the very names the demo owns
  for (const [rel, text] of [['notes.txt', 'notes'], ['summary.json', '{}'], ['items.json', '[]'], ['sweep/a.csv', '1'], ['report/x.md', '#'], ['faces/me.txt', 'me'], ['index.html', '<p>mine</p>']]) {
    await mkdir(path.dirname(path.join(user, rel)), { recursive: true });
    await writeFile(path.join(user, rel), text);
  }
  const before = await snapshot(user);
  const r = await runInProcess(['demo', '--out', user]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^facelens: error: --out .*mine is not empty and holds no facelens results \(no run\.json\).*nothing was changed/m);
  assert.deepEqual(diffSnapshots(before, await snapshot(user)), []);
});

test('a demo rerun keeps the previous results until its report is written, also after a kill', async (t) => {
  const dir = await tmp();
  t.after(() => rm(dir, { recursive: true, force: true }));
  const put = async (rel: string, text: string) => {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), text);
  };
  await put('run.json', JSON.stringify({ format: RUN_FORMAT, status: 'complete' }));
  await put('index.html', 'report 1');
  await put('faces/a.png', 'face 1');
  await put('own-notes.txt', 'kept');
  await checkDemoOut(dir);
  // run 2 starts: run 1 moves aside, nothing is deleted
  await setAsidePrevious(dir, RESULT_PARTS);
  assert.equal(await readFile(path.join(dir, PREVIOUS_DIR, 'index.html'), 'utf8'), 'report 1');
  assert.equal(await readFile(path.join(dir, PREVIOUS_DIR, 'faces', 'a.png'), 'utf8'), 'face 1');
  assert.ok(!existsSync(path.join(dir, 'index.html')));
  // run 2 is killed half-way (its run.json and a partial sweep exist); run 3 starts
  await put('run.json', JSON.stringify({ format: RUN_FORMAT, status: 'running' }));
  await put('sweep/partial.npy', 'x');
  await checkDemoOut(dir);
  await setAsidePrevious(dir, RESULT_PARTS);
  assert.equal(await readFile(path.join(dir, PREVIOUS_DIR, 'index.html'), 'utf8'), 'report 1', 'run 1 survives the killed run 2');
  assert.ok(!existsSync(path.join(dir, 'sweep')), "the killed run's partial parts are cleared");
  // run 3 completes
  await put('index.html', 'report 3');
  await commitDemoOut(dir);
  assert.ok(!existsSync(path.join(dir, PREVIOUS_DIR)));
  assert.equal(await readFile(path.join(dir, 'own-notes.txt'), 'utf8'), 'kept', 'files that are not demo parts are never touched');
});

async function faceless(dir: string, n: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < n; i++) {
    await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: (i * 37) % 255, g: (i * 91) % 255, b: (i * 13) % 255 } } })
      .jpeg()
      .toFile(path.join(dir, `img${String(i).padStart(3, '0')}.jpg`));
  }
}

test('after a SIGKILL during a sweep, the next run takes over the lock and leaves no *.tmp anywhere', async (t) => {
  const dir = await tmp();
  t.after(() => rm(dir, { recursive: true, force: true }));
  const images = path.join(dir, 'images');
  const out = path.join(dir, 'sweep');
  const cache = path.join(dir, 'cache');
  await faceless(images, 40);
  const args = ['sweep', images, '--no-detect', '--cache-dir', cache, '--layers', 'pool1,gap', '--batch', '2', '--out', out];
  const child = spawn(process.execPath, ['--import', 'tsx', path.resolve('src/cli/main.ts'), '--quiet', ...args], { stdio: 'ignore' });
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  const journal = path.join(out, 'journal.jsonl');
  let started = false;
  for (let i = 0; i < 2400 && !started; i++) {
    await new Promise((r) => setTimeout(r, 50));
    started = existsSync(journal) && (await stat(journal)).size > 0;
  }
  child.kill('SIGKILL');
  await exited;
  assert.ok(started, 'the sweep never started writing');
  assert.ok(existsSync(path.join(out, LOCK_NAME)), 'the killed run leaves its lock');
  // What a kill in the middle of a write leaves (deterministic stand-ins: a kill rarely lands
  // exactly inside a write): temporaries named by the dead pid, in out and in the cache.
  const dead = child.pid!;
  await writeFile(path.join(out, `.manifest.json.${dead}.0a1b2c3d.tmp`), '{"half');
  await mkdir(path.join(out, 'layers'), { recursive: true });
  await writeFile(path.join(out, 'layers', `gap.values.npy.${dead}.deadbeef.tmp`), 'half');
  await mkdir(path.join(cache, 'ab'), { recursive: true });
  await writeFile(path.join(cache, 'ab', `abc.png.${dead}.x1y2.tmp`), 'half');
  const live = path.join(cache, 'ab', `abc.json.${process.pid}.live.tmp`); // a live writer's: kept
  const users = path.join(out, 'notes.tmp'); // not facelens' naming: never removed
  await writeFile(users, 'mine');
  await writeFile(live, 'in flight');
  const r = await runInProcess(args);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /resuming after \d+ items|swept/);
  assert.deepEqual(await tmpFiles(out), [users]);
  assert.deepEqual(await tmpFiles(cache), [live]);
  assert.ok(!existsSync(path.join(out, LOCK_NAME)), 'the lock is released');
  const manifest = JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8'));
  assert.equal(manifest.status, 'complete');
});

test('a second writer into a locked --out gets an error naming the holder pid; a dead holder is taken over', async (t) => {
  const dir = await tmp();
  t.after(() => rm(dir, { recursive: true, force: true }));
  const images = path.join(dir, 'images');
  const out = path.join(dir, 'out');
  await faceless(images, 2);
  await mkdir(out);
  const holder = spawn('sleep', ['60'], { stdio: 'ignore' });
  t.after(() => holder.kill('SIGKILL'));
  const started = new Date().toISOString();
  await writeFile(path.join(out, LOCK_NAME), JSON.stringify({ pid: holder.pid, command: 'sweep', started }));
  const args = ['sweep', images, '--no-detect', '--no-cache', '--layers', 'gap', '--out', out];
  const r = await runInProcess(args);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`^facelens: error: .*out is being written by another facelens run \\(pid ${holder.pid}, sweep`, 'm'));
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.deepEqual(await readdir(out), [LOCK_NAME], 'the refused run wrote nothing');
  holder.kill('SIGKILL');
  await new Promise((res) => holder.on('exit', res));
  const r2 = await runInProcess(args);
  assert.equal(r2.code, 0, r2.stderr);
  assert.ok(!existsSync(path.join(out, LOCK_NAME)));
});
