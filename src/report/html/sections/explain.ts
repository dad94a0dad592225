/**
 * Explain (beyond the paper): why the model scores pairs of faces as it does, from a
 * `facelens explain ... --out RESULTS/explain` run: faithfulness of each attribution map
 * (deletion / insertion AUC against a random pixel order), where the integrated-gradients
 * evidence sits (upper vs lower half), the per-layer similarity profile of the pairs, and the
 * overlays of the first pairs. Shown only when the results folder has explain/summary.json.
 */
import path from 'node:path';
import type { ChartSpec } from '../../../figures/plot.js';
import { EXPLAIN_MAP_TITLES, explainPairDir, type ExplainSummary } from '../../../results/explain.js';
import type { Assets } from '../assets.js';
import { esc, num } from '../escape.js';
import type { Results } from '../results.js';
import { explorer, figure, table, type Section } from '../section.js';

/** Overlays shown in the report (the explorer has every pair). */
const SHOWN = 4;

const short = (p: string) => path.basename(p).replace(/\.[a-z]+$/i, '');
const title = (m: string) => EXPLAIN_MAP_TITLES[m] ?? m;
const mean = (v: number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN);

export async function explainSection(res: Results, assets: Assets): Promise<Section | undefined> {
  const s = await res.json<ExplainSummary>('explain', 'summary.json');
  if (!s || s.command !== 'explain') return undefined;
  const base = { id: 'explain', title: 'Explain: why do two faces match?', paper: 'beyond the paper: attribution of the pair similarity' };
  const pairs = Array.isArray(s.pairs) ? s.pairs : [];
  const p = s.parameters ?? {};
  const camLayer = typeof p.camLayer === 'string' ? p.camLayer : pairs[0]?.faces?.[0]?.cam?.layer;
  const links: [string, string][] = [['summary.json', 'explain/summary.json'], ['faithfulness.csv', 'explain/faithfulness.csv'], ['explorer page', explorer.explain()]];
  if (pairs.length === 0) return { ...base, status: 'absent', reason: `explain/summary.json lists no explained pair${s.skipped?.length ? ` (${s.skipped.length} skipped)` : ''}`, links };
  const agg = Array.isArray(s.aggregate) ? s.aggregate : [];
  const aggRows = agg.map((g) => [title(g.map), num(g.deletionAuc, 4), num(g.randomDeletionAuc, 4), `${g.deletionBelowRandom}/${g.faces}`, num(g.insertionAuc, 4), num(g.randomInsertionAuc, 4), `${g.insertionAboveRandom}/${g.faces}`]);
  const best = agg.filter((g) => typeof g.deletionAuc === 'number').sort((a, b) => a.deletionAuc! - b.deletionAuc!)[0];

  // Where the integrated-gradients evidence sits: upper-half share of each face.
  const igShare = (f: NonNullable<(typeof pairs)[0]['faces']>[0] | undefined) => f?.halves?.integrated?.share;
  const pairRows = pairs.map((q) => {
    const emb = q.profile?.find((e) => e.layer === (q.layer ?? p.layer));
    const decision = emb && typeof emb.threshold === 'number' ? `${emb.same ? 'same' : 'different'} (t = ${emb.threshold.toFixed(3)})` : '—';
    const ig = (q.faces ?? []).map((f) => num(igShare(f), 2)).join(' / ');
    return [
      { html: typeof q.index === 'number' ? `<a href="${esc(explorer.explainPair(q.index))}">${esc(short(q.a))} — ${esc(short(q.b))}</a>` : `${esc(short(q.a))} — ${esc(short(q.b))}` },
      q.same === undefined ? '—' : q.same ? 'same' : 'different',
      num(q.similarity, 4),
      decision,
      ig,
    ];
  });
  const upper = pairs.flatMap((q) => (q.faces ?? []).map(igShare)).filter((v): v is number => typeof v === 'number');

  // Per-layer similarity profile of every pair.
  const profileValues = pairs.flatMap((q, k) => (q.profile ?? []).map((e) => ({ layer: e.layer, similarity: e.similarity, pair: `${k}: ${short(q.a)} — ${short(q.b)}` })));
  const order = (pairs[0]!.profile ?? []).map((e) => e.layer);
  const thresholds = (pairs[0]!.profile ?? []).filter((e) => typeof e.threshold === 'number').map((e) => ({ layer: e.layer, threshold: e.threshold }));
  const x = { field: 'layer', type: 'ordinal', sort: order, title: 'layer', axis: { labelAngle: -40 } };
  const spec = {
    title: 'Cosine similarity of each pair at every probe layer',
    width: 520,
    height: 240,
    layer: [
      { data: { values: profileValues }, mark: { type: 'line', point: true, strokeWidth: 1.2, opacity: 0.8 }, encoding: { x, y: { field: 'similarity', type: 'quantitative', title: 'cosine similarity' }, color: { field: 'pair', type: 'nominal', legend: pairs.length <= 10 ? { orient: 'right', labelLimit: 260 } : null } } },
      ...(thresholds.length ? [{ data: { values: thresholds }, mark: { type: 'tick', color: 'black', thickness: 2 }, encoding: { x, y: { field: 'threshold', type: 'quantitative' } } }] : []),
    ],
  } as ChartSpec;
  const chart = figure(
    await assets.chart('explain-profile', spec, 'per-layer similarity of the explained pairs'),
    esc(`One line per pair: the cosine similarity of its two faces at every probe layer${thresholds.length ? '; black ticks: the layer\'s verification threshold (from the verify summary)' : ''}.`),
    [['SVG', assets.href('report/explain-profile.svg')]],
  );

  const overlays: string[] = [];
  for (const q of pairs.slice(0, SHOWN)) {
    if (typeof q.index !== 'number') continue;
    const rel = `explain/${explainPairDir(q.index)}/overlay.png`;
    if (!(await res.files('explain', explainPairDir(q.index))).includes('overlay.png')) continue;
    overlays.push(
      figure(
        await assets.img(rel, `maps of ${short(q.a)} and ${short(q.b)}`, { zoom: true, encode: 'captioned', textPx: 11 }),
        esc(`${short(q.a)} — ${short(q.b)}${q.same === undefined ? '' : q.same ? ' (same person)' : ' (different people)'}: similarity ${num(q.similarity, 4)}. Rows: face A, face B; columns: the face, then each map's positive part over it.`),
        [['pair.json', assets.href(`explain/${explainPairDir(q.index)}/pair.json`)], ['explorer', explorer.explainPair(q.index)]],
      ),
    );
  }
  return {
    ...base,
    status: 'ok',
    what: `${pairs.length} pair(s) explained with ${p.model ?? 'the model'} at layer ${p.layer ?? 'embedding'}: for the cosine similarity s of the two faces, maps over each face (the other held fixed) of where s comes from: occlusion (similarity drop under a sliding ${p.fill ? String(p.fill).split(' ')[0] : ''} patch), |gradient|, gradient × input, integrated gradients (from the ${p.igBaseline === 'grey' ? 'grey image' : 'blurred face'}) and a similarity Grad-CAM (gradient × activation at ${camLayer ?? 'a mid-level layer'}).`,
    howToRead:
      'Faithfulness: deleting pixels in a map\'s order (most important first) should make s fall faster than a random order does, so a faithful map has a LOWER deletion AUC than random and a HIGHER insertion AUC. Upper-half share: of the integrated-gradients attribution that raises s, the part on the upper half of the face (eyes, brows); the halves\' signed sums add up to s(face) − s(baseline).',
    reading: `${best ? `lowest mean deletion AUC: ${title(best.map)} ${num(best.deletionAuc, 3)} vs random ${num(best.randomDeletionAuc, 3)} (below random on ${best.deletionBelowRandom}/${best.faces} faces)` : 'no faithfulness aggregate'}${upper.length ? `; integrated-gradients evidence on the upper half: mean share ${num(mean(upper), 2)} over ${upper.length} faces` : ''}.`,
    parameters: [
      ['model', p.model],
      ['layer', p.layer],
      ['similarity', p.similarity],
      ['occlusion', `patch ${p.patch ?? '?'} px, stride ${p.stride ?? '?'} px, fill ${p.fill ?? '?'}`],
      ['integrated gradients', p.integrated],
      ['faithfulness', p.faithfulness],
      ['upper/lower half mass', p.halves],
      ['verify summary', p.verifySummary ?? 'none'],
    ],
    body: [
      `<h3>Faithfulness (mean AUC over faces)</h3><div class="table-wrap">${table(['map', 'deletion AUC', 'random', 'below random', 'insertion AUC', 'random', 'above random'], aggRows, 'explain-faithfulness')}</div>`,
      `<h3>Pairs</h3><div class="table-wrap">${table(['pair', 'label', 'similarity', 'decision', 'IG upper-half share A / B'], pairRows, 'explain-pairs')}</div>`,
      chart,
      overlays.length ? `<h3>Maps of the first ${overlays.length} pair(s)</h3>${overlays.join('\n')}` : '',
      s.skipped?.length ? `<p class="absent">${s.skipped.length} pair(s) skipped: ${esc(s.skipped.slice(0, 3).map((k) => `${k.pair} (${k.reason})`).join('; '))}</p>` : '',
    ].join('\n'),
    links,
  };
}
