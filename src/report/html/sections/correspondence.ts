/** Correspondence (paper Sec. 3.5, Table I): Delta of part occlusions vs random occlusions. */
import type { ChartSpec } from '../../../figures/plot.js';
import type { CorrespondenceSummary } from '../../../results/summaries.js';
import type { Assets } from '../assets.js';
import { num } from '../escape.js';
import type { Results } from '../results.js';
import { table, type Section } from '../section.js';

const PARTS = ['left_eye', 'right_eye', 'nose', 'mouth'];

export async function correspondenceSection(res: Results, assets: Assets): Promise<Section> {
  const base = { id: 'correspondence', title: 'Correspondence of face parts', paper: 'Sec. 3.5, Table I' };
  const s = await res.json<CorrespondenceSummary>('correspondence', 'summary.json');
  const rows = (s?.rows ?? []).filter((r) => !r.mask.includes('#'));
  if (!s || rows.length === 0) return { ...base, ...res.absence('correspondence', 'no correspondence/summary.json (run `facelens correspondence IMAGES --out DIR/correspondence`)') };
  const layers = rows[0]!.layers.map((c) => c.layer);
  const cell = (c: { delta_mean: number | null; delta_std: number | null }) => `${num(c.delta_mean)} ± ${num(c.delta_std)}`;
  const tbl = table(['occlusion', ...layers], rows.map((r) => [r.mask.replace('_', ' '), ...r.layers.map(cell)]), 'correspondence');
  const chartRows = rows.flatMap((r) => r.layers.flatMap((c) => (typeof c.delta_mean === 'number' ? [{ layer: c.layer, mask: r.mask, delta: c.delta_mean }] : [])));
  const spec = {
    title: 'Correspondence Delta per layer (lower = more consistent change)',
    width: 420,
    height: 220,
    data: { values: chartRows },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'layer', type: 'ordinal', sort: layers, title: 'layer' },
      y: { field: 'delta', type: 'quantitative', title: 'Delta (normalised Hamming)', scale: { zero: false } },
      color: { field: 'mask', type: 'nominal', title: 'occlusion', sort: [...PARTS, 'random'] },
      strokeDash: { condition: { test: "datum.mask === 'random'", value: [4, 3] }, value: [1, 0] },
    },
  } as ChartSpec;
  const chart = await assets.chart('correspondence-delta', spec, 'correspondence Delta per layer', 560);
  const sheet = (await res.files('correspondence')).includes('masked-faces.png')
    ? `<figure>${await assets.img('correspondence/masked-faces.png', 'each face with every mask', { maxWidth: 700 })}<figcaption>Each face with every mask (original, the four parts, the random draws).</figcaption></figure>`
    : '';
  // Reading at the last layer: parts vs random.
  const li = layers.length - 1;
  const at = (mask: string) => rows.find((r) => r.mask === mask)?.layers[li]?.delta_mean;
  const parts = PARTS.map((p) => at(p)).filter((v): v is number => typeof v === 'number');
  const rnd = at('random');
  let reading = `${rows.length} occlusion types at ${layers.length} layers.`;
  if (parts.length > 0 && typeof rnd === 'number') {
    const lo = Math.min(...parts), hi = Math.max(...parts);
    const cmp = hi < rnd ? 'below' : lo > rnd ? 'above' : 'around';
    reading = `at ${layers[li]}, part occlusions give Delta ${lo.toFixed(3)}-${hi.toFixed(3)}, ${cmp} random occlusions (${rnd.toFixed(3)})${cmp === 'below' ? ': the layer changes consistently when the same part is hidden, i.e. it encodes the parts in correspondence' : ''}.`;
  }
  const p = s.parameters ?? {};
  return {
    ...base,
    status: 'ok',
    reading,
    parameters: [
      ['model', p.model],
      ['faces', s.images?.length],
      ['mask', p.maskShape],
      ['fill', p.fill],
      ['random masks', `${p.randomMasks?.draws ?? '?'} draws, ${p.randomMasks?.placement ?? ''} placement, seed ${p.randomMasks?.seed ?? ''}`],
      ['Delta', p.delta],
      ['sign(0) rule', p.signZeroRule?.main],
    ],
    body: tbl + chart + sheet,
  };
}
