/** Invariance (paper Sec. 3.3, Fig. 4): distance to the untransformed face per layer. */
import { lineChart } from '../../../figures/plot.js';
import type { InvarianceSummary } from '../../../results/summaries.js';
import type { Assets } from '../assets.js';
import type { Results } from '../results.js';
import type { Section } from '../section.js';

const TITLES: Record<string, string> = { translate_y: 'vertical translation (px)', rotate: 'in-plane rotation (deg)', scale: 'scale (x)' };
const IDENTITY: Record<string, number> = { translate_y: 0, rotate: 0, scale: 1 };

/** Per transform: the value farthest from identity, and each layer's distance there relative to the between-face distance. */
export function invarianceExtremes(s: InvarianceSummary): { transform: string; value: number; unit: string; layers: { layer: string; relative: number }[] }[] {
  const ref = new Map((s.betweenImages ?? []).map((r) => [r.layer, r.mean]));
  return (s.transforms ?? []).map((t) => {
    const id = IDENTITY[t.transform] ?? 0;
    let k = 0;
    t.values.forEach((v, i) => {
      if (Math.abs(v - id) > Math.abs(t.values[k]! - id)) k = i;
    });
    const layers = t.layers.flatMap((l) => {
      const m = l.mean[k];
      const r = ref.get(l.layer);
      return typeof m === 'number' && typeof r === 'number' && r > 0 ? [{ layer: l.layer, relative: m / r }] : [];
    });
    return { transform: t.transform, value: t.values[k]!, unit: t.unit, layers };
  });
}

export async function invarianceSection(res: Results, assets: Assets): Promise<Section> {
  const base = { id: 'invariance', title: 'Invariance to translation, rotation and scale', paper: 'Sec. 3.3, Fig. 4' };
  const s = await res.json<InvarianceSummary>('invariance', 'summary.json');
  if (!s?.transforms?.length) return { ...base, ...res.absence('invariance', 'no invariance/summary.json (run `facelens invariance IMAGES --out DIR/invariance`)') };
  const order = s.parameters?.layers ?? res.layerOrder;
  const charts: string[] = [];
  for (const t of s.transforms) {
    const rows = t.layers.flatMap((l) => t.values.flatMap((v, k) => (typeof l.mean[k] === 'number' ? [{ value: v, layer: l.layer, distance: l.mean[k] as number }] : [])));
    charts.push(
      await assets.chart(
        `invariance-${t.transform}`,
        lineChart({
          title: `${TITLES[t.transform] ?? t.transform}: mean cosine distance to the original (${s.images?.length ?? '?'} faces)`,
          rows,
          x: { field: 'value', title: TITLES[t.transform] ?? `${t.transform} (${t.unit})` },
          y: { field: 'distance', title: 'cosine distance' },
          series: { field: 'layer', title: 'layer', sort: order },
          width: 300,
          height: 200,
        }),
        `invariance chart: ${t.transform}`,
        460,
      ),
    );
  }
  const examples = (await res.files('invariance')).includes('examples.png')
    ? `<figure>${await assets.img('invariance/examples.png', 'the first face under every transform', { maxWidth: 900 })}<figcaption>The first face under every transform (one row per transform).</figcaption></figure>`
    : '';
  const ext = invarianceExtremes(s);
  const reading = ext
    .filter((e) => e.layers.length >= 2)
    .map((e) => {
      const a = e.layers[0]!, b = e.layers[e.layers.length - 1]!;
      return `${e.transform} ${e.value}${e.unit}: ${a.layer} ${a.relative.toFixed(2)} → ${b.layer} ${b.relative.toFixed(2)}`;
    })
    .join('; ');
  const p = s.parameters ?? {};
  return {
    ...base,
    status: 'ok',
    reading: reading
      ? `distance at the largest transform as a fraction of the distance between different faces (lower = more invariant): ${reading}.`
      : 'curves below (no between-face reference to normalise by).',
    parameters: [
      ['model', p.model],
      ['faces', s.images?.map((i) => i.id).join(', ')],
      ...Object.entries(p.transforms ?? {}).map(([k, v]) => [k, `${v.values[0]}..${v.values[v.values.length - 1]} ${v.unit} (${v.values.length} values)`] as [string, unknown]),
      ['applied to', p.appliedTo],
      ['border', p.borderFill],
      ['distance', p.distance],
    ],
    body: `<div class="row">${charts.join('')}</div>${examples}`,
  };
}
