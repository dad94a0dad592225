import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { compareModels, type CompareResult } from '../../../src/analyses/compare/compare.js';
import { loadModel } from '../../../src/models/registry.js';
import { HAVE_LFW, NO_DATA, tempDir } from '../../data/helpers.js';
import { sixFaceLfw } from './fixture.js';

const skip = HAVE_LFW ? false : NO_DATA;

/** The result without what legitimately differs between runs. */
const comparable = (r: CompareResult) => ({ ...r, seconds: undefined, resumedItems: undefined });

class Interrupt extends Error {}

test('compare resumes an interrupted run from its checkpoint to the identical result; other parameters do not reuse it', { skip }, async () => {
  const model = await loadModel('dlib-resnet');
  const dataset = sixFaceLfw();
  const { dir, cleanup } = await tempDir();
  const checkpoint = join(dir, '.checkpoint');
  // Flush (and checkpoint) after every chunk of 2 faces.
  const opts = { models: [model], dataset, layers: ['res128,gap,embedding'], detect: false, cache: false, maxDims: 256, chunk: 2, flushRows: 2, checkpointSeconds: 0 };
  try {
    const whole = await compareModels(opts);
    assert.equal(whole.resumedItems, 0);

    // Interrupted right after the first checkpoint (items 0-1 done).
    const seen: number[] = [];
    await assert.rejects(
      compareModels({
        ...opts,
        checkpoint,
        onCheckpoint: (done) => {
          seen.push(done);
          throw new Interrupt('interrupted');
        },
      }),
      Interrupt,
    );
    assert.deepEqual(seen, [2]);
    assert.ok((await readdir(checkpoint)).includes('state.bin'), 'checkpoint written');

    // A run with other parameters (another projection seed) ignores it: starts from scratch.
    const other = await compareModels({ ...opts, seed: 'other', checkpoint, onCheckpoint: () => { throw new Interrupt('stop'); } }).catch((e: unknown) => e);
    assert.ok(other instanceof Interrupt, 'the other run started (and was stopped at its own first checkpoint)');

    // Interrupt the original again at its first checkpoint: the other run's checkpoint was not reused.
    const again: number[] = [];
    await assert.rejects(compareModels({ ...opts, checkpoint, onCheckpoint: (d) => { again.push(d); throw new Interrupt('x'); } }), Interrupt);
    assert.deepEqual(again, [2], 'restarted from scratch (the stale checkpoint had another fingerprint)');

    // Resume: starts after item 2, checkpoints at 4, ends identical to the uninterrupted run.
    const later: number[] = [];
    const resumed = await compareModels({ ...opts, checkpoint, onCheckpoint: (d) => void later.push(d) });
    assert.equal(resumed.resumedItems, 2);
    assert.deepEqual(later, [4]);
    assert.deepEqual(comparable(resumed), comparable(whole));
    await assert.rejects(readdir(checkpoint), 'checkpoint removed after the finished run');
  } finally {
    await cleanup();
  }
});

test('checkpoint files: round trip of the statistics and pair features; a damaged or foreign checkpoint is dropped, not fatal', async () => {
  const { CompareCheckpoint } = await import('../../../src/analyses/compare/checkpoint.js');
  const { writeFile } = await import('node:fs/promises');
  const { dir, cleanup } = await tempDir();
  try {
    const cp = new CompareCheckpoint(join(dir, 'ck'), 'key-1');
    const acc = { count: 7, arrays: [Float64Array.of(1.5, -2, 1e-300), Float64Array.of(Math.PI)] };
    const kept = new Map([['a', [Float32Array.of(1, 2), Float32Array.of(3)]]]);
    await cp.save({ done: 4, acc, undetected: [{ id: 'u', path: 'u.jpg', reason: 'no face' }], unreadable: [], kept });
    kept.set('b', [Float32Array.of(5, 6), Float32Array.of(7)]);
    await cp.save({ done: 8, acc, undetected: [], unreadable: [], kept });
    const back = await new CompareCheckpoint(join(dir, 'ck'), 'key-1').load();
    assert.ok(back);
    assert.equal(back.done, 8);
    assert.deepEqual(back.acc, acc);
    assert.deepEqual([...back.kept.entries()], [...kept.entries()]);
    assert.deepEqual((await readdir(join(dir, 'ck'))).sort(), ['kept-0000.bin', 'kept-0001.bin', 'state.bin'], 'one chunk per save with new features');
    assert.equal(await new CompareCheckpoint(join(dir, 'ck'), 'key-2').load(), undefined, 'another fingerprint');
    await assert.rejects(readdir(join(dir, 'ck')), 'and it was removed');
    await cp.save({ done: 4, acc, undetected: [], unreadable: [], kept });
    await writeFile(join(dir, 'ck', 'state.bin'), 'FLCK garbage');
    assert.equal(await new CompareCheckpoint(join(dir, 'ck'), 'key-1').load(), undefined, 'damaged');
  } finally {
    await cleanup();
  }
});
