/**
 * The demo on LFW (../shared/data/lfw, a 16-image subset for speed): every step runs with data,
 * the pose step is the yaw probe (no CFP given), and all 8 report sections show data.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { lfwPhotos, openDemoLfw } from '../../src/demo/data-source.ts';
import { runDemo } from '../../src/demo/pipeline.ts';
import { buildReportDetailed } from '../../src/report/html/build.ts';
import { HAVE_LFW, LFW_DIR, NO_DATA } from '../data/helpers.ts';
import { TINY_DEMO } from './tiny-schedule.js';

test('demo on LFW: all steps ok on a 16-image subset, yaw probe as pose, 8 report sections with data', { skip: HAVE_LFW ? false : NO_DATA, timeout: 600_000 }, async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'facelens-demo-lfw-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const limit = 16;
  const lfw = await openDemoLfw(LFW_DIR, limit);
  assert.ok(lfw.items.length <= limit && lfw.items.length >= 12, `${lfw.items.length} images`);
  assert.deepEqual([...new Set(lfw.pairs!.map((p) => p.fold))], [0, 1]);
  const s = await runDemo({
    out: dir,
    seed: 1,
    lfw: LFW_DIR,
    lfwLimit: limit,
    photos: lfwPhotos(lfw, 3),
    ...TINY_DEMO,
    amFacets: 1,
    cacheDir: path.join(dir, 'cache'),
  });
  const names = s.record.steps.map((x) => `${x.name}:${x.status}${x.status === 'ok' ? '' : ` (${x.reason})`}`);
  assert.deepEqual(names, ['align:ok', 'sweep:ok', 'atlas/pool1:ok', 'atlas/gap:ok', 'similarity/pool1:ok', 'invariance:ok', 'correspondence:ok', 'maximize/gap:ok', 'verify:ok', 'verify-cfp:skipped (no CFP folder given (run with --cfp DIR))', 'pose:ok']);
  // the faces come from LFW photos, and the titles say so
  assert.match(s.record.steps[0]!.title, /3 LFW photos/);
  assert.ok(s.record.steps.every((x) => !/demo photos|demo faces/.test(x.title)), 'no title speaks of the demo photos');
  const sweep = s.record.steps.find((x) => x.name === 'sweep')!;
  assert.equal(sweep.numbers!.images, lfw.items.length);
  assert.equal(s.record.datasets.lfwLimit, limit);
  // verify used the subset's pairs, in 2 folds
  const ver = JSON.parse(await readFile(path.join(dir, 'verify', 'summary.json'), 'utf8'));
  assert.equal(ver.pairs.used, lfw.pairs!.length);
  assert.equal(ver.pairs.folds, 2);
  assert.match(ver.parameters.dataset.note, /subset: \d+ of 1200 pairs/);
  // pose = the yaw probe on the swept LFW faces
  const pose = JSON.parse(await readFile(path.join(dir, 'pose', 'summary.json'), 'utf8'));
  assert.equal(pose.command, 'yaw');
  assert.ok(pose.faces >= lfw.items.length - 2, `${pose.faces} faces with landmarks`);
  assert.equal(pose.layers.length, 8);

  const r = await buildReportDetailed(dir);
  const status = Object.fromEntries(r.sections.map((x) => [x.id, x.status]));
  assert.deepEqual(status, { run: 'ok', features: 'ok', invariance: 'ok', discrimination: 'ok', correspondence: 'ok', pose: 'ok', maximize: 'ok', similarity: 'ok' });
  assert.match(r.sections.find((x) => x.id === 'pose')!.title, /yaw/);
});
