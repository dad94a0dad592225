/**
 * `facelens serve` projections on demand (src/web/projection-service.ts), over HTTP on a small
 * real sweep without an atlas (6 aligned demo faces, res64): a neuron's tile is computed, is a
 * PNG of the documented size, its forward value matches the sweep's value (an independent
 * computation of the same neuron), and lands in the cache keyed by model/layer/neuron/mode/image;
 * the second request is the cached file (a marker written into the cache comes back). Missing
 * images and an unloadable model give their status and a one-line reason. The per-face API
 * lists each layer's most active neurons, checked against the sweep table.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { openSweep } from '../../src/analyses/sweep/read.ts';
import { sweep } from '../../src/analyses/sweep/sweep.ts';
import { openDataset } from '../../src/data/datasets/index.ts';
import { groupFaces } from '../../src/data/group-faces.ts';
import { writePng } from '../../src/data/image-io.ts';
import { demoPhotos } from '../../src/demo/photos.ts';
import { loadModel } from '../../src/models/registry.ts';
import type { FaceModel } from '../../src/models/face-model.ts';
import type { FaceSweepResponse } from '../../src/results/explorer-index.ts';
import { PROJECTION_CACHE_FORMAT, TILE, type ProjectionRecord } from '../../src/web/projection-service.ts';
import { startExplorer, type Explorer } from '../../src/web/server.ts';
import { clearSweepCache } from '../../src/web/sweep-api.ts';

let tmp = '';
let results = '';
let cacheDir = '';
let model: FaceModel;
let ex: Explorer;

before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'facelens-proj-'));
  model = await loadModel('dlib-resnet');
  const facesDir = path.join(tmp, 'faces');
  await mkdir(facesDir, { recursive: true });
  let k = 0;
  for await (const f of groupFaces(demoPhotos(), model.alignment)) {
    await writePng(path.join(facesDir, `face-${k}.png`), f.face);
    if (++k === 6) break;
  }
  results = path.join(tmp, 'results');
  await sweep({ model, dataset: await openDataset(facesDir), out: path.join(results, 'sweep'), layers: ['res64', 'embedding'], detect: false, cache: false, batch: 6 });
  cacheDir = path.join(tmp, 'cache');
  ex = await startExplorer({ root: results, port: 0, projectionCache: cacheDir, model, faceCache: false });
});

after(async () => {
  await ex?.close();
  clearSweepCache();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function get(url: string): Promise<{ status: number; type: string; cache: string | null; body: Buffer }> {
  const r = await fetch(url);
  return { status: r.status, type: r.headers.get('content-type') ?? '', cache: r.headers.get('x-facelens-cache'), body: Buffer.from(await r.arrayBuffer()) };
}

/** The cache entries (relative paths) under `dir`. */
async function files(dir: string): Promise<string[]> {
  return ((await readdir(dir, { recursive: true }).catch(() => [])) as string[]).filter((f) => /\.(png|json)$/.test(f)).sort();
}

test('a non-atlas neuron: projection computed, cached (model/layer/neuron/mode/image), second request from the cache', async () => {
  const sw = await openSweep(path.join(results, 'sweep'));
  const t = await sw.readLayer('res64');
  const C = t.channels;
  const neuron = 5;
  // its best image in the sweep
  let row = 0;
  for (let r = 1; r < t.rows; r++) if (t.values[r * C + neuron]! > t.values[row * C + neuron]!) row = r;
  const url = `${ex.url}api/sweep/projection/res64/${neuron}/${row}`;
  const first = await get(url);
  assert.equal(first.status, 200, first.body.toString());
  assert.equal(first.type, 'image/png');
  assert.equal(first.cache, 'miss');
  const meta = await sharp(first.body).metadata();
  assert.deepEqual([meta.width, meta.height], [2 * TILE, TILE]);

  const entries = await files(cacheDir);
  assert.equal(entries.length, 2, entries.join(', '));
  const [jsonRel, pngRel] = entries;
  assert.match(pngRel!, new RegExp(`^dlib-resnet/res64/${neuron}/deconv/[0-9a-f]{24}\\.png$`));
  assert.equal(jsonRel, pngRel!.replace(/\.png$/, '.json'));
  assert.deepEqual(await readFile(path.join(cacheDir, pngRel!)), first.body);
  const rec = JSON.parse(await readFile(path.join(cacheDir, jsonRel!), 'utf8')) as ProjectionRecord;
  assert.equal(rec.format, PROJECTION_CACHE_FORMAT);
  assert.deepEqual([rec.layer, rec.neuron, rec.row, rec.mode], ['res64', neuron, row, 'deconv']);
  assert.equal(rec.cell, t.argmax![row * C + neuron]);
  // the projection's forward pass sees the value the sweep recorded for this neuron and image
  assert.ok(Math.abs(rec.forwardValue - t.values[row * C + neuron]!) <= 1e-3 * Math.max(1, Math.abs(rec.forwardValue)), `${rec.forwardValue} vs ${t.values[row * C + neuron]}`);
  // the tile's left half is the RF patch: not flat, and the right half (the projection) differs from it
  const raw = await sharp(first.body).raw().toBuffer();
  let diff = 0;
  for (let y = 0; y < TILE; y++) for (let x = 0; x < TILE; x++) for (let c = 0; c < 3; c++) diff += Math.abs(raw[(y * 2 * TILE + x) * 3 + c]! - raw[(y * 2 * TILE + TILE + x) * 3 + c]!);
  assert.ok(diff / (TILE * TILE * 3) > 2, `patch and projection halves are the same (${diff})`);

  // Second request: the cached file itself (replaced by a marker image: the marker comes back).
  const marker = await sharp({ create: { width: 2 * TILE, height: TILE, channels: 3, background: { r: 1, g: 2, b: 3 } } }).png().toBuffer();
  await writeFile(path.join(cacheDir, pngRel!), marker);
  const second = await get(url);
  assert.equal(second.status, 200);
  assert.equal(second.cache, 'hit');
  assert.deepEqual(second.body, marker);
  assert.deepEqual(await files(cacheDir), entries, 'no new cache entry');

  // A vector layer: the whole crop is the patch; another mode is another entry.
  const v = await get(`${ex.url}api/sweep/projection/embedding/3/0?mode=guided`);
  assert.equal(v.status, 200, v.body.toString());
  assert.ok((await files(cacheDir)).some((f) => f.startsWith('dlib-resnet/embedding/3/guided/')));
  // The aligned crop of an image.
  const a = await get(`${ex.url}api/sweep/aligned/${row}`);
  assert.equal(a.status, 200);
  assert.deepEqual([(await sharp(a.body).metadata()).width], [model.inputSize.width]);
});

test('bad requests and missing pieces: status and a one-line reason', async () => {
  const cases: [string, number, RegExp][] = [
    ['api/sweep/projection/res64/64/0', 404, /res64 has neurons 0-63/],
    ['api/sweep/projection/res999/1/0', 404, /no layer "res999"/],
    ['api/sweep/projection/res64/1/99', 404, /no image 99/],
    ['api/sweep/projection/res64/1/0?mode=banana', 400, /mode must be one of/],
  ];
  for (const [u, status, re] of cases) {
    const r = await get(ex.url + u);
    assert.equal(r.status, status, u);
    assert.match(r.body.toString(), re, u);
  }
  // The swept images are gone (dataset moved): 410 naming the file; the model cannot be loaded: 503.
  const gone = path.join(tmp, 'gone');
  await cp(path.join(results, 'sweep'), path.join(gone, 'sweep'), { recursive: true });
  const mf = path.join(gone, 'sweep', 'manifest.json');
  const m = JSON.parse(await readFile(mf, 'utf8')) as { dataset: { root: string }; model: { name: string; spec?: unknown } };
  m.dataset.root = path.join(tmp, 'no-such-folder');
  await writeFile(mf, JSON.stringify(m));
  const noModel = path.join(tmp, 'nomodel');
  await cp(path.join(results, 'sweep'), path.join(noModel, 'sweep'), { recursive: true });
  const m2 = JSON.parse(await readFile(path.join(noModel, 'sweep', 'manifest.json'), 'utf8')) as typeof m;
  m2.model.spec = { model: path.join(tmp, 'missing-model.onnx') };
  await writeFile(path.join(noModel, 'sweep', 'manifest.json'), JSON.stringify(m2));
  const e1 = await startExplorer({ root: gone, port: 0, projectionCache: path.join(tmp, 'c1'), faceCache: false });
  const e2 = await startExplorer({ root: noModel, port: 0, projectionCache: path.join(tmp, 'c2'), faceCache: false });
  try {
    const r1 = await get(`${e1.url}api/sweep/projection/res64/1/0`);
    assert.equal(r1.status, 410);
    assert.match(r1.body.toString(), /image face-\d\.png of the sweep is not at .*no-such-folder/);
    const r2 = await get(`${e2.url}api/sweep/projection/res64/1/0`);
    assert.equal(r2.status, 503);
    assert.match(r2.body.toString(), /model dlib-resnet of the sweep cannot be loaded here/);
    assert.equal((await files(path.join(tmp, 'c1'))).length + (await files(path.join(tmp, 'c2'))).length, 0, 'nothing cached on failure');
  } finally {
    await e1.close();
    await e2.close();
  }
});

test('per-face API: each layer\'s most active neurons on one image, with the image\'s rank per neuron', async () => {
  const sw = await openSweep(path.join(results, 'sweep'));
  const row = 2;
  const r = await get(`${ex.url}api/sweep/face/${row}?top=4`);
  assert.equal(r.status, 200);
  const d = JSON.parse(r.body.toString()) as FaceSweepResponse;
  assert.equal(d.id, sw.items[row]!.id);
  assert.deepEqual(d.layers.map((l) => l.layer), ['res64', 'embedding']);
  for (const l of d.layers) {
    const t = await sw.readLayer(l.layer);
    const C = t.channels;
    const mine = Array.from(t.values.subarray(row * C, (row + 1) * C));
    const want = mine.map((v, n) => ({ v, n })).sort((a, b) => b.v - a.v || a.n - b.n).slice(0, 4).map((x) => x.n);
    assert.deepEqual(l.neurons.map((n) => n.neuron), want, l.layer);
    for (const n of l.neurons) {
      const higher = Array.from({ length: t.rows }, (_, q) => t.values[q * C + n.neuron]!).filter((x) => x > n.value).length;
      assert.equal(n.rank, 1 + higher);
      assert.equal(n.box !== undefined, l.spatial);
    }
  }
  assert.equal((await get(`${ex.url}api/sweep/face/6`)).status, 404);
  // ranked by value / the neuron's max over the sweep
  const rel = JSON.parse((await get(`${ex.url}api/sweep/face/${row}?top=3&by=relative`)).body.toString()) as FaceSweepResponse;
  assert.equal(rel.by, 'relative');
  const t = await sw.readLayer('res64');
  const C = t.channels;
  const max = Array.from({ length: C }, (_, n) => Math.max(...Array.from({ length: t.rows }, (_, q) => t.values[q * C + n]!)));
  const want = Array.from({ length: C }, (_, n) => ({ n, s: max[n]! > 0 ? t.values[row * C + n]! / max[n]! : -Infinity })).sort((a, b) => b.s - a.s || a.n - b.n).slice(0, 3).map((x) => x.n);
  assert.deepEqual(rel.layers[0]!.neurons.map((n) => n.neuron), want);
});

test('swept images of an LFW-kind sweep are found under root/images (as the dataset reader and the atlas find them)', async () => {
  const lfw = path.join(tmp, 'lfw-results');
  await cp(path.join(results, 'sweep'), path.join(lfw, 'sweep'), { recursive: true });
  const mf = path.join(lfw, 'sweep', 'manifest.json');
  const m = JSON.parse(await readFile(mf, 'utf8')) as { dataset: { kind: string; root: string } };
  const lfwRoot = path.join(tmp, 'lfw-root');
  await cp(path.join(tmp, 'faces'), path.join(lfwRoot, 'images'), { recursive: true });
  m.dataset = { ...m.dataset, kind: 'lfw', root: lfwRoot };
  await writeFile(mf, JSON.stringify(m));
  const e = await startExplorer({ root: lfw, port: 0, projectionCache: path.join(tmp, 'c3'), faceCache: false });
  try {
    const sw = await openSweep(path.join(lfw, 'sweep'));
    const r = await get(`${e.url}api/sweep/image/1`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, await readFile(path.join(lfwRoot, 'images', sw.items[1]!.id)));
  } finally {
    await e.close();
  }
});
