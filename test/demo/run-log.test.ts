import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { RunLog, type RunRecord } from '../../src/demo/run-log.ts';

test('RunLog records ok, failed and skipped steps, keeps going after a failure, and rewrites run.json each time', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'facelens-runlog-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const lines: string[] = [];
  const log = new RunLog(dir, { command: 'demo', seed: 1, model: 'm', datasets: {}, options: {} }, (l) => lines.push(l));
  const ok = await log.run({ name: 'a', title: 'A', parameters: { x: 1 } }, async () => ({ numbers: { n: 3, bad: NaN }, parameters: { y: 2 } }));
  assert.equal(ok, true);
  const onDisk = JSON.parse(await readFile(log.file, 'utf8')) as RunRecord;
  assert.equal(onDisk.status, 'running');
  assert.deepEqual(onDisk.steps.map((s) => s.name), ['a']);
  const failed = await log.run({ name: 'b', title: 'B', parameters: {} }, async () => {
    throw new Error('disk on fire\nsecond line');
  });
  assert.equal(failed, false);
  await log.skip({ name: 'c', title: 'C', parameters: {} }, 'no data');
  const rec = await log.finish();
  const read = JSON.parse(await readFile(path.join(dir, 'run.json'), 'utf8')) as RunRecord;
  assert.deepEqual(read.steps, rec.steps);
  assert.equal(read.status, 'complete');
  const [a, b, c] = read.steps;
  assert.deepEqual(a!.parameters, { x: 1, y: 2 });
  assert.deepEqual(a!.numbers, { n: 3, bad: 'NaN' });
  assert.equal(b!.status, 'failed');
  assert.equal(b!.reason, 'disk on fire');
  assert.equal(c!.status, 'skipped');
  assert.equal(c!.reason, 'no data');
  assert.ok(lines.some((l) => l.includes('FAILED: disk on fire')));
  assert.equal(log.ok('a'), true);
  assert.equal(log.ok('b'), false);
});
