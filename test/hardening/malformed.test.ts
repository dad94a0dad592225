/**
 * The malformed-input suite: one table of hostile or broken command lines over a corpus the test
 * builds itself (corpus.ts), each run in-process through runCli. For every case it asserts:
 *   - the exit code (0 for cases that must go on, 1 for errors), and no hang (60 s);
 *   - an error is ONE line that names the problem (a regex per case), with no stack trace and
 *     no "internal error"; a warning case says "warning";
 *   - nothing was written outside the case's --out (the whole temp tree is compared before and
 *     after, the case's own out folder and the cache excepted), and no input changed (hashes).
 * The counts by outcome are printed at the end (and checked against the table).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildCorpus, diffSnapshots, snapshot, type Corpus } from './corpus.ts';
import { runInProcess } from './run-inprocess.ts';

type Expect = 'ok' | 'warn' | 'error' | 'usage';

interface Case {
  id: string;
  args: string[];
  expect: Expect;
  /** What the error / warning line must say. */
  msg?: RegExp;
  /** Extra checks on a finished case. */
  check?: (out: string, run: { stdout: string; stderr: string }) => Promise<void>;
  /** Prepares the case's --out before the run (e.g. a results folder to rebuild). */
  setup?: (out: string) => Promise<void>;
}

const root = await mkdtemp(path.join(os.tmpdir(), 'facelens-harden-'));
let c: Corpus;
const O = (id: string) => path.join(root, 'out', id);
const cases: Case[] = [];
const add = (id: string, expect: Expect, args: string[], msg?: RegExp, check?: Case['check'], setup?: Case['setup']) => {
  assert.ok(!cases.some((x) => x.id === id), `duplicate case id ${id}`);
  cases.push({ id, args, expect, msg, check, setup });
};

const cwd = process.cwd();
before(async () => {
  c = await buildCorpus(root);
  await mkdir(path.join(root, 'out'), { recursive: true });
  await mkdir(path.join(root, 'cwd'), { recursive: true });
  process.env.FACELENS_CACHE = path.join(root, 'cache');
  // A valid sweep (2 layers, 4 faceless images centre-cropped), then corrupted copies of it.
  const valid = path.join(root, 'sweeps', 'valid');
  const r = await runInProcess(['sweep', c.p('good'), '--no-detect', '--no-cache', '--layers', 'pool1,gap', '--batch', '2', '--out', valid]);
  assert.equal(r.code, 0, r.stderr);
  const variant = async (name: string, edit: (dir: string) => Promise<void>) => {
    const d = path.join(root, 'sweeps', name);
    await cp(valid, d, { recursive: true });
    await edit(d);
  };
  const manifest = async (d: string, f: (m: Record<string, unknown>) => unknown) => {
    const m = JSON.parse(await readFile(path.join(d, 'manifest.json'), 'utf8'));
    await writeFile(path.join(d, 'manifest.json'), JSON.stringify(f(m)));
  };
  await variant('v-null', (d) => writeFile(path.join(d, 'manifest.json'), 'null'));
  await variant('v-list', (d) => writeFile(path.join(d, 'manifest.json'), '[]'));
  await variant('v-garbage', (d) => writeFile(path.join(d, 'manifest.json'), '{{{'));
  await variant('v-empty', (d) => writeFile(path.join(d, 'manifest.json'), ''));
  await variant('v-format', (d) => manifest(d, (m) => ({ ...m, format: 'other/9' })));
  await variant('v-running', (d) => manifest(d, (m) => ({ ...m, status: 'running' })));
  await variant('v-duplayer', (d) => manifest(d, (m) => ({ ...m, layers: [...(m.layers as unknown[]), ...(m.layers as unknown[])] })));
  await variant('v-nolayers', (d) => manifest(d, (m) => ({ ...m, layers: [] })));
  await variant('v-layername', (d) => manifest(d, (m) => ({ ...m, layers: (m.layers as { name: string }[]).map((l) => ({ ...l, name: `../../${l.name}` })) })));
  await variant('v-channels', (d) => manifest(d, (m) => ({ ...m, layers: (m.layers as object[]).map((l) => ({ ...l, channels: 'many' })) })));
  await variant('v-shard', (d) => manifest(d, (m) => ({ ...m, shard: { index: 3, count: 2, start: 0, end: 4 } })));
  await variant('v-noitems', (d) => rm(path.join(d, 'items.json')));
  await variant('v-items-null', (d) => writeFile(path.join(d, 'items.json'), 'null'));
  await variant('v-items-rows', (d) => writeFile(path.join(d, 'items.json'), JSON.stringify([{ row: 5, id: 'a' }])));
  await variant('v-skipped', (d) => writeFile(path.join(d, 'skipped.json'), '{"no": 1}'));
  await variant('v-npy-trunc', (d) => truncate(path.join(d, 'layers', 'gap.values.npy'), 90));
  await variant('v-npy-garbage', (d) => writeFile(path.join(d, 'layers', 'gap.values.npy'), 'garbage'));
  await variant('v-npy-missing', (d) => rm(path.join(d, 'layers', 'gap.values.npy')));
  await variant('v-npy-shape', (d) => cp(path.join(d, 'layers', 'pool1.values.npy'), path.join(d, 'layers', 'gap.values.npy')));
  await variant('v-argmax-missing', (d) => rm(path.join(d, 'layers', 'pool1.argmax.npy')));
  process.chdir(path.join(root, 'cwd'));
});
after(async () => {
  process.chdir(cwd);
  await rm(root, { recursive: true, force: true });
});

const P = (rel: string) => path.join(root, 'in', rel);
const S = (name: string) => path.join(root, 'sweeps', name);
const NC = ['--no-cache'];
const ND = ['--no-detect', '--no-cache'];

// ---- options (every command): ranges, empty lists, unknown values ----------------------------
for (const [v, why] of [['0', 'zero'], ['-3', 'neg'], ['abc', 'word'], ['1.5', 'frac'], ['1e309', 'inf']] as const) {
  add(`embed-batch-${why}`, 'error', ['embed', P('good'), ...ND, '--batch', v, '--out', O(`embed-batch-${why}`)], /--batch must be a positive integer/);
}
add('sweep-batch-0', 'error', ['sweep', P('good'), ...ND, '--batch', '0', '--out', O('sweep-batch-0')], /--batch must be a positive integer/);
add('sweep-layers-empty', 'error', ['sweep', P('good'), ...ND, '--layers', '', '--out', O('sweep-layers-empty')], /--layers is empty/);
add('sweep-layers-comma', 'error', ['sweep', P('good'), ...ND, '--layers', ',', '--out', O('sweep-layers-comma')], /--layers is empty/);
add('sweep-layers-hole', 'error', ['sweep', P('good'), ...ND, '--layers', 'pool1,,gap', '--out', O('sweep-layers-hole')], /empty entry/);
add('sweep-layers-unknown', 'error', ['sweep', P('good'), ...ND, '--layers', 'nosuch', '--out', O('sweep-layers-unknown')], /nosuch/);
add('sweep-layers-dup', 'ok', ['sweep', P('good'), ...ND, '--layers', 'gap,gap', '--out', O('sweep-layers-dup')], undefined, async (out) => {
  const m = JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8'));
  assert.deepEqual(m.layers.map((l: { name: string }) => l.name), ['gap']);
  assert.equal(m.status, 'complete');
});
add('sweep-shard-word', 'error', ['sweep', P('good'), ...ND, '--shard', 'x', '--out', O('sweep-shard-word')], /--shard must (look like i\/n|be i\/n)/);
add('sweep-shard-range', 'error', ['sweep', P('good'), ...ND, '--shard', '5/2', '--out', O('sweep-shard-range')], /--shard 5\/2: .*(need 0 <= i < n|need 0 <= index < count)/);
add('sweep-shard-zero', 'error', ['sweep', P('good'), ...ND, '--shard', '0/0', '--out', O('sweep-shard-zero')], /--shard 0\/0/);
add('embed-layer-unknown', 'error', ['embed', P('good'), ...ND, '--layer', 'nosuch', '--out', O('embed-layer-unknown')], /nosuch/);
add('embed-layer-empty', 'error', ['embed', P('good'), ...ND, '--layer', '', '--out', O('embed-layer-empty')], /layer/);
add('embed-no-input', 'usage', ['embed', '--out', O('embed-no-input')], /missing required argument/);
add('embed-unknown-option', 'usage', ['embed', P('good'), '--frobnicate', '--out', O('embed-unknown-option')], /unknown option/);
add('unknown-command', 'usage', ['frobnicate'], /unknown command/);
add('embed-probe-bad', 'error', ['embed', P('good'), ...ND, '--probe', 'nonsense', '--out', O('embed-probe-bad')], /--probe must be name=tensor/);

// ---- models: unknown, broken and hostile model files -----------------------------------------
const modelCases: [string, string[], RegExp][] = [
  ['unknown', ['--model', 'nosuch-model'], /nosuch-model/],
  ['garbage-onnx', ['--model', P('models/garbage.onnx')], /garbage\.onnx: not an ONNX model/],
  ['onnx-external-data', ['--model', P('models/external.onnx')], /external data of tensor w .* lies outside the model's folder/],
  ['empty-onnx', ['--model', P('models/empty.onnx')], /empty\.onnx/],
  ['traversal', ['--model', P('models/trav/model.json')], /outside the model's folder/],
  ['absolute', ['--model', P('models/abs/model.json')], /must be a relative path inside the model's folder/],
  ['symlink', ['--model', P('models/link/model.json')], /links outside the model's folder/],
  ['null-json', ['--model', P('models/null/model.json')], /model\.json/],
  ['no-paths', ['--model', P('models/nopaths/model.json')], /no paths list/],
  ['layers-model', ['--model', P('models/layers/model.json')], /layers model/],
  ['vggface-noweights', ['--model', 'vggface'], /--weights/],
  ['vggface-badweights', ['--model', 'vggface', '--weights', P('models/weights.h5')], /weights\.h5/],
  ['config-null', ['--model', P('models/garbage.onnx'), '--model-config', P('models/config-null.json')], /garbage\.onnx|config-null/],
];
for (const [id, args, msg] of modelCases) {
  add(`model-${id}`, 'error', ['embed', P('good'), ...ND, ...args, '--out', O(`model-${id}`)], msg);
}
add('models-garbage', 'error', ['models', P('models/garbage.onnx')], /not an ONNX model/);
add('models-traversal', 'error', ['models', P('models/trav/model.json')], /outside the model's folder/);
add('models-onnx-external', 'error', ['models', P('models/external.onnx')], /lies outside the model's folder/);
add('models-unknown-ext', 'error', ['models', P('file.txt')], /file\.txt: expected a model file \(a \.onnx file, a TF\.js model\.json, a Keras \.h5\/\.hdf5 weight file\)/);
add('models-missing', 'error', ['models', P('nosuch.onnx')], /nosuch\.onnx/);

// ---- images: broken, hostile, odd modes (one per file; align and embed) ----------------------
const badImages: [string, Expect, RegExp?][] = [
  ['zero.jpg', 'error', /zero\.jpg/],
  ['garbage.jpg', 'error', /garbage\.jpg/],
  ['trunc.jpg', 'error', /trunc\.jpg/],
  ['trunc.png', 'error', /trunc\.png/],
  ['text.png', 'error', /text\.png/],
  ['bomb.png', 'error', /bomb\.png/],
  ['bomb-wide.png', 'error', /bomb-wide\.png/],
  ['gray16.png', 'ok'],
  ['grey-alpha.png', 'ok'],
  ['palette.png', 'ok'],
  ['rgba.png', 'ok'],
  ['cmyk.jpg', 'ok'],
  ['tiny.png', 'ok'],
  ['strip.png', 'ok'],
  ['webp-named.jpg', 'ok'],
  ['svg-named.png', 'error', /svg-named\.png/],
  ['html.jpg', 'error', /html\.jpg/],
  ['exif-rot.jpg', 'ok'],
];
for (const [file, expect, msg] of badImages) {
  for (const cmd of ['align', 'embed']) {
    const id = `${cmd}-img-${file}`;
    add(id, expect, [cmd, P(`bad/${file}`), ...ND, '--out', O(id)], msg);
  }
}
add('align-mixed', 'warn', ['align', P('mixed'), ...ND, '--out', O('align-mixed')], /skipped/, async (out) => {
  const s = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8'));
  assert.equal(s.aligned, 2, 'x.jpg and x.png are both kept');
  assert.deepEqual(s.faces.map((f: { id: string; file: string }) => `${f.id}->${f.file}`).sort(), ['x.jpg->x.jpg.png', 'x.png->x.png.png']);
  assert.equal(s.skipped.length, 2);
});
add('align-dotdot-csv', 'ok', ['align', P('csv/dotdot.csv'), ...ND, '--out', O('align-dotdot-csv')], undefined, async (out) => {
  const s = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8'));
  assert.equal(s.aligned, 5);
  const files = s.faces.map((f: { file: string }) => f.file);
  assert.equal(new Set(files).size, 5, 'one file per input');
  for (const f of files) assert.ok(!f.includes('..') && !path.isAbsolute(f), f);
});
add('align-names', 'ok', ['align', P('names'), ...ND, '--out', O('align-names')], undefined, async (out) => {
  const s = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8'));
  assert.ok(s.aligned >= 7, `${s.aligned} aligned`);
});
add('embed-allbad', 'error', ['embed', P('allbad'), ...ND, '--out', O('embed-allbad')], /no usable image|all \d+ images/);
add('sweep-allbad', 'error', ['sweep', P('allbad'), ...ND, '--out', O('sweep-allbad')], /no usable image|all \d+ images/);
add('align-fifo', 'error', ['align', P('fifo.jpg'), ...ND, '--out', O('align-fifo')], /fifo\.jpg/);
add('align-symlink-loop', 'error', ['align', P('names/loop-a.jpg'), ...ND, '--out', O('align-symlink-loop')], /loop-a\.jpg/);
add('align-passwd-link', 'error', ['align', P('names/passwd.jpg'), ...ND, '--out', O('align-passwd-link')], /passwd\.jpg/);
add('align-emptydir', 'error', ['align', P('emptydir'), ...ND, '--out', O('align-emptydir')], /no images found/);
add('align-noimages', 'error', ['align', P('noimages'), ...ND, '--out', O('align-noimages')], /no images found/);
add('align-missing', 'error', ['align', P('nosuch'), ...ND, '--out', O('align-missing')], /no such file or folder/);
add('align-two-missing', 'error', ['align', P('nosuch1.jpg'), P('nosuch2.jpg'), ...ND, '--out', O('align-two-missing')], /nosuch1\.jpg|no such/);

// ---- CSV lists ---------------------------------------------------------------------------------
const csvCases: [string, Expect, RegExp?][] = [
  ['empty.csv', 'error', /empty\.csv/],
  ['header-only.csv', 'error', /header-only\.csv/],
  ['missing.csv', 'error', /missing\.csv|nope1\.jpg/],
  ['garbage.csv', 'error', /garbage\.csv/],
  ['badquote.csv', 'error', /badquote\.csv/],
  ['dup.csv', 'error', /dup\.csv|twice|duplicate/],
  ['dir.csv', 'error', /dir\.csv|good/],
  ['allbad.csv', 'error', /no usable image|all \d+ images/],
  ['etc.csv', 'error', /no usable image|all \d+ images/],
  ['longline.csv', 'error', /longline\.csv|aaaa/],
  ['comma-names.csv', 'ok'],
  ['ok.csv', 'ok'],
];
for (const [file, expect, msg] of csvCases) {
  for (const cmd of ['align', 'embed']) {
    const id = `${cmd}-csv-${file}`;
    add(id, expect, [cmd, P(`csv/${file}`), ...ND, '--out', O(id)], msg);
  }
}

// ---- --out and --cache-dir: files, pseudo file systems, inputs --------------------------------
const outCases: [string, string, RegExp][] = [
  ['file', P('file.txt'), /is a file, not a folder/],
  ['under-file', path.join(P('file.txt'), 'sub'), /file, not a folder|cannot create/],
  ['proc', '/proc/facelens-out', /pseudo file system/],
  ['proc-self', '/proc/self/facelens', /pseudo file system/],
  ['sys', '/sys/facelens', /pseudo file system/],
  ['dev-null', '/dev/null', /pseudo file system/],
  ['equal-input', P('good'), /is the input/],
  ['inside-input', P('good/results'), /lies inside the input/],
  ['empty', '', /must name a folder/],
];
for (const [id, out, msg] of outCases) {
  for (const cmd of ['align', 'sweep']) add(`${cmd}-out-${id}`, 'error', [cmd, P('good'), ...ND, '--out', out], msg);
}
add('embed-out-dotdot-input', 'error', ['embed', P('good'), ...ND, '--out', `${P('good')}/../good`], /is the input/);
add('align-cache-proc', 'warn', ['align', P('good'), '--no-detect', '--cache-dir', '/proc/facelens-cache', '--out', O('align-cache-proc')], /face cache .* cannot be written/);
add('align-cache-file', 'warn', ['align', P('good'), '--no-detect', '--cache-dir', P('file.txt'), '--out', O('align-cache-file')], /face cache .* cannot be written/);

// ---- sweeps: corrupted copies, read by similarity, atlas and sweep-merge ----------------------
const sweepVariants: [string, RegExp][] = [
  ['v-null', /manifest\.json: the file is not a sweep manifest/],
  ['v-list', /manifest\.json: the file is not a sweep manifest/],
  ['v-garbage', /not a facelens sweep \(invalid JSON/],
  ['v-empty', /not a facelens sweep \(invalid JSON/],
  ['v-format', /format is "other\/9"/],
  ['v-running', /not complete/],
  ['v-duplayer', /appears twice/],
  ['v-nolayers', /layers must be a non-empty list/],
  ['v-layername', /is not a plain name/],
  ['v-channels', /channels must be a positive integer/],
  ['v-shard', /shard must be/],
  ['v-noitems', /items\.json/],
  ['v-items-null', /items\.json: the file must be a list/],
  ['v-items-rows', /items\.json: \[0\]\.row must be 0/],
  ['v-skipped', /skipped\.json: the file must be a list/],
];
for (const [v, msg] of sweepVariants) {
  add(`similarity-${v}`, 'error', ['similarity', '--sweep', S(v), '-l', 'gap', '--out', O(`similarity-${v}`)], msg);
  add(`atlas-${v}`, 'error', ['atlas', '--sweep', S(v), '-l', 'gap', '--neurons', '0', '--n', '2', ...NC, '--out', O(`atlas-${v}`)], msg);
}
for (const [v, msg] of [
  ['v-npy-trunc', /gap\.values\.npy/],
  ['v-npy-garbage', /gap\.values\.npy/],
  ['v-npy-missing', /gap\.values\.npy/],
  ['v-npy-shape', /gap\.values\.npy: shape/],
] as const) {
  add(`similarity-${v}`, 'error', ['similarity', '--sweep', S(v), '-l', 'gap', '--out', O(`similarity-${v}`)], msg);
  add(`atlas-${v}`, 'error', ['atlas', '--sweep', S(v), '-l', 'gap', '--neurons', '0', '--n', '2', ...NC, '--out', O(`atlas-${v}`)], msg);
}
add('similarity-argmax-missing-ok', 'ok', ['similarity', '--sweep', S('v-argmax-missing'), '-l', 'gap', '--out', O('similarity-argmax-missing-ok')]);
add('atlas-argmax-missing', 'error', ['atlas', '--sweep', S('v-argmax-missing'), '-l', 'pool1', '--neurons', '0', '--n', '2', ...NC, '--out', O('atlas-argmax-missing')], /pool1\.argmax\.npy/);
for (const v of ['v-null', 'v-running', 'v-duplayer', 'v-npy-missing']) {
  add(`merge-${v}`, 'error', ['sweep-merge', S(v), '--out', O(`merge-${v}`)], new RegExp(v === 'v-npy-missing' ? 'gap\\.values\\.npy' : v === 'v-running' ? 'not complete' : v === 'v-duplayer' ? 'appears twice' : 'not a sweep manifest'));
}
add('merge-out-equals-input', 'error', ['sweep-merge', S('valid'), '--out', S('valid')], /is the input/);
add('merge-out-inside-input', 'error', ['sweep-merge', S('valid'), '--out', path.join(S('valid'), 'merged')], /lies inside the input/);
add('merge-twice', 'error', ['sweep-merge', S('valid'), S('valid'), '--out', O('merge-twice')], /exactly once|shards given/);
add('merge-missing', 'error', ['sweep-merge', S('nosuch'), '--out', O('merge-missing')], /not a facelens sweep/);
add('sweep-out-is-foreign-sweep', 'error', ['sweep', P('good'), ...ND, '--layers', 'gap', '--out', S('v-format')], /holds a different sweep|format/);
add('sweep-over-valid-other-params', 'error', ['sweep', P('good'), ...ND, '--layers', 'res64', '--out', S('valid')], /holds a different sweep/);

// ---- atlas / similarity options ----------------------------------------------------------------
const atlasOpt: [string, string[], RegExp][] = [
  ['tile-0', ['--tile', '0'], /--tile must be a positive integer/],
  ['tile-huge', ['--tile', '99999999'], /--tile must be an integer in 1\.\.2048/],
  ['tile-big-n', ['--tile', '2048', '--n', '50'], /would need .* of memory/],
  ['margin-huge', ['--margin', '1000000000'], /--margin must be an integer in 0\.\.64/],
  ['margin-neg', ['--margin', '-1'], /--margin must be a non-negative integer/],
  ['n-0', ['--n', '0'], /--n must be a positive integer/],
  ['neurons-garbage', ['--neurons', 'banana'], /--neurons|banana/],
  ['neurons-range', ['--neurons', '99999'], /99999/],
  ['mode', ['--mode', 'x'], /--mode.*(must be one of|Allowed choices are deconv)/],
  ['fit', ['--fit', 'x'], /--fit.*(must be contain or fill|Allowed choices are contain, fill)/],
  ['seed', ['--seed', '-1'], /--seed must be a non-negative integer/],
  ['layer', ['-l', 'nosuch'], /nosuch/],
];
for (const [id, args, msg] of atlasOpt) {
  add(`atlas-${id}`, 'error', ['atlas', '--sweep', S('valid'), '-l', 'gap', '--neurons', '0', ...NC, ...args, '--out', O(`atlas-${id}`)], msg);
}
add('atlas-out-inside-sweep', 'error', ['atlas', '--sweep', S('valid'), '-l', 'gap', '--out', path.join(S('valid'), 'atlas')], /lies inside the input/);
for (const [id, args, msg] of [
  ['n-0', ['--n', '0'], /--n must be a positive integer/],
  ['table-word', ['--table', 'x'], /--table: "x" is not a neuron index/],
  ['table-neg', ['--table', '-1'], /--table/],
  ['layer', ['-l', 'nosuch'], /nosuch/],
  ['no-sweep', ['--sweep', S('nosuch')], /not a facelens sweep/],
] as [string, string[], RegExp][]) {
  add(`similarity-${id}`, 'error', ['similarity', '--sweep', S('valid'), '-l', 'gap', ...args, '--out', O(`similarity-${id}`)], msg);
}
add('similarity-ok', 'ok', ['similarity', '--sweep', S('valid'), '-l', 'pool1', '--n', '2', '--out', O('similarity-ok')]);

// ---- verify: pair files and trees ----------------------------------------------------------------
const verifyCases: [string, string[], RegExp][] = [
  ['missing-images', [P('lfw-missing')], /pairs\.txt:2: image file not found/],
  ['empty-pairs', [P('lfw-empty')], /pairs/],
  ['garbage-pairs', [P('lfw-garbage')], /pairs\.txt/],
  ['negative', [P('lfw-negative')], /pairs\.txt/],
  ['one-fold', [P('lfw-onefold')], /at least 2 folds/],
  ['bad-images', [P('lfw-badimages')], /only 0 of 4 pairs have both images readable/],
  ['pairlist-missing', ['--pairs', P('pairlist.txt'), '--images', P('emptydir')], /pairs|nope/],
  ['no-args', [], /give an LFW folder/],
  ['pairs-missing-file', ['--pairs', P('nosuch.txt')], /nosuch\.txt/],
  ['no-pairs', [P('good')], /no verification pairs/],
  ['layers-empty', [P('lfw-onefold'), '--layers', ''], /--layers is empty/],
  ['pairs-is-text', ['--pairs', P('file.txt')], /file\.txt/],
];
for (const [id, args, msg] of verifyCases) add(`verify-${id}`, 'error', ['verify', ...args, ...ND, '--out', O(`verify-${id}`)], msg);

// ---- pose: CFP trees and options ----------------------------------------------------------------
const poseCases: [string, string[], RegExp][] = [
  ['empty', [P('cfp-empty')], /cfp-empty/],
  ['frontal-only', [P('cfp-frontal-only')], /profile/],
  ['garbage', [P('cfp-garbage')], /needs exactly two labels|unreadable|no usable/],
  ['folds-0', [P('cfp-frontal-only'), '--folds', '0'], /--folds.*must be (a positive integer|an integer >= 2)/],
  ['folds-1', [P('cfp-frontal-only'), '--folds', '1'], /--folds.*(must be at least 2|must be an integer >= 2)/],
  ['ks-0', [P('cfp-frontal-only'), '--ks', '0'], /--ks must be positive integers/],
  ['ks-word', [P('cfp-frontal-only'), '--ks', 'x'], /--ks must be positive integers/],
  ['metric', [P('cfp-frontal-only'), '--metric', 'x'], /--metric.*(must be cosine or euclidean|Allowed choices are cosine, euclidean)/],
  ['identities-garbage', [P('cfp-frontal-only'), '--identities', 'zzz'], /no images left after selection/],
  ['identities-empty', [P('cfp-frontal-only'), '--identities', ''], /--identities: nothing/],
  ['identities-range', [P('cfp-frontal-only'), '--identities', '9-1'], /--identities: empty range/],
  ['csv-nolabel', [P('csv/pose-nolabel.csv')], /label|profile|frontal/],
  ['missing', [P('nosuch')], /no such file or folder/],
  ['layers-empty', [P('cfp-frontal-only'), '--layers', ''], /--layers is empty/],
];
for (const [id, args, msg] of poseCases) add(`pose-${id}`, 'error', ['pose', ...args, ...ND, '--out', O(`pose-${id}`)], msg);

// ---- invariance / correspondence options -----------------------------------------------------------
const invCases: [string, string[], RegExp][] = [
  ['translate-garbage', ['--translate', 'abc'], /--translate/],
  ['rotate-backwards', ['--rotate', '10:0:5'], /--rotate/],
  ['scale-zero-step', ['--scale', '0.5:1.5:0'], /--scale/],
  ['scale-negative', ['--scale', '-1,0'], /--scale/],
  ['border', ['--border', 'x'], /--border.*(must be replicate or black|Allowed choices are replicate, black)/],
  ['limit-0', ['--limit', '0'], /--limit must be a positive integer/],
  ['layers-empty', ['--layers', ''], /--layers is empty/],
  ['all-none', ['--translate', 'none', '--rotate', 'none', '--scale', 'none'], /none|transform/],
];
for (const [id, args, msg] of invCases) add(`invariance-${id}`, 'error', ['invariance', P('good'), ...ND, ...args, '--out', O(`invariance-${id}`)], msg);
const corrCases: [string, string[], RegExp][] = [
  ['draws-0', ['--draws', '0'], /--draws must be a positive integer/],
  ['mask-0', ['--mask-scale', '0'], /--mask-scale must be a number in \(0, 5\)/],
  ['mask-word', ['--mask-scale', 'abc'], /--mask-scale/],
  ['fill', ['--fill', 'x'], /--fill.*(must be grey or mean|Allowed choices are grey, mean)/],
  ['placement', ['--random-placement', 'x'], /--random-placement/],
  ['sign-zero', ['--sign-zero', 'x'], /--sign-zero/],
  ['identities-none', ['--identities', '001'], /--identities: the dataset has no identities/],
  ['per-identity-0', ['--per-identity', '0'], /--per-identity must be a positive integer/],
  ['limit-0', ['--limit', '0'], /--limit must be a positive integer/],
  ['layers-empty', ['--layers', ''], /--layers is empty/],
  ['label-none', ['--label', 'frontal'], /no images left after selection/],
];
for (const [id, args, msg] of corrCases) add(`correspondence-${id}`, 'error', ['correspondence', P('good'), ...NC, ...args, '--out', O(`correspondence-${id}`)], msg);
add('correspondence-identities-warn', 'error', ['correspondence', P('csv/ok.csv'), ...NC, '--identities', 'p1,banana', '--limit', '1', '--draws', '1', '--out', O('correspondence-identities-warn')], /banana.*match no identity|no face|landmark|at least/);

// ---- maximize options ------------------------------------------------------------------------------
const maxCases: [string, string[], RegExp][] = [
  ['layer', ['-l', 'nosuch', '-k', '0'], /nosuch/],
  ['neuron-neg', ['-l', 'gap', '-k', '-1'], /--neuron must be a non-negative integer/],
  ['neuron-word', ['-l', 'gap', '-k', 'abc'], /--neuron must be a non-negative integer/],
  ['neuron-range', ['-l', 'gap', '-k', '99999'], /99999/],
  ['steps-neg', ['-l', 'gap', '-k', '0', '--steps', '-1'], /--steps must be a non-negative integer/],
  ['octaves-0', ['-l', 'gap', '-k', '0', '--octaves', '0'], /--octaves must be a positive integer/],
  ['octave-scale', ['-l', 'gap', '-k', '0', '--octave-scale', '0.5'], /--octave-scale must be >= 1/],
  ['step-size-0', ['-l', 'gap', '-k', '0', '--step-size', '0'], /--step-size must be a positive number/],
  ['spatial', ['-l', 'gap', '-k', '0', '--spatial', 'x'], /--spatial.*(must be centre or max|Allowed choices are centre, max)/],
  ['init-topn-nosweep', ['-l', 'gap', '-k', '0', '--init', 'mean-topn'], /--init mean-topn needs --sweep/],
  ['init-cluster-nosweep', ['-l', 'gap', '-k', '0', '--init', 'cluster'], /--init cluster needs --sweep/],
  ['init-garbage', ['-l', 'gap', '-k', '0', '--init', P('bad/garbage.jpg')], /garbage\.jpg/],
  ['init-missing', ['-l', 'gap', '-k', '0', '--init', P('nosuch.jpg')], /nosuch\.jpg/],
  ['topn-0', ['-l', 'gap', '-k', '0', '--topn', '0'], /--topn must be a positive integer/],
  ['snapshots-0', ['-l', 'gap', '-k', '0', '--snapshots', '0'], /--snapshots must be a positive integer/],
  ['init-topn-badsweep', ['-l', 'gap', '-k', '0', '--init', 'mean-topn', '--sweep', S('v-null')], /not a sweep manifest/],
];
for (const [id, args, msg] of maxCases) add(`maximize-${id}`, 'error', ['maximize', ...args, '--out', O(`maximize-${id}`)], msg);
add('maximize-steps-0', 'warn', ['maximize', '-l', 'gap', '-k', '0', '--steps', '0', '--octaves', '1', '--snapshots', '1', '--out', O('maximize-steps-0')], /--steps 0/);

// ---- data, yaw, explain, compare, merge ----------------------------------------------------------
add('data-fetch-unknown', 'error', ['data', 'fetch', 'nosuch', '--data-dir', O('data-fetch-unknown')], /unknown dataset "nosuch" \(known: lfw/);
add('data-fetch-url-word', 'error', ['data', 'fetch', 'lfw', '--data-dir', O('data-fetch-url-word'), '--base-url', 'notaurl'], /--base-url is not a URL/);
add('data-fetch-url-ftp', 'error', ['data', 'fetch', 'lfw', '--data-dir', O('data-fetch-url-ftp'), '--base-url', 'ftp://host/x'], /--base-url must be an http or https URL/);
add('data-fetch-timeout', 'error', ['data', 'fetch', 'lfw', '--data-dir', O('data-fetch-timeout'), '--timeout', '-1'], /--timeout must be a positive number/);
add('data-fetch-no-name', 'usage', ['data', 'fetch'], /missing required argument/);
add('demo-base-url', 'error', ['demo', '--base-url', 'x', '--out', O('demo-base-url')], /--base-url is not a URL/);
add('yaw-folds-1', 'error', ['yaw', P('good'), ...ND, '--folds', '1', '--out', O('yaw-folds-1')], /--folds must be at least 2/);
add('yaw-ks-0', 'error', ['yaw', P('good'), ...ND, '--ks', '0', '--out', O('yaw-ks-0')], /--ks must be positive integers/);
add('yaw-frontal-turned', 'error', ['yaw', P('good'), ...ND, '--frontal', '40', '--turned', '30', '--out', O('yaw-frontal-turned')], /--frontal <= --turned/);
add('yaw-missing', 'error', ['yaw', P('nosuch'), ...ND, '--out', O('yaw-missing')], /nosuch/);
add('verify-protocol-xx', 'error', ['verify', P('good'), ...ND, '--protocol', 'XX', '--out', O('verify-protocol-xx')], /--protocol must be FP or FF/);
add('verify-protocol-noprotocol', 'error', ['verify', P('good'), ...ND, '--protocol', 'FP', '--out', O('verify-protocol-noprotocol')], /no CFP protocol folder .*good/);
add('explain-one-image', 'error', ['explain', P('good/a.jpg'), ...NC, '--out', O('explain-one-image')], /two images A B \(got 1\)/);
add('explain-pairs-missing', 'error', ['explain', '--pairs', P('nosuch.txt'), ...NC, '--out', O('explain-pairs-missing')], /nosuch\.txt/);
add('explain-patch-0', 'error', ['explain', P('good/a.jpg'), P('good/c.jpg'), ...NC, '--patch', '0', '--out', O('explain-patch-0')], /--patch must be a positive integer/);
add('explain-layer-unknown', 'error', ['explain', P('good/a.jpg'), P('good/c.jpg'), ...NC, '--layer', 'nosuch', '--out', O('explain-layer-unknown')], /no probe layer "nosuch"/);
add('explain-missing-image', 'error', ['explain', P('good/a.jpg'), P('nosuch.jpg'), ...NC, '--out', O('explain-missing-image')], /nosuch\.jpg/);
add('explain-garbage-image', 'error', ['explain', P('good/a.jpg'), P('bad/garbage.jpg'), ...NC, '--out', O('explain-garbage-image')], /garbage\.jpg/);
add('explain-only-word', 'error', ['explain', '--pairs', P('lfw-onefold/pairs.txt'), '--only', 'maybe', ...NC, '--out', O('explain-only-word')], /--only must be same or different/);
add('explain-pairs-all-bad', 'error', ['explain', '--pairs', P('lfw-badimages/pairs.txt'), ...NC, '--max-pairs', '1', '--out', O('explain-pairs-all-bad')], /no pair could be explained \(1 skipped; first: .*Alice_0001\.jpg/);
add('compare-three-models', 'error', ['compare', P('good'), ...ND, '--model', 'dlib-resnet', '--model', 'faceres', '--model', 'dlib-resnet', '--out', O('compare-three-models')], /give one or two models \(got 3\)/);
add('compare-unknown-model', 'error', ['compare', P('good'), ...ND, '--model', 'dlib-resnet', '--model', 'nosuch', '--out', O('compare-unknown-model')], /unknown model "nosuch"/);
add('compare-max-dims-0', 'error', ['compare', P('good'), ...ND, '--max-dims', '0', '--out', O('compare-max-dims-0')], /--max-dims must be a positive integer/);
add('compare-reduction', 'error', ['compare', P('good'), ...ND, '--reduction', 'weird', '--out', O('compare-reduction')], /--reduction must be one of sketch, pool, none/);
add('merge-not-shard', 'error', ['merge', P('good'), '--out', O('merge-not-shard')], /good: not a finished facelens .* output/);
add('merge-no-shards', 'usage', ['merge', '--out', O('merge-no-shards')], /missing required argument/);
add('merge-garbage-manifest', 'error', ['merge', S('v-garbage'), '--out', O('merge-garbage-manifest')], /v-garbage/);

// ---- demo, report, serve -------------------------------------------------------------------------
add('demo-userdir', 'error', ['demo', '--out', P('userdir')], /holds no facelens results .*nothing was changed/);
add('demo-fake-results', 'error', ['demo', '--out', P('fake-results')], /holds no facelens results/);
add('demo-out-file', 'error', ['demo', '--out', P('file.txt')], /is a file, not a folder/);
add('demo-lfw-missing', 'error', ['demo', '--lfw', P('nosuch'), '--out', O('demo-lfw-missing')], /--lfw .*nosuch: no such folder/);
add('demo-cfp-missing', 'error', ['demo', '--cfp', P('nosuch'), '--out', O('demo-cfp-missing')], /--cfp .*nosuch: no such folder/);
add('demo-dataset-file', 'error', ['demo', '--dataset', P('file.txt'), '--out', O('demo-dataset-file')], /--dataset .*file\.txt: no such folder/);
add('demo-out-inside-lfw', 'error', ['demo', '--lfw', P('lfw-onefold'), '--out', P('lfw-onefold/report')], /lies inside the input/);
add('demo-out-proc', 'error', ['demo', '--out', '/proc/facelens-demo'], /pseudo file system/);
add('demo-seed', 'error', ['demo', '--seed', '-1', '--out', O('demo-seed')], /--seed must be a non-negative integer/);
add('demo-am-steps-0', 'error', ['demo', '--am-steps', '0', '--out', O('demo-am-steps-0')], /--am-steps must be a positive integer/);
add('demo-atlas-neurons-0', 'error', ['demo', '--atlas-neurons', '0', '--out', O('demo-atlas-neurons-0')], /--atlas-neurons must be a positive integer/);
add('report-missing', 'error', ['report', O('report-missing')], /no such results directory/);
add('report-file', 'error', ['report', P('file.txt')], /no such results directory/);
// report: a results folder with corrupted files still gets a report (failed sections say why)
const corrupt = (files: Record<string, string>) => async (out: string) => {
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(out, rel)), { recursive: true });
    await writeFile(path.join(out, rel), text);
  }
};
const reportCheck = async (out: string) => assert.ok((await readFile(path.join(out, 'index.html'), 'utf8')).includes('<html'));
add('report-null-files', 'ok', ['report', O('report-null-files')], undefined, reportCheck, corrupt({ 'run.json': 'null', 'sweep/manifest.json': 'null', 'atlas/gap/summary.json': 'null', 'verify/summary.json': 'null' }));
add('report-garbage-files', 'ok', ['report', O('report-garbage-files')], undefined, reportCheck, corrupt({ 'run.json': '{{', 'sweep/manifest.json': '{"layers": "x"}', 'similarity/gap/summary.json': '[1,2]', 'pose/summary.json': '{"layers": [null]}', 'invariance/summary.json': '{"transforms": 5}' }));
add('report-wrong-types', 'ok', ['report', O('report-wrong-types')], undefined, reportCheck, corrupt({ 'run.json': '{"format": "facelens-run/1", "steps": "no", "date": 5}', 'sweep/manifest.json': '{"layers": [{"name": 5}]}', 'correspondence/summary.json': '{"rows": [{}]}', 'maximize/gap/summary.json': '{"runs": null}' }));
add('serve-empty', 'error', ['serve', P('serve-empty')], /holds no facelens results/);
add('serve-missing', 'error', ['serve', P('nosuch')], /is not a folder/);
add('serve-file', 'error', ['serve', P('file.txt')], /is not a folder/);
add('serve-port', 'error', ['serve', P('serve-empty'), '--port', '70000'], /--port must be an integer in 0\.\.65535/);
add('serve-port-word', 'error', ['serve', P('serve-empty'), '--port', 'abc'], /--port must be an integer/);

const outcomes: Record<string, number> = {};
const slow: string[] = [];
const failed: string[] = [];

test(`malformed-input suite: ${cases.length} cases`, async (t) => {
  assert.ok(cases.length >= 150, `${cases.length} cases`);
  const outRoot = path.join(root, 'out');
  // Inputs, sweeps and the working directory are hashed; out/ holds only the cases' own folders
  // (checked by name below) and the cache is written on purpose.
  const skipOf = (_id: string) => (rel: string) => rel === 'cache' || rel === 'out' || rel.startsWith('cache' + path.sep) || rel.startsWith('out' + path.sep);
  // One snapshot serves as "after" of a case and "before" of the next (setups write only in out/).
  let last = await snapshot(root, skipOf(''));
  for (const k of cases) {
    await t.test(k.id, async () => {
     try {
      await k.setup?.(O(k.id));
      const before = last;
      const r = await runInProcess(k.args, 60_000);
      const afterSnap = await snapshot(root, skipOf(k.id));
      last = afterSnap;
      if (r.ms > 10_000) slow.push(`${k.id} ${(r.ms / 1000).toFixed(1)} s`);
      const where = `\n  args: ${JSON.stringify(k.args)}\n  stderr: ${r.stderr.slice(0, 1500)}\n  stdout: ${r.stdout.slice(0, 300)}`;
      assert.notEqual(r.code, 'hang', `hang${where}`);
      assert.doesNotMatch(r.stderr, /^\s+at .+[:(]/m, `stack trace${where}`);
      assert.doesNotMatch(r.stderr, /internal error/, `internal error${where}`);
      assert.doesNotMatch(r.stderr, /\b(TypeError|RangeError|ReferenceError|SyntaxError|Cannot read properties|is not a function|ERR_[A-Z_]+)\b/, `raw JS error${where}`);
      const errorLines = r.stderr.split('\n').filter((l) => /^(facelens: )?error:/.test(l));
      if (k.expect === 'ok' || k.expect === 'warn') {
        assert.equal(r.code, 0, `exit code${where}`);
        assert.equal(errorLines.length, 0, `error line${where}`);
        if (k.expect === 'warn') assert.match(r.stderr, k.msg ?? /warning/, `warning${where}`);
      } else {
        assert.equal(r.code, 1, `exit code${where}`);
        assert.equal(errorLines.length, 1, `one error line${where}`);
        const line = errorLines[0]!;
        assert.ok(line.length < 600, `message too long${where}`);
        if (k.msg) assert.match(line, k.msg, `message${where}`);
        // Option values may be refused by facelens (UserError) or by commander's argument parser
        // (InvalidArgumentError): both are one line; commander's own usage errors say "error:".
        if (k.expect === 'usage') assert.match(line, /^(facelens: )?error:/, `commander usage error${where}`);
        // the message is a sentence about the input, not an errno dump
        assert.doesNotMatch(line, /^facelens: error: (ENOENT|EACCES|EEXIST|ENOTDIR|EISDIR)\b/, `raw errno${where}`);
      }
      assert.deepEqual(diffSnapshots(before, afterSnap), [], `writes outside --out or inputs changed${where}`);
      const outs = await readdir(outRoot);
      assert.ok(outs.every((n) => cases.some((x) => x.id === n)), `stray output folder ${outs}`);
      await k.check?.(O(k.id), r);
      outcomes[k.expect] = (outcomes[k.expect] ?? 0) + 1;
     } catch (e) {
      failed.push(`${k.id}: ${(e as Error).message.split('\n').slice(0, 3).join(' | ')}`);
      throw e;
     }
    });
  }
  const line = `hardening suite: ${cases.length} cases: ${Object.entries(outcomes).map(([k, v]) => `${v} ${k}`).join(', ')}${slow.length ? `; slow: ${slow.join(', ')}` : ''}`;
  t.diagnostic(line);
  console.log(line);
  for (const f of failed) console.log(`FAILED ${f}`);
  // The verdict is also asserted here, apart from the per-case subtests, so that a case that never
  // ran cannot pass unnoticed.
  assert.deepEqual(failed, [], 'failed cases');
  assert.equal(Object.values(outcomes).reduce((a, b) => a + b, 0), cases.length, 'every case ran and passed');
});
