/** Pose (paper Sec. IV-A "How to deal with pose", Fig. 6): frontal/profile k-NN accuracy per layer. */
import type { ChartSpec } from '../../../figures/plot.js';
import type { Assets } from '../assets.js';
import type { PoseSummary, YawSummary } from '../../../results/summaries.js';
import { esc, pct } from '../escape.js';
import { vggEquivalents } from '../paper.js';
import type { Results } from '../results.js';
import { explorer, figure, table, type Section } from '../section.js';
import { poseYawSection } from './pose-yaw.js';

export async function poseSection(res: Results, assets: Assets): Promise<Section> {
  const base = { id: 'pose', title: 'Pose: frontal vs profile per layer', paper: 'paper Sec. IV-A (how to deal with pose), Fig. 6' };
  const any = await res.json<{ command?: string }>('pose', 'summary.json');
  if (any?.command === 'yaw' && (any as YawSummary).layers?.length) return poseYawSection(any as YawSummary, assets, base);
  const s = any?.command === 'yaw' ? undefined : (any as PoseSummary | undefined);
  if (!s?.layers?.length) return { ...base, ...res.absence('pose', 'no pose/summary.json (run `facelens demo --cfp DIR` or `facelens pose DIR --out RESULTS/pose`)') };
  const L = s.layers;
  const order = L.map((l) => l.layer);
  // Spread over identities: mean ± std of the per-identity nested accuracy.
  const perId = (l: PoseSummary['layers'] extends (infer T)[] | undefined ? T : never) => {
    const a = (l.identities ?? []).map((g) => g.nested_accuracy).filter((v) => Number.isFinite(v));
    if (a.length === 0) return undefined;
    const m = a.reduce((x, y) => x + y, 0) / a.length;
    return { m, sd: Math.sqrt(a.reduce((x, y) => x + (y - m) ** 2, 0) / a.length), n: a.length };
  };
  const values = L.flatMap((l) => {
    const g = perId(l);
    return [
      { layer: l.layer, accuracy: l.pooled.nested_accuracy, estimate: 'nested CV (pooled)', lo: null, hi: null },
      { layer: l.layer, accuracy: l.pooled.majority_baseline, estimate: 'majority baseline', lo: null, hi: null },
      ...(g ? [{ layer: l.layer, accuracy: g.m, estimate: `per identity (mean ± std, ${g.n} ids)`, lo: g.m - g.sd, hi: g.m + g.sd }] : []),
    ];
  });
  const x = { field: 'layer', type: 'ordinal', sort: order, title: 'layer', axis: { labelAngle: -40 } };
  const colour = { field: 'estimate', type: 'nominal', title: null, legend: { orient: 'bottom', labelLimit: 400 } };
  const spec = {
    title: 'Frontal/profile k-NN accuracy per layer',
    width: 440,
    height: 240,
    data: { values },
    layer: [
      { transform: [{ filter: 'isValid(datum.lo)' }], mark: { type: 'errorbar', ticks: { width: 6 } }, encoding: { x, y: { field: 'lo', type: 'quantitative', title: 'accuracy' }, y2: { field: 'hi' }, color: colour } },
      { mark: { type: 'line', point: true }, encoding: { x, y: { field: 'accuracy', type: 'quantitative', title: 'accuracy', axis: { format: '.0%' }, scale: { zero: false } }, color: colour } },
    ],
  } as ChartSpec;
  const chart = figure(await assets.chart('pose-accuracy', spec, 'pose accuracy per layer'), esc('k-NN frontal/profile accuracy: pooled over identities (nested cross-validation), and per identity with ± std bars; the majority baseline is what guessing the commoner pose gives.'), [['SVG', assets.href('report/pose-accuracy.svg')]]);
  const peak = L.reduce((a, b) => (b.pooled.nested_accuracy > a.pooled.nested_accuracy ? b : a));
  const pi = L.indexOf(peak);
  const vgg = vggEquivalents(res.geometryOf(order), res.inputSide || 1);
  const files = await res.files('pose');
  const first = L[0]!, last = L[L.length - 1]!;
  const trend = last.pooled.nested_accuracy < first.pooled.nested_accuracy ? 'falls' : 'rises';
  const rows = L.map((l) => [l.layer, l.dims, pct(l.pooled.nested_accuracy), `${pct(l.pooled.bestk_cv_accuracy)} (k=${l.pooled.bestK})`, pct(l.pooled.majority_baseline)]);
  const p = s.parameters ?? {};
  return {
    ...base,
    status: 'ok',
    what: `Frontal and profile photos of ${s.identities?.length ?? '?'} CFP identities (${s.images ?? '?'} images) were classified frontal vs profile by k-NN on each layer's features, k chosen by cross-validation (nested, so the reported accuracy is not tuned on its own test folds).`,
    howToRead: 'Higher = the layer keeps more information about pose; the majority baseline is chance level. A layer robust to pose would be near the baseline.',
    paperHtml: 'VGGFace, 10 identities with ~30 frontal + ~30 profile images each (Fig. 6): accuracy rises from pool1 to pool4, falls from pool4 to fc7, and rises a little at fc8; VGGFace2 drops more at high layers (more pose-robust).',
    agreement: `the accuracy peaks at ${peak.layer}${vgg.get(peak.layer) ? ` (≈ ${vgg.get(peak.layer)})` : ''}${pi > 0 && pi < L.length - 1 ? ', an intermediate layer, and falls after it: the paper\'s rise-then-fall' : pi === L.length - 1 ? ', the last layer: the paper\'s fall at high layers is not seen' : ', the first layer: unlike the paper'}.`,
    links: [['summary.json', 'pose/summary.json'], ...files.filter((f) => /\.(csv|md)$/.test(f)).map((f): [string, string] => [f, `pose/${f}`]), ['explorer page', explorer.probe('pose')]],
    reading: `pooled nested-CV accuracy ${trend} from ${pct(first.pooled.nested_accuracy)} at ${first.layer} to ${pct(last.pooled.nested_accuracy)} at ${last.layer} (majority baseline ${pct(first.pooled.majority_baseline)})${trend === 'falls' ? ': higher layers keep less pose information' : ''}.`,
    parameters: [
      ['model', p.model],
      ['dataset', p.dataset?.root],
      ['identities', `${p.identityFilter ?? ''} (${s.identities?.length ?? '?'} used, ${s.images ?? '?'} images)`],
      ['metric', p.metric],
      ['k candidates', p.ks?.join(', ')],
      ['folds', p.folds],
      ['seed', p.seed],
    ],
    body: `<div class="table-wrap">${table(['layer', 'dims', 'nested CV', 'best-k CV', 'majority'], rows, 'pose')}</div>${chart}`,
  };
}
