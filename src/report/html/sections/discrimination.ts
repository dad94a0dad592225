/** Discrimination (paper Sec. IV-A "Feature discrimination", Table II): per-layer verification accuracy. */
import type { ChartSpec } from '../../../figures/plot.js';
import type { Assets } from '../assets.js';
import { esc, num, pct } from '../escape.js';
import { TABLE_II, vggEquivalents } from '../paper.js';
import type { Results } from '../results.js';
import { explorer, figure, table, type Section } from '../section.js';
import type { VerifySummary } from '../../../results/summaries.js';
import type { CrossPoseSummary } from '../../../results/cross-pose.js';


export async function discriminationSection(res: Results, assets: Assets): Promise<Section> {
  const base = { id: 'discrimination', title: 'Discrimination: verification accuracy per layer', paper: 'paper Sec. IV-A (feature discrimination), Table II' };
  const s = await res.json<VerifySummary>('verify', 'summary.json');
  if (!s?.layers?.length) return { ...base, ...res.absence('verify', 'no verify/summary.json (run `facelens demo --lfw DIR` or `facelens verify DIR --out RESULTS/verify`)') };
  const L = s.layers;
  const best = L.reduce((a, b) => (b.accuracy_mean > a.accuracy_mean ? b : a));
  const first = L[0]!, last = L[L.length - 1]!;
  const trend = last.accuracy_mean >= first.accuracy_mean ? 'rises' : 'falls';
  const vgg = vggEquivalents(res.geometryOf(L.map((l) => l.layer)), res.inputSide || 1);
  const paperAcc = (layer: string) => TABLE_II.find((t) => t.layer === vgg.get(layer));
  const rows = L.map((l) => [
    l.layer,
    l.dims,
    `${pct(l.accuracy_mean, 2)} ± ${pct(l.accuracy_std, 2)}`,
    num(l.auc, 4),
    num(l['tar_at_far_1e-3'], 4),
    paperAcc(l.layer) ? `${vgg.get(l.layer)}: ${paperAcc(l.layer)!.lfw.toFixed(2)}%` : '—',
  ]);
  const order = L.map((l) => l.layer);
  const x = { field: 'layer', type: 'ordinal', sort: order, title: 'layer', axis: { labelAngle: -40 } };
  const values = [
    ...L.map((l) => ({ layer: l.layer, accuracy: l.accuracy_mean, lo: l.accuracy_mean - l.accuracy_std, hi: l.accuracy_mean + l.accuracy_std, series: 'this run (mean ± std over folds)' })),
    ...L.flatMap((l) => (paperAcc(l.layer) ? [{ layer: l.layer, accuracy: paperAcc(l.layer)!.lfw / 100, lo: null, hi: null, series: `paper, VGGFace equivalent (LFW)` }] : [])),
  ];
  const colour = { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom', labelLimit: 400 } };
  const spec = {
    title: { text: 'LFW verification accuracy per layer', subtitle: `${s.pairs?.used ?? '?'} pairs, ${s.pairs?.folds ?? '?'}-fold` },
    width: 440,
    height: 240,
    data: { values },
    layer: [
      { transform: [{ filter: 'isValid(datum.lo)' }], mark: { type: 'errorbar', ticks: { width: 6 } }, encoding: { x, y: { field: 'lo', type: 'quantitative', title: 'accuracy', scale: { zero: false } }, y2: { field: 'hi' }, color: colour } },
      { mark: { type: 'line', point: true }, encoding: { x, y: { field: 'accuracy', type: 'quantitative', title: 'accuracy', axis: { format: '.0%' }, scale: { zero: false } }, color: colour } },
    ],
  } as ChartSpec;
  const files = await res.files('verify');
  const chart = figure(await assets.chart('verify-accuracy', spec, 'verification accuracy per layer'), esc('Accuracy of thresholded cosine similarity per layer; error bars: ± std over the folds. The second line: the paper\'s Table II at the VGGFace layer each probe layer maps to (by receptive field and depth).'), [
    ['SVG', assets.href('report/verify-accuracy.svg')],
    ...(files.includes('roc.svg') ? [['ROC (SVG)', 'verify/roc.svg'] as [string, string]] : files.includes('roc.png') ? [['ROC (PNG)', 'verify/roc.png'] as [string, string]] : []),
  ]);
  const crossPose = await crossPoseTable(res, (layer) => (paperAcc(layer) ? `${vgg.get(layer)}: ${paperAcc(layer)!.lfw.toFixed(2)}% / ${paperAcc(layer)!.cplfw.toFixed(2)}%` : '—'));
  const rising = L.slice(1).filter((l, i) => l.accuracy_mean >= L[i]!.accuracy_mean - 0.005).length;
  const p = s.parameters ?? {};
  return {
    ...base,
    status: 'ok',
    what: `Each probe layer's flattened features of the two faces of every LFW pair were compared by ${p.similarity ?? 'cosine similarity'}; a threshold chosen on the other folds decides same/different person (standard LFW ${s.pairs?.folds ?? 10}-fold protocol).`,
    howToRead: 'Higher = the layer separates identities better. 50% is chance. Error bars: ± std over the folds; AUC and TAR@FAR=1e-3 are threshold-free views of the same scores.',
    reading: `accuracy ${trend} from ${pct(first.accuracy_mean)} at ${first.layer} to ${pct(last.accuracy_mean)} at ${last.layer}; best ${best.layer} (${pct(best.accuracy_mean)}).`,
    paperHtml: `VGGFace (Table II): LFW accuracy rises with depth, ${TABLE_II.map((t) => `${t.layer} ${t.lfw.toFixed(2)}%`).join(', ')}; on cross-pose CPLFW ${TABLE_II[0]!.cplfw.toFixed(2)}% at pool1 to ${TABLE_II[TABLE_II.length - 1]!.cplfw.toFixed(2)}% at fc7.`,
    agreement: `${rising} of ${L.length - 1} steps up the network keep or raise the accuracy${rising === L.length - 1 ? ': the same monotone rise as the paper' : rising >= (L.length - 1) / 2 ? ': mostly the paper\'s rise' : ': unlike the paper\'s rise'}; best layer ${best.layer}${vgg.get(best.layer) ? ` (≈ ${vgg.get(best.layer)}; paper's best fc6 96.98%)` : ''}.`,
    parameters: [
      ['model', p.model],
      ['dataset', `${p.dataset?.kind ?? ''} ${p.dataset?.root ?? ''}`],
      ['pairs used', s.pairs?.used],
      ['pairs dropped', s.pairs?.dropped],
      ['folds', s.pairs?.folds],
      ['similarity', p.similarity],
      ['flip', p.flip],
      ['protocol', p.protocol],
    ],
    body: `<div class="table-wrap">${table(['layer', 'dims', 'accuracy', 'AUC', 'TAR@FAR=1e-3', 'paper (LFW)'], rows, 'verify')}</div>${chart}${crossPose}`,
    links: [
      ['summary.json', 'verify/summary.json'],
      ...(crossPose ? [['cross-pose summary.json', 'verify-cfp/summary.json'] as [string, string]] : []),
      ...files.filter((f) => /\.(csv|md)$/.test(f)).map((f): [string, string] => [f, `verify/${f}`]),
      ['explorer page', explorer.probe('verify')],
    ],
  };
}

/** LFW next to CFP-FF and CFP-FP per layer (the demo's verify-cfp step, given --cfp); '' when absent. */
async function crossPoseTable(res: Results, paper: (layer: string) => string): Promise<string> {
  const c = await res.json<CrossPoseSummary>('verify-cfp', 'summary.json');
  if (!c?.layers?.length || !c.protocols?.length) return '';
  const names = c.protocols.map((p) => p.name);
  const rows = c.layers.map((l) => [l.layer, ...names.map((n) => (l.accuracy[n] ? `${pct(l.accuracy[n]!.mean, 1)} ± ${pct(l.accuracy[n]!.std, 1)}` : '—')), paper(l.layer)]);
  const pairs = c.protocols.map((p) => `${p.name}: ${p.pairs} pairs, ${p.folds} folds`).join('; ');
  // the CFP notes differ only in their protocol prefix: say each once
  const notes = [...new Set(c.protocols.flatMap((p) => (p.note ? [p.note.replace(`${p.name}: `, '')] : [])))];
  return `<h3>Cross-pose: LFW, CFP frontal-frontal, CFP frontal-profile</h3><p>${esc(`Verification accuracy per layer on ${c.protocols.length} protocols (${pairs}).${notes.map((n) => ` CFP: ${n}.`).join('')} Frontal-profile pairs are the cross-pose case; the paper used CPLFW for it.`)}</p><div class="table-wrap">${table(['layer', ...names, 'paper LFW / CPLFW'], rows, 'verify')}</div>`;
}
