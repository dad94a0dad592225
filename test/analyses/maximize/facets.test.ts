/**
 * Facets: k-means on t-SNE coordinates recovers planted clusters, orders them by size, picks the
 * highest-valued samples of each; registering AM results in a neuron's atlas JSON replaces the
 * same facet and keeps paths relative.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { clusterFacets, type FacetSample } from '../../../src/analyses/maximize/facets.js';
import { maximizeStem, registerInAtlas, type MaximizeFiles } from '../../../src/analyses/maximize/output.js';
import type { MaximizeResult } from '../../../src/analyses/maximize/maximize.js';
import { mulberry32 } from '../../../src/core/random.js';

function blobs(): { samples: FacetSample[]; truth: Map<string, number> } {
  const rng = mulberry32(5);
  const centres: [number, number][] = [[0, 0], [100, 0], [0, 100]];
  const sizes = [12, 20, 8];
  const samples: FacetSample[] = [];
  const truth = new Map<string, number>();
  let k = 0;
  sizes.forEach((n, c) => {
    for (let i = 0; i < n; i++) {
      const id = `c${c}-${i}`;
      samples.push({ id, value: rng() * 10, rank: 0, tsne: [centres[c][0] + rng() * 5, centres[c][1] + rng() * 5] });
      truth.set(id, c);
      k++;
    }
  });
  // ranks by value, as in an atlas
  [...samples].sort((a, b) => b.value - a.value).forEach((s, i) => (s.rank = i + 1));
  return { samples, truth };
}

test('clusterFacets recovers planted t-SNE clusters, largest first, top-9 by value', () => {
  const { samples, truth } = blobs();
  const facets = clusterFacets(samples, { k: 3, top: 9, seed: 0 });
  assert.deepEqual(facets.map((f) => f.size), [20, 12, 8]);
  assert.deepEqual(facets.map((f) => f.index), [0, 1, 2]);
  const plantedOf = [1, 0, 2];
  facets.forEach((f, j) => {
    for (const id of f.members) assert.equal(truth.get(id), plantedOf[j], `${id} in facet ${j}`);
    const inCluster = samples.filter((s) => truth.get(s.id) === plantedOf[j]).sort((a, b) => b.value - a.value);
    assert.deepEqual(f.top.map((s) => s.id), inCluster.slice(0, 9).map((s) => s.id));
    const mean = inCluster.reduce((a, s) => a + s.value, 0) / inCluster.length;
    assert.ok(Math.abs(f.meanValue - mean) < 1e-12);
  });
  // deterministic
  assert.deepEqual(clusterFacets(samples, { k: 3, seed: 0 }), facets);
});

test('clusterFacets caps k by the number of samples and rejects empty input', () => {
  const { samples } = blobs();
  assert.equal(clusterFacets(samples.slice(0, 2), { k: 5 }).length, 2);
  assert.throws(() => clusterFacets([], {}), /no samples/);
});

test('registerInAtlas adds entries with relative paths and replaces the same facet', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'facelens-facets-'));
  try {
    const atlasDir = path.join(dir, 'atlas', 'res128');
    const amDir = path.join(dir, 'maximize', 'res128');
    await mkdir(atlasDir, { recursive: true });
    await mkdir(amDir, { recursive: true });
    const neuronFile = path.join(atlasDir, 'neuron-7.json');
    await writeFile(neuronFile, JSON.stringify({ format: 'facelens-atlas/1', layer: 'res128', neuron: 7, samples: [], similar: [] }));
    const result = (facet: number | null, fin: number) =>
      ({ layer: 'res128', neuron: 7, facet, init: `init ${facet}`, initialActivation: 1, finalActivation: fin }) as unknown as MaximizeResult;
    const files = (r: MaximizeResult): MaximizeFiles => {
      const b = path.join(amDir, maximizeStem(r));
      return { image: `${b}.png`, strip: `${b}-steps.png`, curve: `${b}-activation.png`, summary: `${b}-summary.json` };
    };
    for (const [facet, fin] of [[0, 5], [1, 6], [0, 9], [null, 3]] as const) {
      const r = result(facet, fin);
      await registerInAtlas(atlasDir, r, files(r));
    }
    const doc = JSON.parse(await readFile(neuronFile, 'utf8'));
    assert.deepEqual(
      doc.maximize.map((e: { facet: number | null; finalActivation: number; image: string }) => [e.facet, e.finalActivation, e.image]),
      [
        [null, 3, '../../maximize/res128/res128-7.png'],
        [0, 9, '../../maximize/res128/res128-7-facet0.png'],
        [1, 6, '../../maximize/res128/res128-7-facet1.png'],
      ],
    );
    assert.equal(doc.samples.length, 0, 'the rest of the atlas JSON is kept');
    await assert.rejects(registerInAtlas(atlasDir, { ...result(0, 1), neuron: 8 } as MaximizeResult, files(result(0, 1))), /neuron-8\.json/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
