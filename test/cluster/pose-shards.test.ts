/** The feature step of `pose` on 3 shards, merged: `pose --features` gives the k-NN results of one unsharded run. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readFeatureStore } from '../../src/analyses/feature-store.ts';
import { pose, poseFeatures } from '../../src/analyses/probes/pose.ts';
import { UserError } from '../../src/core/errors.ts';
import { mergeShards } from '../../src/cluster/merge.ts';
import { openDataset } from '../../src/data/datasets/index.ts';
import { loadModel } from '../../src/models/registry.ts';

const CFP = path.resolve('../shared/data/cfp');
const skip = existsSync(path.join(CFP, 'images', '001')) ? false : 'SKIPPED: no ../shared/data/cfp';

test('pose: 3 feature shards merged give the results of one unsharded run', { skip }, async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'facelens-pose-shards-'));
  const model = await loadModel('dlib-resnet');
  const dataset = await openDataset(CFP);
  const base = { model, dataset, identities: '001-002', layers: 'res128,embedding', detect: false, cache: false, plots: false };
  const single = await pose({ ...base, out: path.join(root, 'single') });
  for (let i = 0; i < 3; i++) await poseFeatures({ ...base, out: path.join(root, 'parts', `shard-00${i}-of-003`), shard: { index: i, count: 3 } });
  const m = await mergeShards([path.join(root, 'parts')], path.join(root, 'merged'));
  assert.deepEqual(m, { kind: 'features', shards: 3, rows: 28, skipped: 0 });
  const features = await readFeatureStore(path.join(root, 'merged'));
  const joined = await pose({ ...base, out: path.join(root, 'joined'), features });
  assert.equal(single.images, 28);
  assert.deepEqual(joined.layers, single.layers);
  assert.deepEqual(joined.crops, single.crops);
  assert.deepEqual(joined.identities, single.identities);
  // Features of other identities do not fit this run.
  await assert.rejects(
    pose({ ...base, identities: '001-003', out: path.join(root, 'x'), features }),
    (e: unknown) => e instanceof UserError && /--features: .*(dataset|identityFilter)/.test(e.message),
  );
});
