/** `--shard i/n | auto`: the scheduler variables of Kubernetes, Slurm and AWS Batch -> shard index and count. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { datasetFingerprint, parseShard, shardDirName, shardFromEnv, shardOut, shardRange } from '../../src/cluster/shard.ts';
import { UserError } from '../../src/core/errors.ts';

const userError = (re: RegExp) => (e: unknown) => e instanceof UserError && re.test(e.message);

test('Kubernetes Indexed Job: JOB_COMPLETION_INDEX with the count from --shards or FACELENS_SHARDS', () => {
  assert.deepEqual(shardFromEnv({ JOB_COMPLETION_INDEX: '2', FACELENS_SHARDS: '3' }), { index: 2, count: 3, source: 'kubernetes' });
  assert.deepEqual(shardFromEnv({ JOB_COMPLETION_INDEX: '0' }, 5), { index: 0, count: 5, source: 'kubernetes' });
  assert.throws(() => shardFromEnv({ JOB_COMPLETION_INDEX: '0' }), userError(/--shards N or set FACELENS_SHARDS/));
  assert.throws(() => shardFromEnv({ JOB_COMPLETION_INDEX: '3', FACELENS_SHARDS: '3' }), userError(/out of range/));
  assert.throws(() => shardFromEnv({ JOB_COMPLETION_INDEX: 'x', FACELENS_SHARDS: '3' }), userError(/JOB_COMPLETION_INDEX must be an integer/));
});

test('Slurm array: task ids counted from SLURM_ARRAY_TASK_MIN in steps of SLURM_ARRAY_TASK_STEP', () => {
  const arr = (id: number, min: number, max: number, count: number, step?: number) => ({
    SLURM_ARRAY_TASK_ID: String(id),
    SLURM_ARRAY_TASK_MIN: String(min),
    SLURM_ARRAY_TASK_MAX: String(max),
    SLURM_ARRAY_TASK_COUNT: String(count),
    ...(step ? { SLURM_ARRAY_TASK_STEP: String(step) } : {}),
  });
  // --array=1-3
  assert.deepEqual([1, 2, 3].map((id) => shardFromEnv(arr(id, 1, 3, 3)).index), [0, 1, 2]);
  assert.equal(shardFromEnv(arr(1, 1, 3, 3)).count, 3);
  // --array=0-9
  assert.deepEqual(shardFromEnv(arr(9, 0, 9, 10)), { index: 9, count: 10, source: 'slurm' });
  // --array=10-20:5 -> ids 10, 15, 20
  assert.deepEqual([10, 15, 20].map((id) => shardFromEnv(arr(id, 10, 20, 3, 5)).index), [0, 1, 2]);
  // --array=1,4,9: no even range
  assert.throws(() => shardFromEnv(arr(4, 1, 9, 3)), userError(/not an even range/));
  assert.throws(() => shardFromEnv({ SLURM_ARRAY_TASK_ID: '1' }), userError(/SLURM_ARRAY_TASK_COUNT/));
  assert.throws(() => shardFromEnv(arr(2, 1, 3, 3), 4), userError(/4 shards but SLURM_ARRAY_TASK_COUNT says 3/));
});

test('AWS Batch array job: AWS_BATCH_JOB_ARRAY_INDEX with AWS_BATCH_JOB_ARRAY_SIZE or --shards', () => {
  assert.deepEqual(shardFromEnv({ AWS_BATCH_JOB_ARRAY_INDEX: '4', AWS_BATCH_JOB_ARRAY_SIZE: '5' }), { index: 4, count: 5, source: 'aws-batch' });
  assert.deepEqual(shardFromEnv({ AWS_BATCH_JOB_ARRAY_INDEX: '1', FACELENS_SHARDS: '2' }), { index: 1, count: 2, source: 'aws-batch' });
  assert.throws(() => shardFromEnv({ AWS_BATCH_JOB_ARRAY_INDEX: '1' }), userError(/array size/));
});

test('--shard auto outside an array job, and malformed --shard values, are one-line user errors', () => {
  assert.throws(() => parseShard('auto', undefined, {}), userError(/no array-job index.*JOB_COMPLETION_INDEX.*SLURM_ARRAY_TASK_ID.*AWS_BATCH_JOB_ARRAY_INDEX/));
  assert.deepEqual(parseShard('1/4', undefined, {}), { index: 1, count: 4, source: 'cli' });
  assert.equal(parseShard(undefined, undefined, {}), undefined);
  assert.throws(() => parseShard('4/4', undefined, {}), userError(/out of range/));
  assert.throws(() => parseShard('1-4', undefined, {}), userError(/i\/n \(e\.g\. 0\/4\) or auto/));
  assert.throws(() => parseShard(undefined, 3, {}), userError(/--shards only goes with --shard auto/));
});

test('shard ranges tile the dataset; auto shards write to OUT/shard-i-of-n, hand-given ones to OUT', () => {
  for (const [n, k] of [[0, 3], [2, 3], [10, 3], [1000, 7], [5, 5]]) {
    const ranges = Array.from({ length: k }, (_, i) => shardRange(n, i, k));
    assert.equal(ranges[0].start, 0);
    assert.equal(ranges[k - 1].end, n);
    for (let i = 1; i < k; i++) assert.equal(ranges[i].start, ranges[i - 1].end);
    for (const r of ranges) assert.ok(r.end - r.start <= Math.ceil(n / k) && r.end - r.start >= Math.floor(n / k));
  }
  assert.equal(shardDirName({ index: 2, count: 16 }), 'shard-002-of-016');
  assert.equal(shardDirName({ index: 7, count: 1200 }), 'shard-0007-of-1200');
  assert.equal(shardOut('out', { index: 1, count: 3, source: 'slurm' }), 'out/shard-001-of-003');
  assert.equal(shardOut('out', { index: 1, count: 3, source: 'cli' }), 'out');
  assert.notEqual(datasetFingerprint(['a', 'b']), datasetFingerprint(['b', 'a']));
  assert.notEqual(datasetFingerprint(['ab', 'c']), datasetFingerprint(['a', 'bc']));
});
