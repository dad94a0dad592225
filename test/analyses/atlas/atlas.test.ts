/**
 * dlib-resnet on real LFW faces: deconv projections vanish outside the receptive field, and an
 * end-to-end atlas on a tiny sweep (30 images, centre crops) writes mosaics and JSON that agree
 * with the sweep; the CLI reports bad arguments as one-line user errors.
 * Skipped (visibly) when ../shared/data is absent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { atlas, type NeuronAtlas } from '../../../src/analyses/atlas/atlas.ts';
import { rfBox } from '../../../src/analyses/atlas/patch.ts';
import { projectDetailed } from '../../../src/analyses/atlas/projection.ts';
import { openSweep } from '../../../src/analyses/sweep/read.ts';
import { sweep } from '../../../src/analyses/sweep/sweep.ts';
import { topSamples } from '../../../src/analyses/sweep/topn.ts';
import { similarityMatrix } from '../../../src/analyses/metrics/similarity.ts';
import { openDataset } from '../../../src/data/datasets/index.ts';
import { alignedFaces } from '../../../src/data/faces.ts';
import type { RgbImage } from '../../../src/data/image.ts';
import { tf } from '../../../src/engine/tfjs/backend.ts';
import { TfGraph } from '../../../src/engine/tfjs/graph.ts';
import { findProbe } from '../../../src/models/face-model.ts';
import { UserError } from '../../../src/core/errors.ts';
import { toInputBatch } from '../../../src/models/preprocess.ts';
import { loadDlibResnet } from '../../../src/models/builtin/dlib-resnet.ts';

const LFW = path.resolve('../shared/data/lfw');
const haveData = existsSync(path.join(LFW, 'pairs.txt'));
const skip = !haveData && `shared test data not found at ${LFW}`;
const CLI = path.resolve('src/cli/main.ts');
const model = await loadDlibResnet();

test('deconv projections are exactly zero outside the receptive field (dlib-resnet, real face)', { skip }, async () => {
  const ds = await openDataset(LFW);
  const faces: RgbImage[] = [];
  for await (const f of alignedFaces(ds.items.slice(0, 2), model.alignment, { detect: false, cache: false })) faces.push(f.face);
  const graph = await TfGraph.fromOnnx(model.onnx);
  try {
    // res64 at its top-left cell (box 0..98: the rest of the crop is outside), res32 at an
    // interior cell (box 44..102 on both axes: outside on all four sides).
    for (const [layer, row, col] of [['res64', 0, 0], ['res32', 17, 17], ['res64', 16, 8]] as const) {
      const probe = findProbe(model, layer);
      const [C, H, W] = probe.shape;
      const cell = row * W + col;
      // the channel most active at that cell on the first face (so the projection is not trivially 0)
      const y = tf.tidy(() => graph.run({ input: tf.tensor4d(toInputBatch(model, faces), [faces.length, 3, 150, 150]) }, [probe.tensor])[probe.tensor].dataSync());
      let neuron = 0;
      for (let c = 1; c < C; c++) if (y[c * H * W + cell] > y[neuron * H * W + cell]) neuron = c;
      const { box } = rfBox(probe.rf!, cell, W, model.inputSize);
      const r = await projectDetailed({ graph, model, layer, neuron, faces, cells: faces.map(() => cell), mode: 'deconv' });
      assert.ok(r.values[0] > 0, `${layer}/${neuron} is 0 at cell ${cell}`);
      r.maps.forEach((m, k) => {
        let inside = 0, outsideNonzero = 0, outside = 0;
        for (let c = 0; c < 3; c++)
          for (let py = 0; py < 150; py++)
            for (let px = 0; px < 150; px++) {
              const v = m[(c * 150 + py) * 150 + px];
              if (px >= box.x0 && px <= box.x1 && py >= box.y0 && py <= box.y1) inside += v !== 0 ? 1 : 0;
              else (outside++, (outsideNonzero += v !== 0 ? 1 : 0));
            }
        assert.ok(outside >= 3 * 150 * 40, `${layer}: box ${JSON.stringify(box)} leaves too little outside`);
        assert.equal(outsideNonzero, 0, `${layer} face ${k}: ${outsideNonzero} non-zero values outside ${JSON.stringify(box)}`);
        if (r.values[k] > 0) assert.ok(inside > 0.5 * 3 * (box.x1 - box.x0 + 1) * (box.y1 - box.y0 + 1), `${layer} face ${k}: only ${inside} non-zero values inside`);
      });
    }
  } finally {
    graph.dispose();
  }
});

test('atlas end to end on a 30-image sweep: PNG + JSON consistent with the sweep; CLI errors', { skip }, async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'facelens-atlas-'));
  try {
    const ds = await openDataset(LFW);
    const csv = path.join(root, 'lfw30.csv');
    await writeFile(csv, ds.items.slice(0, 30).map((it) => `${it.path},${it.identity ?? ''}`).join('\n') + '\n');
    const swDir = path.join(root, 'sweep');
    await sweep({ model, dataset: await openDataset(csv), out: swDir, layers: ['res64', 'gap'], detect: false, batch: 8 });
    const sw = await openSweep(swDir);

    const out = path.join(root, 'atlas-res64');
    const progress: number[] = [];
    const n = 10;
    const r = await atlas({ sweepDir: swDir, layer: 'res64', neurons: 'top-variance:2', mode: 'deconv', n, out, seed: 3, tileSize: 32, model, onProgress: (p) => progress.push(p.done) });
    assert.equal(r.neurons.length, 2);
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(progress, [1, 2]);
    const table = await sw.readLayer('res64');
    const tops = topSamples(table, sw.items, r.neurons, n);
    const files = (await readdir(out)).sort();
    assert.deepEqual(files, [...r.neurons.flatMap((k) => [`neuron-${k}.json`, `neuron-${k}.png`]), 'summary.json'].sort());
    const probe = findProbe(model, 'res64');
    for (const k of r.neurons) {
      const doc = JSON.parse(await readFile(path.join(out, `neuron-${k}.json`), 'utf8')) as NeuronAtlas;
      const want = tops.get(k)!;
      assert.deepEqual(doc.samples.map((s) => s.id), want.map((s) => s.id), 'ids = top-n of the sweep, in rank order');
      assert.deepEqual(doc.samples.map((s) => s.value), want.map((s) => s.value));
      assert.deepEqual(doc.samples.map((s) => s.cell), want.map((s) => s.cell));
      doc.samples.forEach((s, i) => {
        assert.equal(s.rank, i + 1);
        assert.deepEqual(s.rfBox, rfBox(probe.rf!, s.cell!, 17, model.inputSize).box);
        assert.ok(Math.abs(s.forwardValue - s.value) <= 1e-3 * Math.max(1, Math.abs(s.value)), `TfGraph ${s.forwardValue} vs sweep ${s.value}`);
      });
      const { cols, rows } = doc.layout.grid;
      assert.ok(cols * rows >= n && cols <= rows);
      const cells = new Set(doc.samples.map((s) => `${s.grid.col},${s.grid.row}`));
      assert.equal(cells.size, n, 'grid cells unique');
      for (const s of doc.samples) assert.ok(s.grid.col >= 0 && s.grid.col < cols && s.grid.row >= 0 && s.grid.row < rows);
      assert.deepEqual(doc.valueCheck.mismatched, []);
      // Most similar neurons: the 5 largest off-diagonal entries of row k of eq. 2's S.
      const S = similarityMatrix(table.values, table.rows, table.channels, n).S;
      const row = Array.from({ length: table.channels }, (_, i) => i).filter((i) => i !== k);
      const best = row.map((i) => S[k * table.channels + i]).sort((a, b) => b - a).slice(0, 5);
      assert.deepEqual(doc.similar.map((x) => x.s), best);
      assert.ok(doc.similar.every((x) => x.neuron !== k && Math.abs(S[k * table.channels + x.neuron] - x.s) < 1e-12));
      assert.equal(doc.layout.perplexity, 3); // min(30, floor(9 / 3))
      assert.equal(doc.layout.pcaDims, 9);
      assert.equal(doc.layout.windowLength, 64 * 5 * 5);
      assert.ok(doc.display.lo < 0 && doc.display.hi > 0, `display range ${doc.display.lo}..${doc.display.hi}`);
      const meta = await sharp(path.join(out, `neuron-${k}.png`)).metadata();
      assert.deepEqual([meta.format, meta.width, meta.height], ['png', cols * 64 + (cols + 1) * 2, rows * 32 + (rows + 1) * 2]);
    }
    const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8'));
    assert.equal(summary.mode, 'deconv');
    assert.equal(summary.n, n);
    assert.equal(summary.layout.tsne.seed, 3);
    assert.match(summary.layout.input, /last block/);
    assert.deepEqual(summary.neurons, r.neurons);

    // A vector layer: the whole crop is the patch; no cells.
    const outGap = path.join(root, 'atlas-gap');
    const g = await atlas({ sweepDir: swDir, layer: 'gap', neurons: [5], mode: 'guided', n: 4, out: outGap, model });
    const gdoc = JSON.parse(await readFile(path.join(outGap, `neuron-5.json`), 'utf8')) as NeuronAtlas;
    assert.deepEqual(g.neurons, [5]);
    assert.deepEqual(gdoc.samples.map((s) => s.id), topSamples(await sw.readLayer('gap'), sw.items, [5], 4).get(5)!.map((s) => s.id));
    assert.equal(gdoc.samples[0].cell, undefined);

    // A sweep whose items no longer match the images (ids of two rows swapped) is noticed.
    const tampered = path.join(root, 'tampered');
    await cp(swDir, tampered, { recursive: true });
    const items = JSON.parse(await readFile(path.join(tampered, 'items.json'), 'utf8')) as { row: number; id: string }[];
    const top = tops.get(r.neurons[0])![0].row;
    const inTop = new Set(tops.get(r.neurons[0])!.map((x) => x.row));
    const other = items.findIndex((_, i) => !inTop.has(i));
    [items[top].id, items[other].id] = [items[other].id, items[top].id];
    await writeFile(path.join(tampered, 'items.json'), JSON.stringify(items));
    const t = await atlas({ sweepDir: tampered, layer: 'res64', neurons: [r.neurons[0]], n: 2, out: path.join(root, 'atlas-tampered'), model });
    assert.equal(t.warnings.length, 1);
    assert.match(t.warnings[0], new RegExp(`neuron ${r.neurons[0]}: 1 face\\(s\\) give another value than in the sweep \\(${items[top].id}\\)`));

    // Bad arguments are UserErrors with clear messages (checked before the model is loaded).
    const bad = (o: Partial<Parameters<typeof atlas>[0]>, re: RegExp) =>
      assert.rejects(atlas({ sweepDir: swDir, layer: 'res64', neurons: [0], out: path.join(root, 'bad'), ...o }), (e: unknown) => e instanceof UserError && re.test((e as Error).message));
    await bad({ neurons: '70' }, /--neurons: 70 is outside 0\.\.63/);
    await bad({ layer: 'res99' }, /has no layer "res99"/);
    await bad({ sweepDir: root }, /is not a facelens sweep/);
    await bad({ n: 0 }, /--n must be a positive integer/);

    // CLI: a bad option is a one-line error without a stack trace; a small run works.
    const cli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', CLI, 'atlas', '--sweep', swDir, ...args, '--quiet'], { encoding: 'utf8' });
    let p = cli(['--layer', 'res64', '--mode', 'lrp']);
    assert.equal(p.status, 1);
    assert.match(p.stderr, /^facelens: error: (--mode must be one of deconv, guided, gradient, got "lrp"|option '--mode <mode>' argument 'lrp' is invalid\. Allowed choices are deconv, guided, gradient\.)/m);
    assert.doesNotMatch(p.stderr, /at .*\.ts:\d+/);
    const outCli = path.join(root, 'cli');
    p = cli(['--layer', 'res64', '--neurons', '3', '--n', '3', '--out', outCli]);
    assert.equal(p.status, 0, p.stderr);
    assert.equal(p.stdout.trim(), outCli);
    assert.deepEqual((await readdir(outCli)).sort(), ['neuron-3.json', 'neuron-3.png', 'summary.json']);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
