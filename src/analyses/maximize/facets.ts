/**
 * Facets of a neuron (paper Fig. 7, after Nguyen et al. 2016 "multifaceted feature
 * visualization"): the neuron's top-n samples, laid out by the atlas's t-SNE, are grouped by
 * k-means on their 2-D t-SNE coordinates; each cluster is one "type of similar-looking samples",
 * and the AM init for facet j is the mean image of the top-9 (by activation) samples of
 * cluster j.
 *
 * Facets are numbered by cluster size (largest first; ties: higher mean activation, then the
 * better best rank), so facet 0 is the neuron's dominant look. The t-SNE coordinates come from
 * the atlas neuron JSON (`atlas/<layer>/neuron-K.json`), so the clusters are exactly the groups
 * a reader sees in the atlas mosaic.
 */
import path from 'node:path';
import { UserError } from '../../core/errors.js';
import { readJson } from '../../io/json.js';
import type { RgbImage } from '../../data/image.js';
import type { FaceModel } from '../../models/face-model.js';
import { ATLAS_FORMAT, type NeuronAtlas } from '../../results/neuron-atlas.js';
import { kmeans } from '../layout/kmeans.js';
import { meanOfSweptFaces, openSweepFor } from './init.js';
import type { SweepData } from '../sweep/read.js';

export interface FacetSample {
  id: string;
  value: number;
  rank: number;
  tsne: [number, number];
}

export interface Facet {
  /** Facet number: 0 = largest cluster. */
  index: number;
  /** Samples of the neuron's top-n in this cluster. */
  size: number;
  meanValue: number;
  centroid: [number, number];
  /** The cluster's top samples by activation (at most `top`): the ones averaged for the init. */
  top: FacetSample[];
  /** Every sample of the cluster, by rank. */
  members: string[];
}

export interface FacetOptions {
  /** Number of clusters (default 3; capped by the number of samples). */
  k?: number;
  /** Samples averaged per facet (default 9, as in the paper). */
  top?: number;
  /** k-means seed (default 0). */
  seed?: number;
}

export const FACET_DEFAULTS = { k: 3, top: 9, seed: 0 } as const;

/** Groups samples into facets by k-means on their t-SNE coordinates. */
export function clusterFacets(samples: FacetSample[], opts: FacetOptions = {}): Facet[] {
  if (samples.length === 0) throw new UserError('facets: the neuron has no samples');
  const k = Math.min(opts.k ?? FACET_DEFAULTS.k, samples.length);
  const top = opts.top ?? FACET_DEFAULTS.top;
  if (!Number.isInteger(k) || k < 1) throw new UserError(`facets: k must be a positive integer, got ${opts.k}`);
  if (!Number.isInteger(top) || top < 1) throw new UserError(`facets: top must be a positive integer, got ${opts.top}`);
  const km = kmeans(samples.map((s) => Float64Array.from(s.tsne)), k, { seed: opts.seed ?? FACET_DEFAULTS.seed });
  const groups: FacetSample[][] = Array.from({ length: k }, () => []);
  samples.forEach((s, i) => groups[km.labels[i]].push(s));
  const facets = groups
    .map((g, c) => {
      const byValue = [...g].sort((a, b) => b.value - a.value || a.rank - b.rank);
      return {
        index: -1,
        size: g.length,
        meanValue: g.reduce((a, s) => a + s.value, 0) / Math.max(1, g.length),
        centroid: [km.centroids[c][0], km.centroids[c][1]] as [number, number],
        top: byValue.slice(0, top),
        members: [...g].sort((a, b) => a.rank - b.rank).map((s) => s.id),
        bestRank: Math.min(...g.map((s) => s.rank)),
      };
    })
    .filter((f) => f.size > 0)
    .sort((a, b) => b.size - a.size || b.meanValue - a.meanValue || a.bestRank - b.bestRank);
  return facets.map(({ bestRank: _b, ...f }, i) => ({ ...f, index: i }));
}

/** Path of a neuron's atlas JSON in an atlas folder of one layer. */
export function atlasNeuronFile(atlasDir: string, neuron: number): string {
  return path.join(atlasDir, `neuron-${neuron}.json`);
}

/** Reads a neuron's atlas JSON and checks it is the expected layer/neuron. */
export async function readNeuronAtlas(atlasDir: string, layer: string, neuron: number): Promise<NeuronAtlas> {
  const file = atlasNeuronFile(atlasDir, neuron);
  let doc: NeuronAtlas;
  try {
    doc = await readJson<NeuronAtlas>(file);
  } catch (e) {
    throw new UserError(`${file}: cannot read the neuron's atlas (${(e as Error).message}); run \`facelens atlas --layer ${layer} --neurons ${neuron} --out ${atlasDir}\` first`);
  }
  if (doc.format !== ATLAS_FORMAT) throw new UserError(`${file}: unknown format ${String(doc.format)}`);
  if (doc.layer !== layer || doc.neuron !== neuron) throw new UserError(`${file}: is the atlas of ${doc.layer} #${doc.neuron}, not ${layer} #${neuron}`);
  return doc;
}

/** A neuron's facets, with the sweep their faces come from: cluster once, then average any facet. */
export interface NeuronFacets {
  facets: Facet[];
  /** The atlas JSON the t-SNE coordinates came from. */
  source: string;
  sweep: SweepData;
  model: FaceModel;
}

/** Reads the neuron's atlas, clusters its samples into facets and opens the sweep. */
export async function neuronFacets(
  opts: FacetOptions & { sweepDir: string; atlasDir: string; layer: string; neuron: number; model: FaceModel },
): Promise<NeuronFacets> {
  const doc = await readNeuronAtlas(opts.atlasDir, opts.layer, opts.neuron);
  const facets = clusterFacets(
    doc.samples.map((s) => ({ id: s.id, value: s.value, rank: s.rank, tsne: s.tsne })),
    opts,
  );
  return { facets, source: atlasNeuronFile(opts.atlasDir, opts.neuron), sweep: await openSweepFor(opts.sweepDir, opts.model), model: opts.model };
}

/** The AM init of facet `facet`: mean aligned image of the top samples of that cluster. */
export async function facetInitImage(nf: NeuronFacets, facet: number, opts: { cache?: boolean; cacheDir?: string } = {}): Promise<{ image: RgbImage; facet: Facet }> {
  const f = nf.facets[facet];
  if (!f) throw new UserError(`facet ${facet} does not exist: ${nf.source} has ${nf.facets.length} facet(s) (0..${nf.facets.length - 1})`);
  const image = await meanOfSweptFaces(
    nf.sweep,
    f.top.map((s) => s.id),
    { ...opts, model: nf.model },
  );
  return { image, facet: f };
}
