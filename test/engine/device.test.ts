/** `--device cpu|cuda` and `facelens models --devices`: what is usable here, and a one-line exit-1 error for what is not. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { deviceStatus, executionProviders, missingLibrary, parseDevice } from '../../src/engine/ort/device.ts';
import { UserError } from '../../src/core/errors.ts';

const CLI = path.resolve('src/cli/main.ts');
const cli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { encoding: 'utf8' });
const cuda = await deviceStatus('cuda');

test('devices: cpu is always available; cuda says what it uses or what is missing', async () => {
  const cpu = await deviceStatus('cpu');
  assert.equal(cpu.available, true);
  assert.match(cpu.detail, /CPU/);
  if (!cuda.available) assert.match(cuda.detail, /CUDA (provider|on )|no CUDA provider|libonnxruntime_providers_cuda|cannot be loaded|GPU/);
  assert.deepEqual(executionProviders('cpu'), ['cpu']);
  assert.deepEqual(executionProviders('cuda'), ['cuda', 'cpu']);
  assert.equal(parseDevice('cuda'), 'cuda');
  assert.throws(() => parseDevice('gpu'), (e: unknown) => e instanceof UserError && /one of cpu, cuda, got "gpu"/.test(e.message));
});

test('the shared library that keeps the CUDA provider from loading is named', () => {
  const msg =
    'Failed to load library libonnxruntime_providers_cuda.so with error: libcublasLt.so.12: cannot open shared object file: No such file or directory';
  assert.equal(missingLibrary(msg), 'libcublasLt.so.12');
  assert.equal(missingLibrary('libcudnn.so.9: cannot open shared object file'), 'libcudnn.so.9');
  assert.equal(missingLibrary('some other failure'), undefined);
});

test('facelens models --devices lists cpu and cuda', () => {
  const r = cli(['models', '--devices']);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0], /^cpu\s+available\s+/);
  assert.match(lines[1], cuda.available ? /^cuda\s+available\s+/ : /^cuda\s+unavailable\s+\S/);
});

test('--device cuda without a working CUDA provider: one line on stderr naming what is missing, exit 1', { skip: cuda.available && 'CUDA works on this machine' }, () => {
  const r = cli(['embed', 'no-such-image.jpg', '--device', 'cuda']);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.ok(lines[0].startsWith('facelens: error: --device cuda: '), lines[0]);
  assert.ok(lines[0].includes(cuda.detail), lines[0]);
  const bad = cli(['models', '--device', 'tpu']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr.trim(), /^facelens: error: --device must be one of cpu, cuda, got "tpu"$/);
});
