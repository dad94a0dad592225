/**
 * The feature step of `verify` on shards: three shards (one of them an AWS Batch array child run
 * through the CLI), merged with `facelens merge`, then `verify --features` gives exactly the
 * metrics of one unsharded verify; a shard made with other options is refused, and so is a
 * feature folder that does not fit the run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readFeatureStore } from '../../src/analyses/feature-store.ts';
import { verify, verifyFeatures } from '../../src/analyses/verify.ts';
import { UserError } from '../../src/core/errors.ts';
import { mergeShards } from '../../src/cluster/merge.ts';
import { openDataset } from '../../src/data/datasets/index.ts';
import { readPairList } from '../../src/data/datasets/pair-list.ts';
import { loadModel } from '../../src/models/registry.ts';

const LFW = path.resolve('../shared/data/lfw');
const skip = existsSync(path.join(LFW, 'pairs.txt')) ? false : 'SKIPPED: no ../shared/data/lfw';
const CLI = path.resolve('src/cli/main.ts');
const root = await mkdtemp(path.join(os.tmpdir(), 'facelens-vshards-'));
const refused = (re: RegExp) => (e: unknown) => e instanceof UserError && re.test(e.message);

test('verify: 3 feature shards merged give the metrics of one unsharded run', { skip }, async () => {
  // A pair list of 8 same and 8 different LFW pairs (two lines per pair, absolute paths).
  const lfw = await openDataset(LFW);
  const byId = new Map(lfw.items.map((it) => [it.id, it.path]));
  const pick = [...lfw.pairs!.filter((p) => p.same).slice(0, 8), ...lfw.pairs!.filter((p) => !p.same).slice(0, 8)];
  const list = path.join(root, 'pairs.txt');
  await writeFile(list, pick.flatMap((p) => [`${byId.get(p.a)} ${p.same ? 1 : 0}`, `${byId.get(p.b)} ${p.same ? 1 : 0}`]).join('\n') + '\n');
  const dataset = await readPairList(list);
  const model = await loadModel('dlib-resnet');
  const base = { model, dataset, layers: 'res256,gap,embedding', detect: false, cache: false };

  const single = await verify({ ...base, out: path.join(root, 'single') });

  const shards = path.join(root, 'features');
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', CLI, 'verify', '--pairs', list, '--layers', base.layers, '--no-detect', '--no-cache', '--out', shards, '--shard', 'auto', '--quiet'],
    { encoding: 'utf8', env: { ...process.env, AWS_BATCH_JOB_ARRAY_INDEX: '1', AWS_BATCH_JOB_ARRAY_SIZE: '3' } },
  );
  assert.equal(child.status, 0, child.stderr);
  for (const i of [0, 2]) await verifyFeatures({ ...base, out: path.join(shards, `shard-00${i}-of-003`), shard: { index: i, count: 3 } });
  const merged = path.join(root, 'merged');
  const m = await mergeShards([shards], merged);
  assert.equal(m.kind, 'features');
  assert.equal(m.shards, 3);
  const store = await readFeatureStore(merged);
  assert.equal(store.ids.length, dataset.items.length);

  const joined = await verify({ ...base, out: path.join(root, 'joined'), features: store });
  assert.deepEqual(joined.layers, single.layers);
  assert.deepEqual(joined.pairs, single.pairs);
  assert.equal(single.pairs.used, 16);
  assert.equal(single.layers.length, 3);

  // A shard computed with --flip does not join the others; a merged folder does not fit a --flip run.
  const flipped = path.join(root, 'flipped');
  await verifyFeatures({ ...base, flip: true, out: flipped, shard: { index: 1, count: 3 } });
  await assert.rejects(
    mergeShards([path.join(shards, 'shard-000-of-003'), flipped, path.join(shards, 'shard-002-of-003')], path.join(root, 'x')),
    refused(/parameters\.flip/),
  );
  await assert.rejects(verify({ ...base, flip: true, out: path.join(root, 'y'), features: store }), refused(/--features: .*parameters\.flip/));
  await assert.rejects(verify({ ...base, layers: 'res128', out: path.join(root, 'z'), features: store }), refused(/no features of layer\(s\) res128/));
});
