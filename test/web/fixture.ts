/**
 * A small but real results folder for the explorer's browser tests, made by the real analyses:
 * 12 faces aligned from the bundled demo photos (written as crops, then swept with --no-detect),
 * a sweep of res64 + res128, atlases of 3 res64 neurons (a neuron and its 2 most similar, so the
 * similar-neuron links lead to atlas pages; deconv + guided modes) and 2 res128 neurons, the
 * similarity matrices of both layers, one short activation maximisation registered in the
 * res64 atlas, and an invariance probe (one transform, 2 values). About a minute on 2 cores.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { atlas } from '../../src/analyses/atlas/atlas.ts';
import { topVariance } from '../../src/analyses/atlas/neurons.ts';
import { maximize } from '../../src/analyses/maximize/maximize.ts';
import { writeMaximizeOutputs } from '../../src/analyses/maximize/output.ts';
import { similarityMatrix } from '../../src/analyses/metrics/similarity.ts';
import { invariance } from '../../src/analyses/probes/invariance.ts';
import { similarity } from '../../src/analyses/similarity.ts';
import { openSweep } from '../../src/analyses/sweep/read.ts';
import { sweep } from '../../src/analyses/sweep/sweep.ts';
import { demoPhotos } from '../../src/demo/photos.ts';
import { openDataset } from '../../src/data/datasets/index.ts';
import { groupFaces } from '../../src/data/group-faces.ts';
import { writePng } from '../../src/data/image-io.ts';
import { loadModel } from '../../src/models/registry.ts';

export const FIXTURE_FACES = 12;
const N = 6;

/** Builds the results folder under `root` (an empty temp folder); returns its path. */
export async function buildResultsFixture(root: string): Promise<{ results: string; res64: number[]; res128: number[] }> {
  const model = await loadModel('dlib-resnet');
  const facesDir = path.join(root, 'faces');
  await mkdir(facesDir, { recursive: true });
  let k = 0;
  for await (const f of groupFaces(demoPhotos(), model.alignment)) {
    await writePng(path.join(facesDir, `face-${String(k).padStart(2, '0')}.png`), f.face);
    if (++k === FIXTURE_FACES) break;
  }
  if (k < FIXTURE_FACES) throw new Error(`only ${k} faces found in the demo photos`);

  const results = path.join(root, 'results');
  const swDir = path.join(results, 'sweep');
  await sweep({ model, dataset: await openDataset(facesDir), out: swDir, layers: ['res64', 'res128'], detect: false, cache: false, batch: 6 });
  const sw = await openSweep(swDir);
  const t64 = await sw.readLayer('res64');
  const [a] = topVariance(t64.values, t64.rows, t64.channels, 1);
  const S = similarityMatrix(t64.values, t64.rows, t64.channels, Math.min(N, t64.rows)).S;
  const closest = Array.from({ length: t64.channels }, (_, i) => i)
    .filter((i) => i !== a)
    .sort((x, y) => S[a * t64.channels + y] - S[a * t64.channels + x] || x - y)
    .slice(0, 2);
  const res64 = [a, ...closest];
  const common = { sweepDir: swDir, n: N, tileSize: 32, model, cache: false };
  await atlas({ ...common, layer: 'res64', neurons: res64, mode: 'deconv', out: path.join(results, 'atlas', 'res64') });
  await atlas({ ...common, layer: 'res64', neurons: res64, mode: 'guided', out: path.join(results, 'atlas', 'res64', 'guided') });
  const r128 = await atlas({ ...common, layer: 'res128', neurons: 'top-variance:2', mode: 'deconv', out: path.join(results, 'atlas', 'res128') });
  for (const layer of ['res64', 'res128']) await similarity({ sweepDir: swDir, layer, n: N, out: path.join(results, 'similarity', layer) });
  const am = await maximize({ model, layer: 'res64', neuron: a, init: 'noise', steps: 3, octaves: 1, seed: 1, snapshots: 3 });
  await writeMaximizeOutputs(am, path.join(results, 'maximize', 'res64'), model.name, { atlasDir: path.join(results, 'atlas', 'res64') });
  await invariance({
    model,
    dataset: await openDataset(facesDir),
    out: path.join(results, 'invariance'),
    layers: ['res64', 'res128'],
    ranges: { translate_y: [0, 10], rotate: [], scale: [] },
    detect: false,
    cache: false,
  });
  await writeFile(path.join(results, 'run.json'), JSON.stringify({ command: 'web test fixture', faces: FIXTURE_FACES }) + '\n');
  return { results, res64, res128: r128.neurons };
}
