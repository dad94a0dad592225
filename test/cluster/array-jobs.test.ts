/**
 * Sharding on cluster schedulers, simulated locally: a 3-pod Kubernetes Indexed Job (sweep) and
 * a 3-task Slurm array (embed), each as three concurrent `facelens ... --shard auto` processes
 * with the scheduler's variables set, joined with `facelens merge` and compared byte for byte
 * with one unsharded run. Shards of another run (other layers, other dataset) are refused; a
 * retried shard rewrites only its own folder. Six LFW images, centre crops, to stay fast.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { embed } from '../../src/analyses/embed.ts';
import { sweep } from '../../src/analyses/sweep/sweep.ts';
import { openDatasetArgs } from '../../src/cli/dataset-arg.ts';
import { UserError } from '../../src/core/errors.ts';
import { mergeShards } from '../../src/cluster/merge.ts';
import { openDataset } from '../../src/data/datasets/index.ts';
import { loadModel } from '../../src/models/registry.ts';

const LFW = path.resolve('../shared/data/lfw');
const skip = existsSync(path.join(LFW, 'pairs.txt')) ? false : 'SKIPPED: no ../shared/data/lfw';
const CLI = path.resolve('src/cli/main.ts');
const root = await mkdtemp(path.join(os.tmpdir(), 'facelens-array-'));
const LAYERS = 'res128,embedding';

async function csvOf(name: string, from: number, n: number): Promise<string> {
  const ds = await openDataset(LFW);
  const csv = path.join(root, name);
  await writeFile(csv, ds.items.slice(from, from + n).map((it) => `${it.path},${it.identity ?? ''}`).join('\n') + '\n');
  return csv;
}

/** Runs the CLI with extra environment variables; resolves with its exit code and stderr. */
function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(JOB_COMPLETION_INDEX|SLURM_|AWS_BATCH_|FACELENS_SHARDS)/.test(k)));
  const p = spawn(process.execPath, ['--import', 'tsx', CLI, ...args, '--quiet'], { env: { ...clean, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  p.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => p.on('exit', (c) => resolve({ code: c ?? -1, stderr })));
}

async function filesOf(dir: string, skipNames: string[] = []): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (!skipNames.includes(e.name)) out.set(path.relative(dir, p), await readFile(p));
    }
  };
  await walk(dir);
  return out;
}

async function assertSameFiles(a: string, b: string, skipNames: string[]) {
  const fa = await filesOf(a, skipNames);
  const fb = await filesOf(b, skipNames);
  assert.deepEqual([...fa.keys()].sort(), [...fb.keys()].sort());
  for (const [k, v] of fa) assert.ok(v.equals(fb.get(k)!), `${k} differs`);
}

const refused = (re: RegExp) => (e: unknown) => e instanceof UserError && re.test(e.message);

test('a 3-pod Kubernetes Indexed Job sweep, merged, is byte-identical to one unsharded sweep', { skip }, async () => {
  const csv = await csvOf('six.csv', 0, 6);
  const out = path.join(root, 'k8s');
  const args = ['sweep', csv, '--out', out, '--shard', 'auto', '--no-detect', '--no-cache', '--layers', LAYERS];
  const pods = await Promise.all([0, 1, 2].map((i) => cli(args, { JOB_COMPLETION_INDEX: String(i), FACELENS_SHARDS: '3' })));
  pods.forEach((p, i) => assert.equal(p.code, 0, `pod ${i}: ${p.stderr}`));
  assert.deepEqual((await readdir(out)).sort(), ['shard-000-of-003', 'shard-001-of-003', 'shard-002-of-003']);

  // The unsharded run, in this process, with what the CLI would pass.
  const model = await loadModel('dlib-resnet');
  const dataset = await openDatasetArgs([csv]);
  const single = path.join(root, 'sweep-single');
  await sweep({ model, dataset, out: single, layers: LAYERS, detect: false, cache: false });

  const merged = path.join(root, 'sweep-merged');
  const r = await mergeShards([out], merged);
  assert.deepEqual(r, { kind: 'sweep', shards: 3, rows: 6, skipped: 0 });
  await assertSameFiles(single, merged, ['run-log.jsonl']);

  // A shard of another sweep (other layers) is refused, naming the difference.
  const other = path.join(root, 'sweep-other-layers');
  await sweep({ model, dataset, out: other, layers: 'res64', detect: false, cache: false, shard: { index: 1, count: 3 } });
  await assert.rejects(mergeShards([path.join(out, 'shard-000-of-003'), other, path.join(out, 'shard-002-of-003')], path.join(root, 'x')), refused(/are not shards of one sweep: layers/));
  // A missing shard too.
  await assert.rejects(mergeShards([path.join(out, 'shard-000-of-003'), path.join(out, 'shard-002-of-003')], path.join(root, 'y')), refused(/0\.\.2 of 3 exactly once, got 0\/3, 2\/3/));
});

test('a 3-task Slurm array embed (ids 1-3), merged, is byte-identical to one unsharded embed; a retried task rewrites only its shard', { skip }, async () => {
  const csv = await csvOf('six-embed.csv', 0, 6);
  const out = path.join(root, 'slurm');
  const args = ['embed', csv, '--out', out, '--shard', 'auto', '--no-detect', '--no-cache', '--layer', 'gap'];
  const slurm = (id: number) => ({ SLURM_ARRAY_TASK_ID: String(id), SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '3', SLURM_ARRAY_TASK_COUNT: '3' });
  const tasks = await Promise.all([1, 2, 3].map((id) => cli(args, slurm(id))));
  tasks.forEach((p, i) => assert.equal(p.code, 0, `task ${i + 1}: ${p.stderr}`));

  const model = await loadModel('dlib-resnet');
  const dataset = await openDatasetArgs([csv]);
  const single = path.join(root, 'embed-single');
  await embed({ model, dataset, layer: 'gap', out: single, detect: false, cache: false });

  const merged = path.join(root, 'embed-merged');
  assert.deepEqual(await mergeShards([out], merged), { kind: 'embed', shards: 3, rows: 6, skipped: 0 });
  await assertSameFiles(single, merged, ['summary.json']);
  const s1 = JSON.parse(await readFile(path.join(single, 'summary.json'), 'utf8'));
  const s2 = JSON.parse(await readFile(path.join(merged, 'summary.json'), 'utf8'));
  for (const k of ['command', 'dataset', 'parameters', 'model', 'layer', 'dims', 'count', 'skipped']) assert.deepEqual(s2[k], s1[k], k);
  assert.equal(s2.merged.shards, 3);

  // Task 2 retried (same command line, same variables): only shard-001 changes.
  const before = new Map<string, number>();
  for (const [f] of await filesOf(out)) before.set(f, (await stat(path.join(out, f))).mtimeMs);
  const retry = await cli(args, slurm(2));
  assert.equal(retry.code, 0, retry.stderr);
  for (const [f, t] of before) {
    const now = (await stat(path.join(out, f))).mtimeMs;
    if (f.startsWith('shard-001-of-003')) assert.ok(now > t, `${f} not rewritten`);
    else assert.equal(now, t, `${f} touched by another shard's retry`);
  }
  const again = path.join(root, 'embed-merged-again');
  await mergeShards([out], again);
  await assertSameFiles(single, again, ['summary.json']);

  // A shard over another dataset (other images, same count) is refused.
  const otherCsv = await csvOf('six-other.csv', 6, 6);
  const other = path.join(root, 'embed-other-data');
  await embed({ model, dataset: await openDatasetArgs([otherCsv]), layer: 'gap', out: other, detect: false, cache: false, shard: { index: 1, count: 3 } });
  await assert.rejects(
    mergeShards([path.join(out, 'shard-000-of-003'), other, path.join(out, 'shard-002-of-003')], path.join(root, 'z')),
    refused(/are not shards of one embed run: dataset\.(root|fingerprint)/),
  );
  // Nor do a sweep's and an embed's shards mix.
  await assert.rejects(mergeShards([path.join(out, 'shard-000-of-003'), path.join(root, 'k8s', 'shard-001-of-003')], path.join(root, 'w')), refused(/holds embed output but .* holds sweep output/));
});
