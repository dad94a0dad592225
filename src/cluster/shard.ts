/**
 * Which part of a dataset this process handles: `--shard i/n` given by hand, or `--shard auto`
 * read from the array-job variables of a cluster scheduler:
 *   Kubernetes Indexed Job  JOB_COMPLETION_INDEX (0-based); the count (the Job's `completions`)
 *                           is not in the pod's environment: `--shards N` or FACELENS_SHARDS
 *   Slurm job array         SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT; ids run from
 *                           SLURM_ARRAY_TASK_MIN in steps of SLURM_ARRAY_TASK_STEP (--array=1-8
 *                           gives ids 1..8 -> shards 0..7)
 *   AWS Batch array job     AWS_BATCH_JOB_ARRAY_INDEX (0-based), AWS_BATCH_JOB_ARRAY_SIZE (or
 *                           --shards / FACELENS_SHARDS when the job does not export it)
 * Shard i of n holds the contiguous items [floor(i N / n), floor((i + 1) N / n)) of the N items.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { UserError } from '../core/errors.js';

export type ShardSource = 'cli' | 'kubernetes' | 'slurm' | 'aws-batch';

export interface Shard {
  index: number;
  count: number;
  source: ShardSource;
}

type Env = Record<string, string | undefined>;

function int(value: string, what: string): number {
  const n = Number(value.trim());
  if (value.trim() === '' || !Number.isInteger(n)) throw new UserError(`${what} must be an integer, got "${value}"`);
  return n;
}

function checked(s: Shard, what: string): Shard {
  if (!(s.count >= 1 && s.index >= 0 && s.index < s.count)) {
    throw new UserError(`${what}: shard ${s.index} of ${s.count} is out of range (need 0 <= index < count)`);
  }
  return s;
}

/** The shard count given by `--shards` or FACELENS_SHARDS (for schedulers that do not export it). */
function givenCount(shards: number | undefined, env: Env): number | undefined {
  if (shards !== undefined) return shards;
  const v = env.FACELENS_SHARDS;
  return v === undefined || v === '' ? undefined : int(v, 'FACELENS_SHARDS');
}

function sameCount(found: number, given: number | undefined, what: string): number {
  if (given !== undefined && given !== found) {
    throw new UserError(`--shards/FACELENS_SHARDS says ${given} shards but ${what} says ${found}`);
  }
  return found;
}

/** The shard of `--shard auto`, from the scheduler's environment; a UserError naming what is missing. */
export function shardFromEnv(env: Env = process.env, shards?: number): Shard {
  const given = givenCount(shards, env);
  if (env.JOB_COMPLETION_INDEX !== undefined) {
    if (given === undefined) {
      throw new UserError(
        '--shard auto: JOB_COMPLETION_INDEX is set (Kubernetes Indexed Job) but not the shard count: pass --shards N or set FACELENS_SHARDS to the Job\'s completions',
      );
    }
    return checked({ index: int(env.JOB_COMPLETION_INDEX, 'JOB_COMPLETION_INDEX'), count: given, source: 'kubernetes' }, 'JOB_COMPLETION_INDEX');
  }
  if (env.SLURM_ARRAY_TASK_ID !== undefined) {
    const id = int(env.SLURM_ARRAY_TASK_ID, 'SLURM_ARRAY_TASK_ID');
    const min = env.SLURM_ARRAY_TASK_MIN !== undefined ? int(env.SLURM_ARRAY_TASK_MIN, 'SLURM_ARRAY_TASK_MIN') : 0;
    const step = env.SLURM_ARRAY_TASK_STEP !== undefined ? int(env.SLURM_ARRAY_TASK_STEP, 'SLURM_ARRAY_TASK_STEP') : 1;
    if (env.SLURM_ARRAY_TASK_COUNT === undefined) throw new UserError('--shard auto: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not');
    const count = sameCount(int(env.SLURM_ARRAY_TASK_COUNT, 'SLURM_ARRAY_TASK_COUNT'), given, 'SLURM_ARRAY_TASK_COUNT');
    if (env.SLURM_ARRAY_TASK_MAX !== undefined) {
      const max = int(env.SLURM_ARRAY_TASK_MAX, 'SLURM_ARRAY_TASK_MAX');
      // A list like --array=1,4,9 has no single step: task ids cannot be numbered 0..n-1.
      if (step < 1 || min + (count - 1) * step !== max) {
        throw new UserError(
          `--shard auto: the Slurm array (ids ${min}..${max}, step ${step}, ${count} tasks) is not an even range; submit it as --array=0-${count - 1} (a %limit is fine)`,
        );
      }
    }
    if (step < 1 || (id - min) % step !== 0) throw new UserError(`--shard auto: SLURM_ARRAY_TASK_ID ${id} is not on the array's range (min ${min}, step ${step})`);
    return checked({ index: (id - min) / step, count, source: 'slurm' }, 'SLURM_ARRAY_TASK_ID');
  }
  if (env.AWS_BATCH_JOB_ARRAY_INDEX !== undefined) {
    const size = env.AWS_BATCH_JOB_ARRAY_SIZE;
    const count = size !== undefined && size !== '' ? sameCount(int(size, 'AWS_BATCH_JOB_ARRAY_SIZE'), given, 'AWS_BATCH_JOB_ARRAY_SIZE') : given;
    if (count === undefined) {
      throw new UserError('--shard auto: AWS_BATCH_JOB_ARRAY_INDEX is set (AWS Batch array job) but not the array size: pass --shards N or set FACELENS_SHARDS');
    }
    return checked({ index: int(env.AWS_BATCH_JOB_ARRAY_INDEX, 'AWS_BATCH_JOB_ARRAY_INDEX'), count, source: 'aws-batch' }, 'AWS_BATCH_JOB_ARRAY_INDEX');
  }
  throw new UserError(
    '--shard auto: no array-job index in the environment (JOB_COMPLETION_INDEX for a Kubernetes Indexed Job, SLURM_ARRAY_TASK_ID for a Slurm array, AWS_BATCH_JOB_ARRAY_INDEX for AWS Batch); use --shard i/n by hand',
  );
}

/** `--shard i/n` | `--shard auto` (with `--shards n`) -> the shard, or undefined without `--shard`. */
export function parseShard(arg: string | undefined, shards?: number, env: Env = process.env): Shard | undefined {
  if (arg === undefined) {
    if (shards !== undefined) throw new UserError('--shards only goes with --shard auto');
    return undefined;
  }
  if (arg === 'auto') return shardFromEnv(env, shards);
  const m = /^(\d+)\/(\d+)$/.exec(arg.trim());
  if (!m) throw new UserError(`--shard must be i/n (e.g. 0/4) or auto, got "${arg}"`);
  if (shards !== undefined && shards !== Number(m[2])) throw new UserError(`--shard ${arg} and --shards ${shards} disagree`);
  return checked({ index: Number(m[1]), count: Number(m[2]), source: 'cli' }, `--shard ${arg}`);
}

/** Contiguous shard of n items: [floor(i n / count), floor((i + 1) n / count)). */
export function shardRange(n: number, index: number, count: number): { start: number; end: number } {
  return { start: Math.floor((index * n) / count), end: Math.floor(((index + 1) * n) / count) };
}

const SHARD_DIR = /^shard-(\d+)-of-(\d+)$/;

/** Folder of one shard's output under the run's `--out`: shard-002-of-016. */
export function shardDirName(s: { index: number; count: number }): string {
  const w = Math.max(3, String(s.count).length);
  return `shard-${String(s.index).padStart(w, '0')}-of-${String(s.count).padStart(w, '0')}`;
}

export function isShardDirName(name: string): boolean {
  return SHARD_DIR.test(name);
}

/**
 * Where a command writes: `--shard auto` puts each shard in its own folder under `--out` (every
 * pod of an array job runs the same command line), a hand-given `--shard i/n` writes to `--out`.
 */
export function shardOut(out: string, shard: Shard | undefined): string {
  return shard && shard.source !== 'cli' ? path.join(out, shardDirName(shard)) : out;
}

/** A short hash of the dataset's item ids in order: shards of one run must agree on it. */
export function datasetFingerprint(ids: readonly string[]): string {
  const h = createHash('sha256');
  for (const id of ids) h.update(id).update('\0');
  return `sha256:${h.digest('hex').slice(0, 16)}`;
}
