/**
 * verify end to end on a CPLFW-style pair list built from LFW pairs (centre crops, so no
 * detection): format detection, fold assignment, per-layer results, files; and the pair-list
 * parser's errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { verify } from '../../src/analyses/verify.ts';
import { openDataset } from '../../src/data/datasets/index.ts';
import { looksLikePairList, parsePairList, readPairList } from '../../src/data/datasets/pair-list.ts';
import { loadDlibResnet } from '../../src/models/builtin/dlib-resnet.ts';

const LFW = path.resolve('../shared/data/lfw');
const haveData = existsSync(path.join(LFW, 'pairs.txt'));
const dir = await mkdtemp(path.join(os.tmpdir(), 'facelens-verify-'));

test('pair-list parser: labels, pairs, and errors naming file:line', () => {
  const text = 'a/1.jpg 1\na/2.jpg 1\n\nb/1.jpg 0\nc/1.jpg 0\n';
  assert.ok(looksLikePairList(text));
  assert.ok(!looksLikePairList('2\t300\nAaron\t1\t2\n'));
  const { pairs } = parsePairList(text, 'x.txt');
  assert.deepEqual(pairs.map((p) => [p.a.path, p.b.path, p.a.label]), [['a/1.jpg', 'a/2.jpg', 1], ['b/1.jpg', 'c/1.jpg', 0]]);
  assert.throws(() => parsePairList('a.jpg 1\nb.jpg 0\n', 'x.txt'), /x\.txt:2: the two lines of a pair have different labels/);
  assert.throws(() => parsePairList('a.jpg 1\nb.jpg 2\n', 'x.txt'), /x\.txt:2: label must be 0 or 1/);
  assert.throws(() => parsePairList('a.jpg 1\nb.jpg 1\nc.jpg 1\n', 'x.txt'), /x\.txt:3: odd number of lines/);
  assert.throws(() => parsePairList('a.jpg 1 z\n', 'x.txt'), /x\.txt:1: expected "path label"/);
});

test('verify on a pair list: 10 contiguous folds, a row per layer, deeper layers verify better', { skip: !haveData && 'no ../shared/data/lfw' }, async () => {
  const lfw = await openDataset(LFW);
  // 60 matched + 60 mismatched LFW pairs, interleaved in blocks of 6 so every fold has both.
  const same = lfw.pairs!.filter((p) => p.same).slice(0, 60);
  const diff = lfw.pairs!.filter((p) => !p.same).slice(0, 60);
  const lines: string[] = [];
  for (let k = 0; k < 60; k += 6) {
    for (const p of same.slice(k, k + 6)) lines.push(`${p.a} 1`, `${p.b} 1`);
    for (const p of diff.slice(k, k + 6)) lines.push(`${p.a} 0`, `${p.b} 0`);
  }
  const file = path.join(dir, 'pairs_list.txt');
  await writeFile(file, lines.join('\n') + '\n');
  const ds = await readPairList(file, path.join(LFW, 'images'));
  assert.equal(ds.pairs!.length, 120);
  assert.deepEqual([...new Set(ds.pairs!.map((p) => p.fold))], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.ok(ds.pairs!.slice(0, 12).every((p) => p.fold === 0));
  const model = await loadDlibResnet();
  const out = path.join(dir, 'out');
  const r = await verify({ model, dataset: ds, out, layers: ['pool1', 'res128', 'embedding'], detect: false, cache: false });
  assert.deepEqual(r.layers.map((l) => l.layer), ['pool1', 'res128', 'embedding']);
  assert.equal(r.pairs.used, 120);
  for (const l of r.layers) {
    assert.equal(l.fold_accuracies.length, 10);
    const mean = l.fold_accuracies.reduce((a, b) => a + b, 0) / 10;
    assert.ok(Math.abs(mean - l.accuracy_mean) < 1e-12);
    assert.ok(l.auc >= 0 && l.auc <= 1);
    assert.equal(l.fold_thresholds.length, 10);
  }
  const [pool1, , emb] = r.layers;
  assert.ok(emb.auc > pool1.auc, `embedding AUC ${emb.auc} vs pool1 ${pool1.auc}`);
  // Centre crops of LFW are far looser than dlib's chips (no detection here, to stay fast), so
  // the embedding is well below its aligned 0.998 AUC but still clearly informative.
  assert.ok(emb.auc > 0.65, `embedding AUC ${emb.auc}`);
  const summary = JSON.parse(await readFile(r.files.summary, 'utf8'));
  assert.equal(summary.layers.length, 3);
  // The all-pairs threshold (what explain reads) is in the summary and sits within the fold thresholds' range.
  const t = summary.layers[2].threshold;
  const ft = (summary.layers[2].fold_thresholds as (number | null)[]).filter((x): x is number => x !== null);
  assert.equal(typeof t, 'number');
  assert.ok(t >= Math.min(...ft) - 0.05 && t <= Math.max(...ft) + 0.05, `threshold ${t} vs folds ${ft}`);
  assert.ok(existsSync(r.files.roc));
  assert.match(await readFile(r.files.markdown, 'utf8'), /\| embedding \| 128 \|/);
});
