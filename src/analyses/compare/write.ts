/**
 * Files of `facelens compare`: summary.json (every parameter + the result), cka.csv (long
 * table), cka-matrix.csv, table.md, the CKA heatmap (cka.png + cka.svg, Vega-Lite) and, with
 * pairs, verification.csv.
 */
import { mkdir } from 'node:fs/promises';
import { writeFileAtomic as writeFile } from '../../io/atomic.js';
import path from 'node:path';
import { writeChart, type ChartSpec } from '../../figures/plot.js';
import { csvText, markdownTable, writeProbeSummary } from '../probes/shared.js';
import type { CompareResult } from './compare.js';

export interface CompareFiles {
  summary: string;
  csv: string;
  matrix: string;
  markdown: string;
  heatmap: string;
  heatmapSvg: string;
  heatmapDebiased: string;
  verification?: string;
}

const label = (l: { model: string; layer: string }) => `${l.model}:${l.layer}`;

export function ckaHeatmapSpec(r: CompareResult, which: 'cka' | 'ckaDebiased' = 'cka'): ChartSpec {
  const m = r[which];
  const rows = r.rows.flatMap((a, i) => r.cols.map((b, j) => ({ a: label(a), b: label(b), cka: m[i]![j]! })));
  const aTitle = r.rows[0]?.model ?? 'A';
  const bTitle = r.cols[0]?.model ?? 'B';
  return {
    title: `${which === 'cka' ? 'linear CKA' : 'debiased linear CKA'}, ${r.faces} faces`,
    data: { values: rows.map((x) => ({ ...x, cka: Number.isFinite(x.cka) ? x.cka : null })) },
    width: Math.max(160, 36 * r.cols.length),
    height: Math.max(160, 36 * r.rows.length),
    layer: [
      {
        mark: 'rect',
        encoding: {
          x: { field: 'b', type: 'nominal', sort: r.cols.map(label), title: `${bTitle} layer` },
          y: { field: 'a', type: 'nominal', sort: r.rows.map(label), title: `${aTitle} layer` },
          color: { field: 'cka', type: 'quantitative', scale: { domain: [0, 1], scheme: 'viridis', clamp: true }, title: 'CKA' },
        },
      },
      {
        mark: { type: 'text', fontSize: 9 },
        encoding: {
          x: { field: 'b', type: 'nominal', sort: r.cols.map(label) },
          y: { field: 'a', type: 'nominal', sort: r.rows.map(label) },
          text: { field: 'cka', type: 'quantitative', format: '.2f' },
          color: { condition: { test: 'datum.cka > 0.6', value: 'black' }, value: 'white' },
        },
      },
    ],
  } as ChartSpec;
}

export async function writeCompare(out: string, r: CompareResult, parameters: Record<string, unknown>): Promise<CompareFiles> {
  await mkdir(out, { recursive: true });
  const files: CompareFiles = {
    summary: path.join(out, 'summary.json'),
    csv: path.join(out, 'cka.csv'),
    matrix: path.join(out, 'cka-matrix.csv'),
    markdown: path.join(out, 'table.md'),
    heatmap: path.join(out, 'cka.png'),
    heatmapSvg: path.join(out, 'cka.svg'),
    heatmapDebiased: path.join(out, 'cka-debiased.png'),
  };
  await writeFile(
    files.csv,
    csvText(
      ['model_a', 'layer_a', 'model_b', 'layer_b', 'cka', 'cka_debiased', 'dims_a', 'dims_b', 'used_dims_a', 'used_dims_b', 'faces'],
      r.rows.flatMap((a, i) => r.cols.map((b, j) => [a.model, a.layer, b.model, b.layer, r.cka[i]![j]!, r.ckaDebiased[i]![j]!, a.dims, b.dims, a.usedDims, b.usedDims, r.faces])),
    ),
  );
  await writeFile(files.matrix, csvText(['layer', ...r.cols.map(label)], r.rows.map((a, i) => [label(a), ...r.cka[i]!])));
  const md = [
    `# Linear CKA (${r.faces} faces)`,
    '',
    markdownTable(['', ...r.cols.map(label)], r.rows.map((a, i) => [label(a), ...r.cka[i]!.map((v) => (Number.isFinite(v) ? v.toFixed(3) : '—'))])),
    '',
    '## Debiased linear CKA (unbiased HSIC)',
    '',
    markdownTable(['', ...r.cols.map(label)], r.rows.map((a, i) => [label(a), ...r.ckaDebiased[i]!.map((v) => (Number.isFinite(v) ? v.toFixed(3) : '—'))])),
  ];
  if (r.verification) {
    files.verification = path.join(out, 'verification.csv');
    await writeFile(
      files.verification,
      csvText(['model', 'layer', 'accuracy_mean', 'accuracy_std', 'auc', 'pairs', 'folds'], r.verification.layers.map((v) => [v.model, v.layer, v.accuracy_mean, v.accuracy_std, v.auc, r.verification!.pairs, r.verification!.folds])),
    );
    md.push(
      '',
      `## Per-layer verification (${r.verification.pairs} pairs, ${r.verification.folds} folds; cosine of the features CKA used)`,
      '',
      markdownTable(['model', 'layer', 'accuracy (%)', 'AUC'], r.verification.layers.map((v) => [v.model, v.layer, `${(100 * v.accuracy_mean).toFixed(2)} ± ${(100 * v.accuracy_std).toFixed(2)}`, v.auc.toFixed(4)])),
    );
  }
  await writeFile(files.markdown, md.join('\n') + '\n');
  await writeChart(ckaHeatmapSpec(r), files.heatmap.replace(/\.png$/, ''));
  await writeChart(ckaHeatmapSpec(r, 'ckaDebiased'), files.heatmapDebiased.replace(/\.png$/, ''));
  await writeProbeSummary(files.summary, 'compare', parameters, { ...r, files });
  return files;
}
