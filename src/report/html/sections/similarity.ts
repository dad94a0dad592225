/** Neuron similarity (paper Sec. 3.8, eq. 2, Fig. 8): heatmaps per layer. */
import type { SimilaritySummary } from '../../../results/summaries.js';
import type { Assets } from '../assets.js';
import { esc, num } from '../escape.js';
import type { Results } from '../results.js';
import { table, type Section } from '../section.js';

export async function similaritySection(res: Results, assets: Assets): Promise<Section> {
  const base = { id: 'similarity', title: 'Neuron similarity', paper: 'Sec. 3.8, eq. 2, Fig. 8, Table III' };
  const found: { layer: string; s: SimilaritySummary }[] = [];
  for (const layer of await res.layersIn('similarity')) {
    const s = await res.json<SimilaritySummary>('similarity', layer, 'summary.json');
    if (s) found.push({ layer, s });
  }
  if (found.length === 0) return { ...base, ...res.absence('similarity', 'no similarity/<layer>/summary.json (run `facelens similarity --sweep DIR/sweep --layer L --out DIR/similarity/L`)') };
  const rows = found.map(({ layer, s }) => [
    layer,
    s.neurons ?? '—',
    num(s.meanOffDiagonal),
    (s.redundant ?? []).slice(0, 3).map((p) => `${p.i}~${p.j} (${num(p.s, 2)})`).join(', '),
    (s.independent ?? []).slice(0, 3).map((p) => `${p.neuron} (${num(p.meanSimilarity, 2)})`).join(', '),
    s.dead?.length ?? 0,
  ]);
  const maps: string[] = [];
  for (const { layer } of found) {
    maps.push(`<figure class="heatmap">${await assets.img(`similarity/${layer}/${layer}.similarity.png`, `similarity heatmap of ${layer}`, { maxWidth: 300 })}<figcaption>${esc(layer)}</figcaption></figure>`);
  }
  const first = found[0]!, last = found[found.length - 1]!;
  const p = first.s.parameters ?? {};
  // Eq. 2 assumes non-negative projection values (post-ReLU); a layer with signed units gives S outside [0, 1].
  const signed = found.filter(({ s }) => (s.redundant ?? []).some((x) => x.s > 1 + 1e-6 || x.s < 0) || (s.independent ?? []).some((x) => x.meanSimilarity < 0)).map((f) => f.layer);
  const caveat = signed.length > 0 ? ` S leaves [0, 1] at ${signed.join(', ')}: those units take negative values (no ReLU), where eq. 2 is not a similarity.` : '';
  return {
    ...base,
    status: 'ok',
    reading:
      found.length > 1
        ? `mean off-diagonal similarity goes from ${num(first.s.meanOffDiagonal)} at ${first.layer} to ${num(last.s.meanOffDiagonal)} at ${last.layer} (top-${first.s.n ?? '?'} sets of ${first.s.images ?? '?'} images; the fewer the images, the more the top sets overlap and the higher S).${caveat}`
        : `mean off-diagonal similarity ${num(first.s.meanOffDiagonal)} at ${first.layer}.${caveat}`,
    parameters: [
      ['model', p.model],
      ['top-n', p.n],
      ['formula', p.formula],
      ['ordering', p.ordering],
      ['zero denominators', p.zeroDenominatorRule],
    ],
    body: table(['layer', 'neurons', 'mean S (off-diagonal)', 'most redundant pairs', 'most independent', 'dead'], rows, 'similarity') + `<div class="row">${maps.join('')}</div>`,
  };
}
