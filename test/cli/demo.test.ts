/**
 * The demo pipeline end to end on a reduced setting (2 demo photos, 2 layers, 1 neuron, a few AM
 * steps), then the report built from what it wrote.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { NeuronAtlas } from '../../src/analyses/atlas/atlas.ts';
import { runDemo, topNFor } from '../../src/demo/pipeline.ts';
import { demoPhotos } from '../../src/demo/photos.ts';
import type { RunRecord } from '../../src/demo/run-log.ts';
import { demoSummaryText } from '../../src/demo/summary.ts';
import { buildReportDetailed } from '../../src/report/html/build.ts';
import { Command } from 'commander';
import { registerCorrespondence } from '../../src/cli/commands/correspondence.ts';
import { TINY_DEMO } from '../demo/tiny-schedule.js';

test('topNFor keeps the top sets at most half the swept images', () => {
  assert.equal(topNFor(22, 50), 11);
  assert.equal(topNFor(1000, 50), 50);
  assert.equal(topNFor(3, 50), 2);
});

test('runDemo runs every step the data allows, records a failing step and goes on; the report shows it all', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'facelens-demo-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const lines: string[] = [];
  const s = await runDemo({
    out: dir,
    seed: 3,
    photos: demoPhotos().slice(0, 2),
    ...TINY_DEMO,
    amFacets: 2,
    cfp: path.join(dir, 'no-such-cfp'),
    log: (l) => lines.push(l),
  });
  const names = s.record.steps.map((x) => `${x.name}:${x.status}`);
  assert.deepEqual(names, [
    'align:ok',
    'sweep:ok',
    'atlas/pool1:ok',
    'atlas/gap:ok',
    'similarity/pool1:ok',
    'invariance:ok',
    'correspondence:ok',
    'maximize/gap:ok',
    'verify:skipped',
    'verify-cfp:failed',
    'pose:failed',
  ]);
  assert.ok(s.faces >= 2, `${s.faces} faces`);
  assert.match(s.record.steps.find((x) => x.name === 'pose')!.reason!, /no-such-cfp/);
  assert.match(s.record.steps.find((x) => x.name === 'verify')!.reason!, /--lfw/);
  assert.match(s.record.steps.find((x) => x.name === 'verify-cfp')!.reason!, /no-such-cfp does not exist/);
  assert.equal(s.failed.length, 2);
  // progress lines: one per step start + one per result
  assert.ok(lines.some((l) => l.startsWith('[1] align')));
  assert.ok(lines.some((l) => l.includes('FAILED')));

  // run.json = the returned record; every step has its seconds and parameters
  const run = JSON.parse(await readFile(path.join(dir, 'run.json'), 'utf8')) as RunRecord;
  assert.equal(run.status, 'complete');
  assert.equal(run.seed, 3);
  assert.deepEqual(run.steps.map((x) => x.name), s.record.steps.map((x) => x.name));
  for (const x of run.steps) {
    assert.ok(x.seconds >= 0 && typeof x.parameters === 'object');
  }
  assert.ok(run.totalSeconds >= run.steps.reduce((a, x) => a + x.seconds, 0) - 1e-6);

  // the layout the explorer relies on
  for (const f of ['faces/aligned-faces.png', 'sweep/manifest.json', 'atlas/pool1/summary.json', 'atlas/gap/summary.json', 'similarity/pool1/summary.json', 'invariance/summary.json', 'correspondence/summary.json']) {
    assert.ok((await stat(path.join(dir, f))).size > 0, f);
  }
  const gapNeuron = run.steps.find((x) => x.name === 'maximize/gap')!.parameters.neurons as number[];
  const doc = JSON.parse(await readFile(path.join(dir, 'atlas', 'gap', `neuron-${gapNeuron[0]}.json`), 'utf8')) as NeuronAtlas;
  assert.deepEqual(doc.maximize?.map((e) => e.facet), [0, 1]);
  const am = path.resolve(dir, 'atlas', 'gap', doc.maximize![0]!.image);
  assert.ok(am.startsWith(path.join(dir, 'maximize', 'gap') + path.sep), am);
  assert.ok((await stat(am)).size > 0);

  // the report of this directory
  const r = await buildReportDetailed(dir);
  const status = Object.fromEntries(r.sections.map((x) => [x.id, x.status]));
  assert.deepEqual(status, { run: 'ok', features: 'ok', invariance: 'ok', discrimination: 'absent', correspondence: 'ok', pose: 'failed', maximize: 'ok', similarity: 'ok' });
  for (const img of r.images) assert.ok((await stat(path.join(dir, img))).size > 0, img);
  const html = await readFile(r.file, 'utf8');
  assert.ok(html.includes(`atlas/gap/neuron-${gapNeuron[0]}.png`));
  assert.ok(html.includes(doc.maximize![0]!.image.replace('../../', '')), 'AM image of the neuron JSON in the report');

  const text = demoSummaryText(run, r.sections, 1).join('\n');
  assert.match(text, /pose\s+failed/);
  assert.match(text, /total/);

  // A standalone `facelens correspondence` with the demo's --seed draws exactly the demo's masks
  // (seed n keys the mask streams as facelens-n in both).
  type CorrDoc = { images: string[]; masks: unknown; parameters: { randomMasks: { seed: string } } };
  const demoCorr = JSON.parse(await readFile(path.join(dir, 'correspondence', 'summary.json'), 'utf8')) as CorrDoc;
  const cliOut = path.join(dir, 'cli-correspondence');
  const program = new Command().exitOverride();
  registerCorrespondence(program);
  const faceFiles = demoCorr.images.map((id) => path.join(dir, 'faces', 'aligned', id));
  await program.parseAsync(['correspondence', ...faceFiles, '--seed', '3', '--no-cache', '--no-sheet', '--out', cliOut], { from: 'user' });
  const cliCorr = JSON.parse(await readFile(path.join(cliOut, 'summary.json'), 'utf8')) as CorrDoc;
  assert.equal(demoCorr.parameters.randomMasks.seed, 'facelens-3');
  assert.equal(cliCorr.parameters.randomMasks.seed, demoCorr.parameters.randomMasks.seed);
  assert.deepEqual(cliCorr.masks, demoCorr.masks);
});
