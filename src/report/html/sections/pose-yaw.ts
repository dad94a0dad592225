/** Pose without CFP (the yaw probe's summary in pose/): how much head yaw / pitch each layer carries. */
import type { YawSummary } from '../../../results/summaries.js';
import type { ChartSpec } from '../../../figures/plot.js';
import type { Assets } from '../assets.js';
import { esc, num, pct } from '../escape.js';
import type { Results } from '../results.js';
import { explorer, figure, table, type Section } from '../section.js';

export async function poseYawSection(s: YawSummary, assets: Assets, base: { id: string; title: string; paper: string }): Promise<Section> {
  const L = s.layers ?? [];
  const order = L.map((l) => l.layer);
  const values = L.flatMap((l) => [
    { layer: l.layer, value: l.yaw.nested.r2, measure: 'yaw R²' },
    { layer: l.layer, value: l.pitch.nested.r2, measure: 'pitch R²' },
    ...(typeof l.frontalTurned === 'object' ? [{ layer: l.layer, value: l.frontalTurned.nested_accuracy, measure: 'frontal/turned accuracy' }] : []),
  ]).filter((v) => Number.isFinite(v.value));
  const spec = {
    title: 'Head pose carried per layer (k-NN, nested CV)',
    width: 420,
    height: 220,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'layer', type: 'ordinal', sort: order, title: 'layer', axis: { labelAngle: -40 } },
      y: { field: 'value', type: 'quantitative', title: 'R² / accuracy', scale: { zero: false } },
      color: { field: 'measure', type: 'nominal', title: null, legend: { orient: 'bottom', labelLimit: 400 } },
    },
  } as ChartSpec;
  const chart = figure(await assets.chart('pose-yaw', spec, 'yaw R² per layer'), esc('k-NN estimates per layer (nested cross-validation): R² of yaw and pitch regression, and frontal/turned accuracy.'), [['SVG', assets.href('report/pose-yaw.svg')]]);
  const first = L[0]!, last = L[L.length - 1]!;
  const ft = L.find((l) => typeof l.frontalTurned === 'string')?.frontalTurned;
  const rows = L.map((l) => [
    l.layer,
    l.dims,
    num(l.yaw.nested.r2),
    num(l.yaw.nested.mae, 1),
    num(l.pitch.nested.r2),
    typeof l.frontalTurned === 'object' ? pct(l.frontalTurned.nested_accuracy) : '—',
    typeof l.frontalTurned === 'object' ? pct(l.frontalTurned.majority_baseline) : '—',
  ]);
  const p = s.parameters ?? {};
  const y = s.yawStats;
  return {
    ...base,
    title: 'Pose: head yaw per layer (no CFP given: yaw from landmarks)',
    status: 'ok',
    what: `No CFP folder was given, so head yaw and pitch were estimated from the landmarks of ${s.faces ?? '?'} faces and predicted from each layer's features by k-NN regression (and frontal vs turned by k-NN classification), with nested cross-validation.`,
    howToRead: 'Higher R² / accuracy = the layer keeps more head-pose information; a pose-robust layer would be near 0 R² and the majority baseline.',
    paperHtml: 'VGGFace, 10 CFP-like identities, frontal vs profile k-NN (Fig. 6): pose information rises from pool1 to pool4, falls from pool4 to fc7, and rises a little at fc8.',
    links: [['summary.json', 'pose/summary.json'], ['explorer page', explorer.probe('pose')]],
    reading: `k-NN regression of yaw: R² ${num(first.yaw.nested.r2, 2)} at ${first.layer}, ${num(last.yaw.nested.r2, 2)} at ${last.layer} (${s.faces ?? '?'} faces, median |yaw| ${num(y?.median_abs, 1)}°)${
      last.yaw.nested.r2 < first.yaw.nested.r2 ? ': higher layers keep less pose information' : ''
    }.${typeof ft === 'string' ? ` Frontal/turned not evaluated: ${ft}.` : ''}`,
    parameters: [
      ['model', p.model],
      ['dataset', p.dataset?.root],
      ['head pose', p.headPose],
      ['faces', `${s.faces ?? '?'} (${y?.frontal ?? '?'} frontal ${p.frontal ?? ''}, ${y?.turned ?? '?'} turned ${p.turned ?? ''}, ${y?.between ?? '?'} between)`],
      ['metric', p.metric],
      ['k candidates', p.ks?.join(', ')],
      ['folds', p.folds],
      ['seed', p.seed],
    ],
    body: `<div class="table-wrap">${table(['layer', 'dims', 'yaw R²', 'yaw MAE (°)', 'pitch R²', 'frontal/turned', 'majority'], rows, 'pose')}</div>${chart}`,
  };
}
