/** Discrimination (paper Sec. 3.4, Table II): per-layer verification accuracy. */
import type { ChartSpec } from '../../../figures/plot.js';
import type { VerifySummary } from '../../../results/summaries.js';
import type { Assets } from '../assets.js';
import { num, pct } from '../escape.js';
import type { Results } from '../results.js';
import { table, type Section } from '../section.js';

export async function discriminationSection(res: Results, assets: Assets): Promise<Section> {
  const base = { id: 'discrimination', title: 'Discrimination: verification accuracy per layer', paper: 'Sec. 3.4, Table II' };
  const s = await res.json<VerifySummary>('verify', 'summary.json');
  if (!s?.layers?.length) return { ...base, ...res.absence('verify', 'no verify/summary.json (run `facelens demo --lfw DIR` or `facelens verify DIR --out RESULTS/verify`)') };
  const L = s.layers;
  const best = L.reduce((a, b) => (b.accuracy_mean > a.accuracy_mean ? b : a));
  const first = L[0]!, last = L[L.length - 1]!;
  const trend = last.accuracy_mean >= first.accuracy_mean ? 'rises' : 'falls';
  const rows = L.map((l) => [l.layer, l.dims, `${pct(l.accuracy_mean, 2)} ± ${pct(l.accuracy_std, 2)}`, num(l.auc, 4), num(l['tar_at_far_1e-3'], 4)]);
  const spec = {
    title: 'Verification accuracy per layer (mean ± std over folds)',
    width: 420,
    height: 220,
    data: { values: L.map((l) => ({ layer: l.layer, accuracy: l.accuracy_mean, lo: l.accuracy_mean - l.accuracy_std, hi: l.accuracy_mean + l.accuracy_std, series: 'k-fold accuracy' })) },
    layer: [
      { mark: { type: 'line', point: true }, encoding: { x: { field: 'layer', type: 'ordinal', sort: L.map((l) => l.layer), title: 'layer' }, y: { field: 'accuracy', type: 'quantitative', title: 'accuracy', scale: { zero: false } }, color: { field: 'series', type: 'nominal', title: 'metric' } } },
      { mark: 'errorbar', encoding: { x: { field: 'layer', type: 'ordinal', sort: L.map((l) => l.layer) }, y: { field: 'lo', type: 'quantitative', title: 'accuracy' }, y2: { field: 'hi' } } },
    ],
  } as ChartSpec;
  const chart = await assets.chart('verify-accuracy', spec, 'verification accuracy per layer', 560);
  const roc = (await res.files('verify')).includes('roc.png') ? await assets.img('verify/roc.png', 'ROC per layer', { maxWidth: 560, density: 2 }) : '';
  const p = s.parameters ?? {};
  return {
    ...base,
    status: 'ok',
    reading: `accuracy ${trend} from ${pct(first.accuracy_mean)} at ${first.layer} to ${pct(last.accuracy_mean)} at ${last.layer}; best ${best.layer} (${pct(best.accuracy_mean)}).`,
    parameters: [
      ['model', p.model],
      ['dataset', `${p.dataset?.kind ?? ''} ${p.dataset?.root ?? ''}`],
      ['pairs used', s.pairs?.used],
      ['folds', s.pairs?.folds],
      ['similarity', p.similarity],
      ['flip', p.flip],
      ['protocol', p.protocol],
    ],
    body: table(['layer', 'dims', 'accuracy', 'AUC', 'TAR@FAR=1e-3'], rows, 'verify') + `<div class="row">${chart}${roc}</div>`,
  };
}
