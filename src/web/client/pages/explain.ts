/**
 * The explain pages (explain/summary.json of `facelens explain --out RESULTS/explain`):
 * - #/explain: every explained pair (similarity, decision, deletion AUC of each map vs random)
 *   and the faithfulness aggregate;
 * - #/explain/<k>: one pair: the overlays, the per-layer similarity profile (with the
 *   verification thresholds when the run had them), the deletion / insertion curves of every
 *   map against the random order, the upper/lower-half split of each map and the part drops.
 * Charts are small hand-made SVG line plots (the explorer bundles no chart library).
 */
import { EXPLAIN_MAP_TITLES, explainPairDir, type ExplainCurve, type ExplainPairNumbers, type ExplainSummary } from '../../../results/explain.js';
import { fetchJson, fileUrl } from '../api.js';
import { fmt, h, message, svgEl } from '../dom.js';
import { links } from '../router.js';

const COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];
const title = (m: string) => EXPLAIN_MAP_TITLES[m] ?? m;
const short = (p: string) => p.split('/').pop()!.replace(/\.[a-z]+$/i, '');


interface Series {
  name: string;
  ys: (number | null)[];
  dashed?: boolean;
  colour?: string;
}

/** A line plot of several series over shared x labels (numbers or categories). */
function linePlot(xs: (string | number)[], series: Series[], opts: { title: string; xTitle: string; yTitle: string; width?: number; height?: number; marks?: { x: number; y: number; label: string }[] }): SVGElement {
  const W = opts.width ?? 520, H = opts.height ?? 260;
  const m = { l: 52, r: 200, t: 24, b: 70 };
  const all = [...series.flatMap((s) => s.ys), ...(opts.marks ?? []).map((k) => k.y)].filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  let lo = Math.min(...all), hi = Math.max(...all);
  if (!(hi > lo)) [lo, hi] = [lo - 0.5, hi + 0.5];
  const pad = (hi - lo) * 0.05;
  lo -= pad;
  hi += pad;
  const px = (i: number) => m.l + (xs.length === 1 ? 0.5 : i / (xs.length - 1)) * (W - m.l - m.r);
  const py = (v: number) => m.t + (1 - (v - lo) / (hi - lo)) * (H - m.t - m.b);
  const root = svgEl('svg', { width: W, height: H, viewBox: `0 0 ${W} ${H}`, class: 'plot', role: 'img' }) as SVGSVGElement;
  root.append(svgEl('title', {}, opts.title));
  root.append(svgEl('text', { x: m.l, y: 15, 'font-size': 13, 'font-weight': 'bold' }, opts.title));
  root.append(svgEl('rect', { x: m.l, y: m.t, width: W - m.l - m.r, height: H - m.t - m.b, fill: 'none', stroke: '#bbb' }));
  for (let k = 0; k <= 4; k++) {
    const v = lo + ((hi - lo) * k) / 4;
    root.append(svgEl('line', { x1: m.l - 4, x2: m.l, y1: py(v), y2: py(v), stroke: '#555' }));
    root.append(svgEl('text', { x: m.l - 6, y: py(v) + 4, 'font-size': 11, 'text-anchor': 'end' }, v.toFixed(3)));
  }
  const step = Math.max(1, Math.ceil(xs.length / 12));
  xs.forEach((x, i) => {
    if (i % step !== 0 && i !== xs.length - 1) return;
    const label = typeof x === 'number' ? String(Math.round(x * 100) / 100) : x;
    root.append(svgEl('text', { x: px(i), y: H - m.b + 14, 'font-size': 11, 'text-anchor': 'end', transform: `rotate(-35 ${px(i)} ${H - m.b + 14})` }, label));
  });
  root.append(svgEl('text', { x: (m.l + W - m.r) / 2, y: H - 4, 'font-size': 12, 'text-anchor': 'middle' }, opts.xTitle));
  root.append(svgEl('text', { x: 12, y: (m.t + H - m.b) / 2, 'font-size': 12, 'text-anchor': 'middle', transform: `rotate(-90 12 ${(m.t + H - m.b) / 2})` }, opts.yTitle));
  series.forEach((s, k) => {
    const colour = s.colour ?? COLOURS[k % COLOURS.length]!;
    const pts = s.ys.map((v, i) => (typeof v === 'number' && Number.isFinite(v) ? `${px(i).toFixed(1)},${py(v).toFixed(1)}` : '')).filter((p) => p !== '');
    root.append(svgEl('polyline', { points: pts.join(' '), fill: 'none', stroke: colour, 'stroke-width': 1.8, ...(s.dashed ? { 'stroke-dasharray': '5 3' } : {}) }));
    const ly = m.t + 8 + k * 16;
    root.append(svgEl('line', { x1: W - m.r + 10, x2: W - m.r + 30, y1: ly, y2: ly, stroke: colour, 'stroke-width': 2, ...(s.dashed ? { 'stroke-dasharray': '5 3' } : {}) }));
    root.append(svgEl('text', { x: W - m.r + 34, y: ly + 4, 'font-size': 11 }, s.name));
  });
  for (const mk of opts.marks ?? []) {
    root.append(svgEl('line', { x1: px(mk.x) - 7, x2: px(mk.x) + 7, y1: py(mk.y), y2: py(mk.y), stroke: 'black', 'stroke-width': 2.5 }, mk.label));
  }
  return root;
}

async function loadSummary(rel: string): Promise<ExplainSummary> {
  const s = await fetchJson<ExplainSummary>(rel);
  if (s.command !== 'explain') throw new Error(`${rel} is not a facelens explain summary`);
  return s;
}

function table(header: string[], rows: (string | number | Node)[][], id?: string): HTMLElement {
  return h('table', { ...(id ? { id } : {}) }, h('thead', {}, h('tr', {}, ...header.map((t) => h('th', {}, t)))), h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c))))));
}

/** The folder of the explain run (relative to the results root) from its summary path. */
const dirOfSummary = (rel: string) => rel.replace(/\/?summary\.json$/, '');

export async function explainListPage(summaryRel: string | undefined): Promise<HTMLElement> {
  const main = h('div', {}, h('h1', {}, 'Explain: why do two faces match?'));
  if (!summaryRel) {
    main.append(message('There is no explain run in this folder (run `facelens explain A.jpg B.jpg --out RESULTS/explain` or `--pairs FILE`).', true));
    return main;
  }
  const s = await loadSummary(summaryRel);
  const p = s.parameters ?? {};
  main.append(h('p', {}, `Model ${p.model ?? '?'}, layer ${p.layer ?? '?'}: maps over each face of where the pair's cosine similarity comes from. A faithful map's deletion AUC is below the random order's.`));
  const pairs = s.pairs ?? [];
  const maps = (s.aggregate ?? []).map((g) => g.map);
  if (pairs.length === 0) main.append(message('No pair was explained.', true));
  else {
    main.append(h('h2', {}, `Pairs (${pairs.length})`));
    main.append(
      table(
        ['pair', 'label', 'similarity', 'decision', ...maps.map((m) => `${title(m)} deletion AUC (A / B)`), 'random (A / B)'],
        pairs.map((q, k) => {
          const emb = q.profile?.find((e) => e.layer === (q.layer ?? p.layer));
          const idx = typeof q.index === 'number' ? q.index : k;
          return [
            h('a', { href: links.explainPair(idx), class: 'pair-link' }, `${short(q.a)} — ${short(q.b)}`),
            q.same === undefined ? '—' : q.same ? 'same' : 'different',
            fmt(q.similarity, 4),
            emb && typeof emb.threshold === 'number' ? `${emb.same ? 'same' : 'different'} (t = ${fmt(emb.threshold)})` : '—',
            ...maps.map((m) => (q.faces ?? []).map((f) => fmt(f.faithfulness?.[m]?.deletion.auc ?? NaN)).join(' / ')),
            (q.faces ?? []).map((f) => fmt(f.random?.deletion.auc ?? NaN)).join(' / '),
          ];
        }),
        'explain-pairs',
      ),
    );
  }
  if (s.aggregate?.length) {
    main.append(h('h2', {}, 'Faithfulness (mean AUC over faces)'));
    main.append(
      table(
        ['map', 'deletion AUC', 'random', 'below random', 'insertion AUC', 'random', 'above random'],
        s.aggregate.map((g) => [title(g.map), fmt(g.deletionAuc ?? NaN, 4), fmt(g.randomDeletionAuc ?? NaN, 4), `${g.deletionBelowRandom}/${g.faces}`, fmt(g.insertionAuc ?? NaN, 4), fmt(g.randomInsertionAuc ?? NaN, 4), `${g.insertionAboveRandom}/${g.faces}`]),
        'explain-aggregate',
      ),
    );
  }
  if (s.skipped?.length) main.append(message(`${s.skipped.length} pair(s) skipped: ${s.skipped.slice(0, 5).map((k) => `${k.pair} (${k.reason})`).join('; ')}`));
  main.append(h('details', {}, h('summary', {}, 'Parameters'), h('pre', {}, JSON.stringify(p, null, 2))));
  return main;
}

function curvesPlot(q: ExplainPairNumbers, face: 0 | 1, kind: 'deletion' | 'insertion'): SVGElement | undefined {
  const f = q.faces?.[face];
  if (!f?.faithfulness) return undefined;
  const maps = Object.keys(f.faithfulness);
  const first: ExplainCurve | undefined = f.faithfulness[maps[0]!]?.[kind];
  if (!first) return undefined;
  const series: Series[] = maps.map((m) => ({ name: `${title(m)} ${fmt(f.faithfulness![m]![kind].auc)}`, ys: f.faithfulness![m]![kind].similarity }));
  if (f.random) series.push({ name: `random ${fmt(f.random[kind].auc)}`, ys: f.random[kind].similarity, dashed: true, colour: '#000' });
  return linePlot(first.fractions, series, { title: `Face ${face === 0 ? 'A' : 'B'}: ${kind} (AUC in the legend)`, xTitle: `fraction of pixels ${kind === 'deletion' ? 'removed' : 'restored'}`, yTitle: 'similarity', width: 560, height: 260 });
}

export async function explainPairPage(summaryRel: string | undefined, k: number): Promise<HTMLElement> {
  const main = h('div', {}, h('h1', {}, `Explain: pair ${k}`));
  if (!summaryRel) {
    main.append(message('There is no explain run in this folder.', true));
    return main;
  }
  const s = await loadSummary(summaryRel);
  const q = (s.pairs ?? []).find((x, i) => (typeof x.index === 'number' ? x.index : i) === k);
  if (!q) {
    main.append(message(`Pair ${k} is not in ${summaryRel}.`, true));
    return main;
  }
  main.querySelector('h1')!.textContent = `Explain: ${short(q.a)} — ${short(q.b)}`;
  const dir = [dirOfSummary(summaryRel), explainPairDir(k)].filter((x) => x !== '').join('/');
  const emb = q.profile?.find((e) => e.layer === (q.layer ?? s.parameters?.layer));
  main.append(
    h('p', { id: 'pair-facts' }, `${q.same === undefined ? '' : q.same ? 'Same person. ' : 'Different people. '}Cosine similarity at ${q.layer ?? '?'}: ${fmt(q.similarity, 4)}${emb && typeof emb.threshold === 'number' ? `, ${emb.same ? 'same' : 'different'} at the verification threshold ${fmt(emb.threshold, 4)}` : ''}. A: ${q.a}; B: ${q.b}${q.crops ? ` (crops: ${q.crops.join(', ')})` : ''}.`),
  );
  main.append(h('h2', {}, 'Maps'), h('figure', {}, h('img', { src: fileUrl(`${dir}/overlay.png`), alt: 'attribution maps of the pair', class: 'plot', id: 'overlay' }), h('figcaption', {}, "Rows: face A (B held fixed), face B (A held fixed). Columns: the aligned face, then each map's positive part over it (scaled by its 99th percentile).")));
  if (q.profile?.length) {
    const marks = q.profile.flatMap((e, i) => (typeof e.threshold === 'number' ? [{ x: i, y: e.threshold, label: `threshold ${e.threshold}` }] : []));
    main.append(h('h2', {}, 'Similarity at every layer'), linePlot(q.profile.map((e) => e.layer), [{ name: 'cosine similarity', ys: q.profile.map((e) => e.similarity) }], { title: 'Per-layer similarity profile', xTitle: 'layer', yTitle: 'cosine similarity', marks }));
    if (marks.length) main.append(h('p', {}, 'Black ticks: the layer\'s verification threshold (from the verify summary).'));
  }
  main.append(h('h2', {}, 'Faithfulness curves'));
  const grid = h('div', { style: 'display:flex;flex-wrap:wrap;gap:12px', id: 'curves' });
  for (const face of [0, 1] as const) for (const kind of ['deletion', 'insertion'] as const) {
    const c = curvesPlot(q, face, kind);
    if (c) grid.append(c);
  }
  main.append(grid);
  const halves = (q.faces ?? []).flatMap((f, i) => Object.entries(f.halves ?? {}).map(([m, r]) => [i === 0 ? 'A' : 'B', title(m), fmt(r.inside, 4), fmt(r.outside, 4), fmt(r.share ?? NaN, 3), fmt(r.positiveShare ?? NaN, 3)]));
  if (halves.length) {
    main.append(h('h2', {}, 'Upper vs lower half'), h('p', {}, 'Signed sum of each map over the upper and the lower half of the face; share = the upper half\'s part of the positive sums. For integrated gradients the two sums are the halves\' contributions to s(face) − s(baseline).'));
    main.append(table(['face', 'map', 'upper sum', 'lower sum', 'upper share', 'per-pixel positive share'], halves, 'explain-halves'));
  }
  const parts = (q.faces ?? []).flatMap((f, i) => (f.parts ?? []).map((p) => [i === 0 ? 'A' : 'B', p.part, fmt(p.similarity, 4), fmt(p.drop, 4)]));
  if (parts.length) main.append(h('h2', {}, 'Parts'), table(['face', 'part', 'similarity with it covered', 'drop'], parts, 'explain-parts'));
  main.append(h('p', {}, h('a', { href: links.explain() }, 'All pairs'), ' · ', h('a', { href: fileUrl(`${dir}/pair.json`) }, 'pair.json'), ' · ', h('a', { href: fileUrl(`${dir}/curves.csv`) }, 'curves.csv')));
  return main;
}
