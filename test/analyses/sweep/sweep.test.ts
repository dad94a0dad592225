/**
 * The sweep on real LFW images (centre crops, no detection, to keep it fast):
 * top-n against a brute-force recomputation from full feature maps, kill-and-resume and
 * shard-and-merge against an uninterrupted run, byte for byte.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, mkdtemp, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openDataset } from '../../../src/data/datasets/index.ts';
import { alignedFaces } from '../../../src/data/faces.ts';
import { OrtEngine } from '../../../src/engine/ort/engine.ts';
import { toInputBatch } from '../../../src/models/preprocess.ts';
import { loadDlibResnet } from '../../../src/models/builtin/dlib-resnet.ts';
import { sweep } from '../../../src/analyses/sweep/sweep.ts';
import { mergeSweeps } from '../../../src/analyses/sweep/merge.ts';
import { openSweep } from '../../../src/analyses/sweep/read.ts';
import { topSamples } from '../../../src/analyses/sweep/topn.ts';

const LFW = path.resolve('../shared/data/lfw');
const haveData = existsSync(path.join(LFW, 'pairs.txt'));
const root = await mkdtemp(path.join(os.tmpdir(), 'facelens-sweep-'));
const CLI = path.resolve('src/cli/main.ts');

async function subset(n: number): Promise<string> {
  // A CSV list of the first n LFW images (sorted ids): a dataset the CLI can open too.
  const ds = await openDataset(LFW);
  const csv = path.join(root, `lfw${n}.csv`);
  await writeFile(csv, ds.items.slice(0, n).map((it) => `${it.path},${it.identity ?? ''}`).join('\n') + '\n');
  return csv;
}

async function filesOf(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.name !== 'run-log.jsonl') out.set(path.relative(dir, p), await readFile(p));
    }
  };
  await walk(dir);
  return out;
}

async function assertSameFiles(a: string, b: string) {
  const fa = await filesOf(a);
  const fb = await filesOf(b);
  assert.deepEqual([...fa.keys()].sort(), [...fb.keys()].sort());
  for (const [k, v] of fa) assert.ok(v.equals(fb.get(k)!), `${k} differs`);
}

function runCli(args: string[]) {
  return spawn(process.execPath, ['--import', 'tsx', CLI, ...args, '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
}

const model = await loadDlibResnet();

test('top-n from the sweep equals a brute-force recomputation (3 neurons x 2 layers)', { skip: !haveData && 'no ../shared/data/lfw' }, async () => {
  const csv = await subset(60);
  const ds = await openDataset(csv);
  const out = path.join(root, 'topn');
  await sweep({ model, dataset: ds, out, layers: ['res64', 'res256'], detect: false, batch: 8 });
  const sw = await openSweep(out);
  // Brute force: full maps for every image, max per channel, sort with id tie-break.
  const engine = await OrtEngine.create(model);
  const maps: Record<string, Float32Array[]> = { res64: [], res256: [] };
  const ids: string[] = [];
  for await (const f of alignedFaces(ds.items, model.alignment, { detect: false, cache: false })) {
    const o = await engine.run(toInputBatch(model, [f.face]), 1, ['res64', 'res256']);
    maps.res64.push(o.res64.data.slice());
    maps.res256.push(o.res256.data.slice());
    ids.push(f.item.id);
  }
  await engine.release();
  for (const layer of ['res64', 'res256'] as const) {
    const table = await sw.readLayer(layer);
    const [C, H, W] = model.probes.find((p) => p.name === layer)!.shape;
    for (const j of [1, Math.floor(C / 2) + 3, C - 2]) {
      const scored = maps[layer].map((m, x) => {
        let best = -Infinity;
        for (let k = 0; k < H * W; k++) best = Math.max(best, m[j * H * W + k]);
        return { id: ids[x], value: best };
      });
      scored.sort((a, b) => b.value - a.value || (a.id < b.id ? -1 : 1));
      const got = topSamples(table, sw.items, [j], 20).get(j)!;
      assert.deepEqual(got.map((s) => s.id), scored.slice(0, 20).map((s) => s.id), `${layer} neuron ${j}`);
      for (const [i, s] of got.entries()) assert.equal(s.value, scored[i].value);
    }
  }
});

test('a sweep killed (SIGKILL) and rerun ends byte-identical to an uninterrupted one', { skip: !haveData && 'no ../shared/data/lfw' }, async () => {
  const csv = await subset(240);
  const full = path.join(root, 'full');
  const killed = path.join(root, 'killed');
  const args = (out: string) => ['sweep', csv, '--out', out, '--no-detect', '--batch', '2'];
  const done = (p: ReturnType<typeof runCli>) => new Promise<number>((r) => p.on('exit', (c) => r(c ?? -1)));
  assert.equal(await done(runCli(args(full))), 0);
  // Start, wait until a few batches are journaled, kill without warning.
  const child = runCli(args(killed));
  const journal = path.join(killed, 'journal.jsonl');
  for (let t = 0; t < 600; t++) {
    await new Promise((r) => setTimeout(r, 50));
    if (existsSync(journal) && (await stat(journal)).size > 400) break;
  }
  child.kill('SIGKILL');
  await done(child);
  const manifest = JSON.parse(await readFile(path.join(killed, 'manifest.json'), 'utf8'));
  assert.equal(manifest.status, 'running', 'the kill came too late to test anything');
  // Make the damage worse than a kill at a batch boundary: half a row and half a journal line.
  await appendFile(path.join(killed, 'layers', 'res128.values.npy'), Buffer.alloc(100, 7));
  await appendFile(journal, '{"i":99999,"id":"ha');
  assert.equal(await done(runCli(args(killed))), 0);
  await assertSameFiles(full, killed);
});

test('shards merged with sweep-merge equal the single-process sweep', { skip: !haveData && 'no ../shared/data/lfw' }, async () => {
  const csv = await subset(50); // shards of 16/17/17: boundaries off the batch grid
  const ds = await openDataset(csv);
  const single = path.join(root, 'single');
  await sweep({ model, dataset: ds, out: single, detect: false, batch: 8 });
  const parts: string[] = [];
  for (let i = 0; i < 3; i++) {
    const out = path.join(root, `shard${i}`);
    await sweep({ model, dataset: ds, out, detect: false, batch: 8, shard: { index: i, count: 3 } });
    parts.push(out);
  }
  const merged = path.join(root, 'merged');
  await mergeSweeps(parts.reverse(), merged);
  await assertSameFiles(single, merged);
});
