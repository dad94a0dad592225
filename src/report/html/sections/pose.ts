/** Pose (paper Sec. 3.6, Fig. 6): frontal/profile k-NN accuracy per layer. */
import type { ChartSpec } from '../../../figures/plot.js';
import type { PoseGroup, PoseSummary } from '../../../results/summaries.js';
import type { Assets } from '../assets.js';
import { pct } from '../escape.js';
import type { Results } from '../results.js';
import { table, type Section } from '../section.js';
import { poseYawSection, type YawSummary } from './pose-yaw.js';

export async function poseSection(res: Results, assets: Assets): Promise<Section> {
  const base = { id: 'pose', title: 'Pose: frontal vs profile per layer', paper: 'Sec. 3.6, Fig. 6' };
  const any = await res.json<{ command?: string }>('pose', 'summary.json');
  if (any?.command === 'yaw' && (any as YawSummary).layers?.length) return poseYawSection(any as YawSummary, assets, base);
  const s = any?.command === 'yaw' ? undefined : (any as PoseSummary | undefined);
  if (!s?.layers?.length) return { ...base, ...res.absence('pose', 'no pose/summary.json (run `facelens demo --cfp DIR` or `facelens pose DIR --out RESULTS/pose`)') };
  const L = s.layers;
  const order = L.map((l) => l.layer);
  const values = L.flatMap((l) => [
    { layer: l.layer, accuracy: l.pooled.nested_accuracy, estimate: 'nested CV (pooled)' },
    { layer: l.layer, accuracy: l.pooled.bestk_cv_accuracy, estimate: 'best-k CV (pooled)' },
    { layer: l.layer, accuracy: l.pooled.majority_baseline, estimate: 'majority baseline' },
  ]);
  const spec = {
    title: 'Frontal/profile k-NN accuracy per layer',
    width: 420,
    height: 220,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'layer', type: 'ordinal', sort: order, title: 'layer' },
      y: { field: 'accuracy', type: 'quantitative', title: 'accuracy', scale: { zero: false } },
      color: { field: 'estimate', type: 'nominal', title: 'estimate' },
    },
  } as ChartSpec;
  const chart = await assets.chart('pose-accuracy', spec, 'pose accuracy per layer', 560);
  const first = L[0]!, last = L[L.length - 1]!;
  const trend = last.pooled.nested_accuracy < first.pooled.nested_accuracy ? 'falls' : 'rises';
  const rows = L.map((l) => [l.layer, l.dims, pct(l.pooled.nested_accuracy), `${pct(l.pooled.bestk_cv_accuracy)} (k=${l.pooled.bestK})`, pct(l.pooled.majority_baseline)]);
  const p = s.parameters ?? {};
  return {
    ...base,
    status: 'ok',
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
    body: table(['layer', 'dims', 'nested CV', 'best-k CV', 'majority'], rows, 'pose') + chart,
  };
}
