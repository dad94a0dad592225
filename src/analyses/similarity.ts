/**
 * The neuron similarity matrix of one layer (paper eq. 2, Fig. 8, Table III), from a sweep
 * table: no new forward passes. Writes S (NPY), a heatmap reordered by average-linkage
 * clustering, the most redundant pairs and most independent neurons, and a Table III-style
 * sub-matrix for chosen neurons.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { writeSummary } from '../results/summary.js';
import { writeNpy } from '../io/npy.js';
import { heatmapPng } from '../figures/heatmap.js';
import { hierarchicalOrder, mostIndependent, mostRedundantPairs, similarityMatrix, ZERO_DENOMINATOR_RULE } from './metrics/similarity.js';
import { openSweep } from './sweep/read.js';
import { writeFileAtomic } from '../io/atomic.js';

export interface SimilarityOptions {
  sweepDir: string;
  layer: string;
  out: string;
  /** Top-n size (paper: 50). */
  n?: number;
  /** Neurons for the Table III-style sub-matrix (default: the 8 most redundant pairs' neurons). */
  table?: number[];
  top?: number;
}

export interface SimilarityResultSummary {
  layer: string;
  neurons: number;
  images: number;
  n: number;
  meanOffDiagonal: number;
  redundant: { i: number; j: number; s: number }[];
  independent: { neuron: number; meanSimilarity: number }[];
  dead: number[];
  order: number[];
  table: { neurons: number[]; S: number[][] };
  files: { summary: string; matrix: string; heatmap: string; markdown: string };
  seconds: number;
}

export async function similarity(opts: SimilarityOptions): Promise<SimilarityResultSummary> {
  const t0 = performance.now();
  const sw = await openSweep(opts.sweepDir);
  const t = await sw.readLayer(opts.layer);
  const n = Math.min(opts.n ?? 50, t.rows);
  const res = similarityMatrix(t.values, t.rows, t.channels, n);
  const C = t.channels;
  const order = Array.from(hierarchicalOrder(res.S).order);
  const top = opts.top ?? 10;
  const redundant = mostRedundantPairs(res.S, top);
  const independent = mostIndependent(res.S, top);
  let off = 0;
  for (let i = 0; i < C; i++) for (let j = 0; j < C; j++) if (i !== j) off += res.S[i * C + j];
  const tableNeurons = opts.table ?? [...new Set(redundant.flatMap((p) => [p.i, p.j]))].slice(0, 8);
  const table = tableNeurons.map((i) => tableNeurons.map((j) => res.S[i * C + j]));
  await mkdir(opts.out, { recursive: true });
  const files = {
    summary: path.join(opts.out, 'summary.json'),
    matrix: path.join(opts.out, `${opts.layer}.similarity.npy`),
    heatmap: path.join(opts.out, `${opts.layer}.similarity.png`),
    markdown: path.join(opts.out, `${opts.layer}.table.md`),
  };
  await writeNpy(files.matrix, Float32Array.from(res.S), [C, C]);
  await writeFileAtomic(files.heatmap, await heatmapPng(res.S, C, { order, title: `${sw.manifest.model.name} ${opts.layer}: neuron similarity S (eq. 2), n=${n}, clustered` }));
  const md = [
    `| S | ${tableNeurons.join(' | ')} |`,
    `|---|${tableNeurons.map(() => '---:').join('|')}|`,
    ...tableNeurons.map((i, a) => `| **${i}** | ${table[a].map((v) => v.toFixed(3)).join(' | ')} |`),
  ].join('\n');
  await writeFileAtomic(files.markdown, md + '\n');
  const seconds = (performance.now() - t0) / 1000;
  const summary: SimilarityResultSummary = {
    layer: opts.layer,
    neurons: C,
    images: t.rows,
    n,
    meanOffDiagonal: C > 1 ? off / (C * (C - 1)) : 0,
    redundant,
    independent,
    dead: res.deadNeurons,
    order,
    table: { neurons: tableNeurons, S: table },
    files,
    seconds,
  };
  await writeSummary(files.summary, {
    command: 'similarity',
    date: new Date().toISOString(),
    parameters: {
      sweep: opts.sweepDir,
      model: sw.manifest.model.name,
      layer: opts.layer,
      n,
      projectionValue: sw.manifest.parameters.projectionValue,
      formula: 'S_ij = 1/2 (sum_{x in C_j} N_i(x) / sum_{x in C_i} N_i(x) + sum_{x in C_i} N_j(x) / sum_{x in C_j} N_j(x)), C_i = top-n images of neuron i (ties to the smaller image id)',
      zeroDenominatorRule: ZERO_DENOMINATOR_RULE,
      ordering: 'average-linkage agglomerative clustering on 1 - S',
    },
    ...summary,
  });
  return summary;
}
