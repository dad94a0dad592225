/**
 * The demo's CFP verification step: the LFW / CFP-FF / CFP-FP table per layer (pure), and the
 * recorded skip reasons without a CFP folder or without its Protocol/ folder. (The step on the
 * real CFP data runs in `npm start -- --cfp DIR`; its numbers are in the session notes.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { crossPoseLayers, runCfpVerifyStep } from '../../src/demo/cfp-step.ts';
import { RunLog } from '../../src/demo/run-log.ts';
import type { FaceModel } from '../../src/models/face-model.ts';

const layer = (name: string, mean: number, std = 0.01) => ({ layer: name, dims: 4, accuracy_mean: mean, accuracy_std: std, fold_accuracies: [], fold_thresholds: [], threshold: 0, auc: 0.5, 'tar_at_far_1e-3': 0, roc: { far: [], tar: [] } });

test('crossPoseLayers: one accuracy per protocol and layer, null where a protocol lacks the layer, first protocol\'s order', () => {
  const t = crossPoseLayers([
    { name: 'LFW', dir: 'verify', pairs: 600, folds: 10, layers: [layer('pool1', 0.6), layer('gap', 0.95, 0.02)] },
    { name: 'CFP-FF', dir: 'verify-cfp/FF', pairs: 700, folds: 10, layers: [layer('gap', 0.99), layer('pool1', 0.66)] },
    { name: 'CFP-FP', dir: 'verify-cfp/FP', pairs: 700, folds: 10, layers: [layer('gap', 0.85), layer('extra', 0.5)] },
  ]);
  assert.deepEqual(t.map((l) => l.layer), ['pool1', 'gap', 'extra']);
  assert.deepEqual(t[1]!.accuracy, { LFW: { mean: 0.95, std: 0.02 }, 'CFP-FF': { mean: 0.99, std: 0.01 }, 'CFP-FP': { mean: 0.85, std: 0.01 } });
  assert.equal(t[0]!.accuracy['CFP-FP'], null);
  assert.equal(t[2]!.accuracy.LFW, null);
});

test('the CFP verification step is skipped, with its reason, without a CFP folder or without Protocol/', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'facelens-cfp-step-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const log = new RunLog(dir, { command: 'demo', seed: 0, model: 'm', datasets: {}, options: {} });
  const model = {} as FaceModel; // never used: both cases stop before any verification
  await runCfpVerifyStep(log, { model, cfp: undefined, dir, batch: 1, cache: { cache: false } });
  const bare = path.join(dir, 'cfp-without-protocol');
  await mkdir(path.join(bare, 'images'), { recursive: true });
  await runCfpVerifyStep(log, { model, cfp: bare, dir, batch: 1, cache: { cache: false } });
  assert.deepEqual(log.record.steps.map((s) => [s.name, s.status]), [['verify-cfp', 'skipped'], ['verify-cfp', 'skipped']]);
  assert.match(log.record.steps[0]!.reason!, /no CFP folder given/);
  assert.match(log.record.steps[1]!.reason!, /has no Protocol\/ folder/);
});
