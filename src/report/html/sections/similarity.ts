/**
 * Neuron similarity (paper Sec. IV-B, eq. 2, Fig. 8, Table III): one heatmap per layer with
 * neuron-id ticks and a labelled colour bar. Eq. 2 is a ratio of sums of activations; it is a
 * similarity in [0, 1] only for non-negative activations (post-ReLU). A layer where S leaves
 * [0, 1] (signed units: embeddings, pre-activation convolutions) is shown as undefined: its
 * out-of-range cells are grey and its pairs are not ranked.
 */
import { readNpy } from '../../../io/npy.js';
import { heatmapCells, heatmapSvg } from '../../../figures/heatmap.js';
import type { Assets } from '../assets.js';
import { inlineSvg } from '../assets.js';
import { esc, num } from '../escape.js';
import { TABLE_III, vggEquivalents } from '../paper.js';
import type { Results } from '../results.js';
import { explorer, figure, table, type Section } from '../section.js';
import type { SimilaritySummary as SimSummary } from '../../../results/summaries.js';


/** Off-diagonal entries of S outside [0, 1] (NaN counts as outside). */
export function outsideUnitRange(S: ArrayLike<number>, n: number): { outside: number; total: number } {
  let outside = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      const v = S[i * n + j];
      if (!(v >= -1e-9 && v <= 1 + 1e-9)) outside++;
    }
  return { outside, total: n * (n - 1) };
}

export async function similaritySection(res: Results, assets: Assets): Promise<Section> {
  const base = { id: 'similarity', title: 'Neuron similarity', paper: 'paper Sec. IV-B, eq. 2, Fig. 8, Table III' };
  const found: { layer: string; s: SimSummary }[] = [];
  for (const layer of await res.layersIn('similarity')) {
    const s = await res.json<SimSummary>('similarity', layer, 'summary.json');
    if (s) found.push({ layer, s });
  }
  if (found.length === 0) return { ...base, ...res.absence('similarity', 'no similarity/<layer>/summary.json (run `facelens similarity --sweep DIR/sweep --layer L --out DIR/similarity/L`)') };
  const rows: (string | number | { html: string })[][] = [];
  const maps: string[] = [];
  const defined: { layer: string; s: SimSummary }[] = [];
  const undefinedLayers: string[] = [];
  for (const { layer, s } of found) {
    const npy = `similarity/${layer}/${layer}.similarity.npy`;
    let matrix: { data: ArrayLike<number>; n: number } | undefined;
    try {
      const m = await readNpy(res.path(...npy.split('/')));
      if (m.shape.length === 2 && m.shape[0] === m.shape[1]) matrix = { data: m.data, n: m.shape[0]! };
    } catch {
      matrix = undefined;
    }
    // Without the matrix, fall back on the summary's extremes to detect S outside [0, 1].
    const out = matrix
      ? outsideUnitRange(matrix.data, matrix.n)
      : { outside: (s.redundant ?? []).some((x) => x.s > 1 + 1e-6 || x.s < 0) || (s.independent ?? []).some((x) => x.meanSimilarity < 0) ? 1 : 0, total: 1 };
    const isDefined = out.outside === 0;
    if (isDefined) defined.push({ layer, s });
    else undefinedLayers.push(layer);
    const nl = (k: number) => `<a href="${esc(explorer.neuron(layer, k))}">#${k}</a>`;
    rows.push([
      layer,
      s.neurons ?? '—',
      isDefined ? num(s.meanOffDiagonal) : { html: '<span class="undef">undefined</span>' },
      isDefined ? { html: (s.redundant ?? []).slice(0, 3).map((p) => `${nl(p.i)}~${nl(p.j)} (${num(p.s, 2)})`).join(', ') || '—' } : { html: `<span class="undef">not ranked: ${(100 * out.outside / out.total).toFixed(0)}% of S outside [0, 1]</span>` },
      isDefined ? { html: (s.independent ?? []).slice(0, 3).map((p) => `${nl(p.neuron)} (${num(p.meanSimilarity, 2)})`).join(', ') || '—' } : { html: '<span class="undef">not ranked</span>' },
      s.dead?.length ?? 0,
    ]);
    if (matrix) {
      const order = s.order?.length === matrix.n ? s.order : undefined;
      const cells = await heatmapCells(matrix.data, matrix.n, { order, min: 0, max: 1, outsideUndefined: true });
      const href = await assets.generated(`similarity-${layer}`, cells.png);
      const svg = heatmapSvg(matrix.n, href, { order, side: 220, barTitle: 'S (eq. 2)', title: `${layer} (${matrix.n} neurons)`, outsideUndefined: true });
      const note = isDefined ? '' : ` Grey: ${cells.undefinedCells} cells where S is outside [0, 1] (eq. 2 undefined for signed units).`;
      maps.push(
        figure(inlineSvg(svg, `similarity heatmap of ${layer}`), esc(`${layer}: S between every pair of neurons, rows and columns in clustered order.${note}`), [
          ['matrix (NPY)', assets.href(npy)],
          ['summary.json', assets.href(`similarity/${layer}/summary.json`)],
          ['explorer: click cells', explorer.similarity(layer)],
        ], 'heat'),
      );
    } else {
      maps.push(
        figure(await assets.img(`similarity/${layer}/${layer}.similarity.png`, `similarity heatmap of ${layer}`, { textPx: 11, encode: 'lossless' }), esc(`${layer} (no matrix file; the PNG written by the analysis)`), [
          ['explorer', explorer.similarity(layer)],
        ]),
      );
    }
  }
  const p = found[0]!.s.parameters ?? {};
  const first = defined[0], last = defined[defined.length - 1];
  let reading =
    first && last && first !== last
      ? `where eq. 2 is defined, mean off-diagonal S goes from ${num(first.s.meanOffDiagonal)} at ${first.layer} to ${num(last.s.meanOffDiagonal)} at ${last.layer} (top-${first.s.n ?? '?'} sets of ${first.s.images ?? '?'} images; the fewer the images, the more the top sets overlap and the higher S).`
      : first
        ? `mean off-diagonal S ${num(first.s.meanOffDiagonal)} at ${first.layer}.`
        : 'eq. 2 is undefined at every layer shown.';
  if (undefinedLayers.length > 0) reading += ` Undefined (S outside [0, 1], units take negative values, no ReLU): ${undefinedLayers.join(', ')}; their pairs are not ranked.`;
  const images = found[0]!.s.images ?? 0;
  const nTop = found[0]!.s.n ?? 0;
  if (images > 0 && nTop > 0 && nTop / images > 0.3) reading += ` Note: top-${nTop} of only ${images} images is ${(100 * nTop / images).toFixed(0)}% of the data, so top sets overlap by construction and S is high everywhere.`;
  const vgg = vggEquivalents(res.geometryOf(found.map((f) => f.layer)), res.inputSide || 1);
  const pool5like = defined.filter((d) => vgg.get(d.layer) === 'pool5').map((d) => d.layer);
  const agreement = pool5like.length
    ? `compare ${pool5like.join(', ')} (≈ pool5): mean off-diagonal S ${pool5like.map((l) => num(defined.find((d) => d.layer === l)!.s.meanOffDiagonal)).join(', ')} vs at most ${TABLE_III.max} among the paper's four neurons; ${images < 1000 ? `with ${images} images instead of the paper's 5,000 the values are not comparable in size, only in pattern (blocks of redundant neurons, rows of independent ones).` : 'the patterns (blocks, independent rows) are comparable.'}`
    : 'no pool5-like layer with a defined S to compare.';
  return {
    ...base,
    status: 'ok',
    what: `For every pair of neurons i, j of a layer, eq. 2 compares their top-n image sets: S_ij = ½ (Σ_{x∈C_j} N_i(x) / Σ_{x∈C_i} N_i(x) + Σ_{x∈C_i} N_j(x) / Σ_{x∈C_j} N_j(x)), with C_i the top-${nTop || 'n'} images of neuron i and N_i(x) its projection value (max over positions). Rows and columns are reordered by hierarchical clustering.`,
    howToRead: 'Bright (yellow) = the two neurons fire on the same images (redundant); dark (purple) = independent. Bright blocks on the diagonal are groups of redundant neurons; dark rows are neurons unlike all others. Grey = undefined (S outside [0, 1]). Hover or click cells in the explorer to open the neurons.',
    reading,
    paperHtml: `VGGFace pool5 with n = 50 over 5,000 images (Fig. 8): a degree of redundancy (bright blocks) and some independent neurons (dark rows). Table III: among the four neurons of Fig. 7, S is ${TABLE_III.values.join(', ')} (all low except S<sub>233,243</sub> = 0.1509).`,
    agreement,
    parameters: [
      ['model', p.model],
      ['top-n', p.n],
      ['formula', p.formula],
      ['ordering', p.ordering],
      ['zero denominators', p.zeroDenominatorRule],
    ],
    body: `<div class="table-wrap">${table(['layer', 'neurons', 'mean S (off-diagonal)', 'most redundant pairs', 'most independent', 'dead'], rows, 'similarity')}</div><div class="row">${maps.join('')}</div>`,
    links: found.map(({ layer }): [string, string] => [`${layer} summary`, `similarity/${layer}/summary.json`]),
  };
}
