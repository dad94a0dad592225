import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it, test } from 'node:test';
import { pose, poseClasses, poseKnn } from '../../../src/analyses/probes/pose.js';
import { parseIdentities, selectItems } from '../../../src/analyses/probes/shared.js';
import { readCfp } from '../../../src/data/datasets/index.js';
import type { DatasetItem } from '../../../src/data/dataset.js';
import { loadModel } from '../../../src/models/registry.js';
import type { FeatureMatrix } from '../../../src/analyses/metrics/matrix.js';
import { CFP_DIR, HAVE_CFP, NO_DATA, tempDir } from './helpers.js';
import { gauss, rng } from '../metrics/helpers.js';

/** CFP-shaped synthetic data: `ids` identities x (10 frontal + 4 profile). */
function synthetic(ids: number, sep: number, seed: string): { f: FeatureMatrix; labels: number[]; identities: string[] } {
  const r = rng(seed);
  const dims = 12;
  const labels: number[] = [];
  const identities: string[] = [];
  const rows: number[] = [];
  for (let id = 0; id < ids; id++) {
    for (let k = 0; k < 14; k++) {
      const y = k < 10 ? 0 : 1;
      labels.push(y);
      identities.push(String(id + 1).padStart(3, '0'));
      for (let d = 0; d < dims; d++) rows.push(gauss(r) + (d === 0 ? (y ? sep : -sep) : d === 1 ? 5 : 0));
    }
  }
  return { f: { data: Float32Array.from(rows), rows: labels.length, cols: dims }, labels, identities };
}

test('two separable clusters: 100% pooled and per identity, both estimates; random features ~ chance', () => {
  const sep = synthetic(3, 10, 'sep');
  const noise = synthetic(3, 0, 'noise');
  const res = poseKnn(new Map([['sep', sep.f], ['noise', noise.f]]), ['sep', 'noise'], sep.labels, sep.identities, ['frontal', 'profile']);
  assert.deepEqual(res.skippedIdentities, []);
  const [a, b] = res.layers;
  assert.equal(a!.pooled.nested_accuracy, 1);
  assert.equal(a!.pooled.bestk_cv_accuracy, 1);
  assert.equal(a!.pooled.n, 42);
  assert.deepEqual(a!.pooled.counts, { frontal: 30, profile: 12 });
  assert.ok(Math.abs(a!.pooled.majority_baseline - 30 / 42) < 1e-12);
  assert.deepEqual(a!.identities.map((g) => g.group), ['001', '002', '003']);
  for (const g of a!.identities) {
    assert.equal(g.nested_accuracy, 1, g.group);
    assert.equal(g.bestk_cv_accuracy, 1, g.group);
    assert.equal(g.folds, 10);
  }
  // Labels carry no information in the noise layer: nested accuracy stays near the majority
  // baseline (30/42 = 71%); the best-k figure is the maximum over the per-k CV accuracies.
  assert.ok(b!.pooled.nested_accuracy < 0.85, `noise nested ${b!.pooled.nested_accuracy}`);
  assert.equal(b!.pooled.bestk_cv_accuracy, Math.max(...b!.pooled.cv_accuracy_per_k));
});

test('small or one-class identities are skipped with a reason', () => {
  const s = synthetic(2, 10, 'x');
  s.labels = s.labels.map((y, i) => (i < 14 ? 0 : y)); // identity 001: frontal only
  const res = poseKnn(new Map([['l', s.f]]), ['l'], s.labels, s.identities, ['frontal', 'profile']);
  assert.deepEqual(res.skippedIdentities.map((x) => x.identity), ['001']);
  assert.match(res.skippedIdentities[0]!.reason, /one class/);
  assert.deepEqual(res.layers[0]!.identities.map((g) => g.group), ['002']);
});

test('identity filter and class mapping', () => {
  const keep = parseIdentities('001-003,010,Alice');
  assert.deepEqual(['001', '002', '003', '004', '010', '1', 'Alice', 'Bob'].filter(keep), ['001', '002', '003', '010', '1', 'Alice']);
  const items: DatasetItem[] = ['a', 'b', 'c'].map((x, i) => ({ id: x, path: x, identity: '00' + (i + 1), label: i ? 'profile' : 'frontal' }));
  assert.deepEqual(poseClasses(items), { classNames: ['frontal', 'profile'], labels: [0, 1, 1] });
  assert.deepEqual(selectItems(items, { identities: '2-3' }).map((x) => x.id), ['b', 'c']);
  assert.throws(() => poseClasses([{ id: 'x', path: 'x' }]), /no label/);
  assert.throws(() => selectItems(items, { identities: '7' }), /no images left/);
});

describe('pose on real CFP data', () => {
  let dir = '';
  let cleanup = async () => {};
  before(async () => ({ dir, cleanup } = await tempDir()));
  after(() => cleanup());

  it('identities 001-003 run, accuracies in [0, 1], one row per identity and layer', async (t) => {
    if (!HAVE_CFP) return t.skip(NO_DATA);
    const model = await loadModel('dlib-resnet');
    const dataset = await readCfp(CFP_DIR);
    // Centre crops (no detector): fast, and the same framing for both poses.
    const r = await pose({ model, dataset, out: dir, identities: '001-003', detect: false, cache: false, plots: false });
    assert.equal(r.images, 42);
    assert.deepEqual(r.identities, ['001', '002', '003']);
    assert.equal(r.crops.centreNoDetect, 42);
    assert.equal(r.layers.length, model.probes.length);
    for (const l of r.layers) {
      assert.deepEqual(l.identities.map((g) => g.group), ['001', '002', '003']);
      for (const g of [l.pooled, ...l.identities]) {
        for (const v of [g.nested_accuracy, g.bestk_cv_accuracy, g.majority_baseline]) assert.ok(v >= 0 && v <= 1, `${l.layer} ${g.group}: ${v}`);
      }
      assert.deepEqual(l.pooled.counts, { frontal: 30, profile: 12 });
    }
    const csv = (await readFile(r.files.csv, 'utf8')).trim().split('\n');
    assert.equal(csv.length, 1 + model.probes.length * 4);
    const summary = JSON.parse(await readFile(r.files.summary, 'utf8'));
    assert.equal(summary.parameters.folds, 10);
    assert.deepEqual(summary.nonFiniteReplacedByNull, []);
  });
});
