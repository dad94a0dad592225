/**
 * Invariance (paper Sec. IV-A "Feature invariance", Fig. 4): cosine distance to the untransformed
 * face per layer, plotted relative to the distance between different faces (the reading's unit),
 * with the between-face reference drawn at 1 and ± std error bars.
 */
import { CAPTION_FONT } from '../../../figures/contact-sheet.js';
import type { ChartSpec } from '../../../figures/plot.js';
import type { Assets } from '../assets.js';
import { esc } from '../escape.js';
import { mappingText, vggEquivalents } from '../paper.js';
import type { Results } from '../results.js';
import { explorer, figure, type Section } from '../section.js';
import type { InvarianceSummary as InvSummary } from '../../../results/summaries.js';


const TITLES: Record<string, string> = { translate_y: 'vertical translation (px)', rotate: 'in-plane rotation (deg)', scale: 'scale (x)' };
const IDENTITY: Record<string, number> = { translate_y: 0, rotate: 0, scale: 1 };

/** Per transform: the value farthest from identity, and each layer's distance there relative to the between-face distance. */
export function invarianceExtremes(s: InvSummary): { transform: string; value: number; unit: string; layers: { layer: string; relative: number }[] }[] {
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

/** Chart rows of one transform: relative distance (or raw when there is no reference) with ± std. */
export function invarianceRows(t: NonNullable<InvSummary['transforms']>[number], ref: Map<string, number>): { value: number; layer: string; y: number; lo: number; hi: number }[] {
  return t.layers.flatMap((l) => {
    const r = ref.size > 0 ? ref.get(l.layer) : 1;
    if (typeof r !== 'number' || !(r > 0)) return [];
    return t.values.flatMap((v, k) => {
      const m = l.mean[k];
      if (typeof m !== 'number') return [];
      const sd = typeof l.std?.[k] === 'number' ? (l.std[k] as number) : 0;
      return [{ value: v, layer: l.layer, y: m / r, lo: (m - sd) / r, hi: (m + sd) / r }];
    });
  });
}

export async function invarianceSection(res: Results, assets: Assets): Promise<Section> {
  const base = { id: 'invariance', title: 'Invariance to translation, rotation and scale', paper: 'paper Sec. IV-A (feature invariance), Fig. 4' };
  const s = await res.json<InvSummary>('invariance', 'summary.json');
  if (!s?.transforms?.length) return { ...base, ...res.absence('invariance', 'no invariance/summary.json (run `facelens invariance IMAGES --out DIR/invariance`)') };
  const order = s.parameters?.layers ?? res.layerOrder;
  const ref = new Map<string, number>();
  for (const r of s.betweenImages ?? []) if (typeof r.mean === 'number' && r.mean > 0) ref.set(r.layer, r.mean);
  const relative = ref.size > 0;
  const yTitle = relative ? 'distance / between-face distance' : 'cosine distance';
  const charts: string[] = [];
  const nImg = s.images?.length ?? 0;
  for (const t of s.transforms) {
    const rows = invarianceRows(t, ref);
    const x = { field: 'value', type: 'quantitative', title: TITLES[t.transform] ?? `${t.transform} (${t.unit})`, scale: { zero: false } };
    const colour = { field: 'layer', type: 'nominal', title: 'layer', sort: order, legend: { orient: 'bottom', columns: 3 } };
    const layers: unknown[] = [
      { mark: { type: 'rule', strokeDash: [5, 4], color: '#555' }, data: { values: [{ y: 1 }] }, encoding: { y: { field: 'y', type: 'quantitative' } } },
      {
        mark: { type: 'text', align: 'right', baseline: 'bottom', dx: -2, dy: -2, color: '#333' },
        data: { values: [{ y: 1, label: 'between faces' }] },
        encoding: { y: { field: 'y', type: 'quantitative' }, x: { value: 230 }, text: { field: 'label' } },
      },
      { mark: { type: 'errorbar', ticks: { width: 4 }, opacity: 0.6 }, encoding: { x, y: { field: 'lo', type: 'quantitative', title: yTitle }, y2: { field: 'hi' }, color: colour } },
      { mark: { type: 'line', point: true }, encoding: { x, y: { field: 'y', type: 'quantitative', title: yTitle }, color: colour } },
    ];
    const spec = {
      title: { text: TITLES[t.transform] ?? t.transform, subtitle: `mean ± std over ${nImg} faces` },
      width: 230,
      height: 200,
      data: { values: rows },
      layer: relative ? layers : layers.slice(2),
    } as ChartSpec;
    charts.push(
      figure(
        await assets.chart(`invariance-${t.transform}`, spec, `invariance chart: ${t.transform}`),
        esc(`${TITLES[t.transform] ?? t.transform}: ${relative ? 'distance to the untransformed face divided by the mean distance between different faces at the same layer' : 'cosine distance to the untransformed face'}.`),
        [['SVG', assets.href(`report/invariance-${t.transform}.svg`)]],
      ),
    );
  }
  const files = await res.files('invariance');
  const examples = files.includes('examples.png')
    ? figure(await assets.img('invariance/examples.png', 'the first face under every transform', { textPx: CAPTION_FONT, zoom: true }), 'The first face under every transform (one row per transform); click to enlarge.')
    : '';
  const ext = invarianceExtremes(s);
  const reading = ext
    .filter((e) => e.layers.length >= 2)
    .map((e) => {
      const a = e.layers[0]!, b = e.layers[e.layers.length - 1]!;
      const peak = e.layers.reduce((p, q) => (q.relative > p.relative ? q : p));
      return `${e.transform} ${e.value}${e.unit}: ${a.layer} ${a.relative.toFixed(2)} → ${b.layer} ${b.relative.toFixed(2)} (least invariant: ${peak.layer} ${peak.relative.toFixed(2)})`;
    })
    .join('; ');
  // Agreement: the paper finds the middle layer least robust, the lowest and highest more robust, and fc7 not invariant to rotation.
  const vgg = vggEquivalents(res.geometryOf(order), res.inputSide || 1);
  const mids = ext.flatMap((e) => {
    if (e.layers.length < 3) return [];
    const peak = e.layers.reduce((p, q) => (q.relative > p.relative ? q : p));
    const i = e.layers.indexOf(peak);
    return [{ t: e.transform, middle: i > 0 && i < e.layers.length - 1, peak: peak.layer }];
  });
  const agreeing = mids.filter((m) => m.middle).length;
  const agreement =
    mids.length === 0
      ? 'too few layers with a between-face reference to compare.'
      : `${agreeing} of ${mids.length} transforms peak at an intermediate layer (${mids.map((m) => `${m.t}: ${m.peak}${vgg.get(m.peak) ? ` ≈ ${vgg.get(m.peak)}` : ''}`).join(', ')}); the paper's finding that an intermediate layer (its pool3) is the least invariant ${agreeing === mids.length ? 'is reproduced' : agreeing > 0 ? 'is partly reproduced' : 'is not reproduced'}. With ${nImg} faces the curves are noisy; compare the error bars.`;
  const p = s.parameters ?? {};
  return {
    ...base,
    status: 'ok',
    what: `${nImg} aligned faces were shifted vertically, rotated and scaled over the ranges below; at every probe layer the cosine distance between the transformed and the untransformed face's features was averaged over the faces. The between-face reference is the mean cosine distance between different (untransformed) faces at that layer.`,
    howToRead: relative
      ? 'Each curve is one layer. y = 0: the feature does not change; y = 1 (dashed line): the transform moves the feature as far as replacing the face by another person. Lower = more invariant. Bars: ± one standard deviation over the faces, in the same units.'
      : 'Each curve is one layer; lower = more invariant. No between-face reference was recorded, so the distances are raw and not comparable across layers.',
    reading: reading
      ? `distance at the largest transform as a fraction of the between-face distance (lower = more invariant): ${reading}.`
      : 'curves below (no between-face reference to normalise by).',
    paperHtml: `VGGFace, 5 faces, layers pool1, pool3, pool5, fc7: small transforms affect the middle layer (pool3) most, the lower (pool1) and higher layers (pool5, fc7) less, unlike the common view that invariance grows with depth; fc7 is fairly stable to translation and scale but not to rotation. Layer mapping (by receptive field and depth): ${esc(mappingText(res.geometryOf(order), res.inputSide || 1))}.`,
    agreement,
    parameters: [
      ['model', p.model],
      ['faces', s.images?.map((i) => i.id).join(', ')],
      ...Object.entries(p.transforms ?? {}).map(([k, v]) => [k, `${v.values[0]}..${v.values[v.values.length - 1]} ${v.unit} (${v.values.length} values)`] as [string, unknown]),
      ['applied to', p.appliedTo],
      ['border', p.borderFill],
      ['distance', p.distance],
    ],
    body: `<div class="row3">${charts.join('')}</div>${examples}`,
    links: [
      ['summary.json', 'invariance/summary.json'],
      ...files.filter((f) => /\.(csv|md)$/.test(f)).map((f): [string, string] => [f, `invariance/${f}`]),
      ['explorer page', explorer.probe('invariance')],
    ],
  };
}
