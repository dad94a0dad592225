/**
 * Correspondence (paper Sec. IV-A "Correspondence analysis", eq. 1, Table I): Delta of part
 * occlusions vs random occlusions, under both sign(0) rules, with the fraction of zero entries:
 * where most eps entries are exactly 0 (units the mask does not reach), the sign(0) = 0 rule
 * counts 0-vs-0 as agreement and Delta says little; such cells are flagged, not read.
 */
import { CAPTION_FONT } from '../../../figures/contact-sheet.js';
import type { ChartSpec } from '../../../figures/plot.js';
import type { Assets } from '../assets.js';
import { esc, num } from '../escape.js';
import { TABLE_I, vggEquivalents } from '../paper.js';
import type { Results } from '../results.js';
import { explorer, figure, table, type Section } from '../section.js';
import type { CorrespondenceCell as Cell, CorrespondenceSummary as CorrSummary } from '../../../results/summaries.js';


const PARTS = ['left_eye', 'right_eye', 'nose', 'mouth'];
/** Above this fraction of zero eps entries, the sign(0) = 0 Delta is dominated by 0-vs-0 matches. */
export const ZERO_DOMINATED = 0.5;

export async function correspondenceSection(res: Results, assets: Assets): Promise<Section> {
  const base = { id: 'correspondence', title: 'Correspondence of face parts', paper: 'paper Sec. IV-A (correspondence analysis), eq. 1, Table I' };
  const s = await res.json<CorrSummary>('correspondence', 'summary.json');
  const rows = (s?.rows ?? []).filter((r) => !r.mask.includes('#'));
  if (!s || rows.length === 0) return { ...base, ...res.absence('correspondence', 'no correspondence/summary.json (run `facelens correspondence IMAGES --out DIR/correspondence`)') };
  const layers = rows[0]!.layers.map((c) => c.layer);
  const zeroAt = new Map<string, number>();
  for (const r of rows) for (const c of r.layers) if (typeof c.zeroFraction === 'number') zeroAt.set(c.layer, Math.max(zeroAt.get(c.layer) ?? 0, c.zeroFraction));
  const dominated = layers.filter((l) => (zeroAt.get(l) ?? 0) > ZERO_DOMINATED);
  const pm = (m: number | null | undefined, sd: number | null | undefined) => (typeof m === 'number' ? `${num(m)} ± ${num(sd)}` : '—');
  const cell = (c: Cell) => ({
    html: `${esc(pm(c.delta_mean, c.delta_std))}<br><small>excl. 0: ${esc(pm(c.exclude_mean, c.exclude_std))}</small><br><small>zeros ${typeof c.zeroFraction === 'number' ? `${(100 * c.zeroFraction).toFixed(0)}%` : '—'}</small>`,
  });
  const header = ['occlusion', ...layers.map((l) => (dominated.includes(l) ? `${l} (zero-dominated)` : l))];
  const tbl = `<div class="table-wrap">${table(header, rows.map((r) => [r.mask.replace('_', ' '), ...r.layers.map(cell)]), 'correspondence')}</div>`;
  const chartRows = rows.flatMap((r) =>
    r.layers.flatMap((c) => {
      const out: { layer: string; mask: string; rule: string; delta: number; lo: number; hi: number }[] = [];
      if (typeof c.delta_mean === 'number') out.push({ layer: c.layer, mask: r.mask, rule: 'sign(0) = 0', delta: c.delta_mean, lo: c.delta_mean - (c.delta_std ?? 0), hi: c.delta_mean + (c.delta_std ?? 0) });
      if (typeof c.exclude_mean === 'number') out.push({ layer: c.layer, mask: r.mask, rule: 'zeros excluded', delta: c.exclude_mean, lo: c.exclude_mean - (c.exclude_std ?? 0), hi: c.exclude_mean + (c.exclude_std ?? 0) });
      return out;
    }),
  );
  const x = { field: 'layer', type: 'ordinal', sort: layers, title: 'layer', axis: { labelAngle: -40 } };
  const colour = { field: 'mask', type: 'nominal', title: 'occlusion', sort: [...PARTS, 'random'], legend: { orient: 'bottom' } };
  const spec = {
    title: { text: 'Correspondence Delta per layer (lower = more consistent)', subtitle: 'mean ± std over face pairs; left: sign(0) = 0, right: zero entries excluded' },
    data: { values: chartRows },
    facet: { column: { field: 'rule', type: 'nominal', title: null, sort: ['sign(0) = 0', 'zeros excluded'] } },
    spec: {
      width: 360,
      height: 220,
      layer: [
        { mark: { type: 'errorbar', opacity: 0.5 }, encoding: { x, xOffset: { field: 'mask', sort: [...PARTS, 'random'] }, y: { field: 'lo', type: 'quantitative', title: 'Delta (normalised Hamming)' }, y2: { field: 'hi' }, color: colour } },
        {
          mark: { type: 'point', filled: true, size: 50 },
          encoding: { x, xOffset: { field: 'mask', sort: [...PARTS, 'random'] }, y: { field: 'delta', type: 'quantitative', title: 'Delta (normalised Hamming)' }, color: colour },
        },
      ],
    },
  } as ChartSpec;
  const chart = figure(
    await assets.chart('correspondence-delta', spec, 'correspondence Delta per layer under both sign(0) rules'),
    esc('Each point is one occlusion type at one layer; bars: ± std over ordered face pairs.'),
    [['SVG', assets.href('report/correspondence-delta.svg')]],
  );
  const files = await res.files('correspondence');
  const sheet = files.includes('masked-faces.png')
    ? figure(
        await assets.img('correspondence/masked-faces.png', 'faces with every mask', { textPx: CAPTION_FONT, zoom: true, topFraction: Math.min(1, 3 / Math.max(1, s.images?.length ?? 1)) }),
        esc(`The first ${Math.min(3, s.images?.length ?? 3)} faces with every mask (original, the four parts, the random draws); click to enlarge.`),
        [['all faces (PNG)', 'correspondence/masked-faces.png']],
      )
    : '';
  // Reading at the first and last layer that are not zero-dominated, with the rule that is meaningful there.
  const at = (mask: string, li: number, rule: 'main' | 'exclude') => {
    const c = rows.find((r) => r.mask === mask)?.layers[li];
    const v = rule === 'main' ? c?.delta_mean : c?.exclude_mean;
    return typeof v === 'number' ? v : undefined;
  };
  const compare = (li: number) => {
    const rule: 'main' | 'exclude' = dominated.includes(layers[li]!) ? 'exclude' : 'main';
    const parts = PARTS.map((p) => at(p, li, rule)).filter((v): v is number => v !== undefined);
    const rnd = at('random', li, rule);
    if (parts.length === 0 || rnd === undefined) return undefined;
    const lo = Math.min(...parts), hi = Math.max(...parts);
    const cmp = hi < rnd ? 'below' : lo > rnd ? 'above' : 'around';
    return { layer: layers[li]!, rule, lo, hi, rnd, cmp };
  };
  const ends = [compare(0), compare(layers.length - 1)].filter((c): c is NonNullable<typeof c> => c !== undefined);
  const say = (c: NonNullable<ReturnType<typeof compare>>) =>
    `at ${c.layer} (${c.rule === 'exclude' ? 'zeros excluded, since most entries are 0 there' : 'sign(0) = 0'}) part occlusions give Delta ${c.lo.toFixed(3)}-${c.hi.toFixed(3)}, ${c.cmp} random occlusions (${c.rnd.toFixed(3)})`;
  let reading = `${rows.length} occlusion types at ${layers.length} layers; ${ends.map(say).join('; ')}.`;
  if (dominated.length > 0) reading += ` At ${dominated.join(', ')} more than ${Math.round(100 * ZERO_DOMINATED)}% of the difference entries are exactly 0, so the sign(0) = 0 Delta there mostly counts 0-vs-0 matches and is not read.`;
  const vgg = vggEquivalents(res.geometryOf(layers), res.inputSide || 1);
  const first = ends[0], last = ends[ends.length - 1];
  const agreement =
    first && last && first !== last
      ? `the paper has parts below random at the low layer and above random at fc7; here parts are ${first.cmp} random at ${first.layer}${vgg.get(first.layer) ? ` (≈ ${vgg.get(first.layer)})` : ''} and ${last.cmp} random at ${last.layer}${vgg.get(last.layer) ? ` (≈ ${vgg.get(last.layer)})` : ''}: ${first.cmp === 'below' && last.cmp !== 'below' ? 'the same trend' : first.cmp === 'below' ? 'correspondence at the low layer agrees, the high-layer reversal does not appear' : 'a different pattern'}. ${s.images?.length ?? '?'} faces here vs 15 identities in the paper.`
      : 'not enough layers to compare.';
  const paperTable = table(
    ['occlusion', 'pool1', 'pool4', 'fc7'],
    TABLE_I.map((r) => [r.mask, `${r.pool1[0].toFixed(3)} ± ${r.pool1[1].toFixed(3)}`, `${r.pool4[0].toFixed(3)} ± ${r.pool4[1].toFixed(3)}`, `${r.fc7[0].toFixed(3)} ± ${r.fc7[1].toFixed(3)}`]),
    'paper-table',
  );
  const p = s.parameters ?? {};
  return {
    ...base,
    status: 'ok',
    what: `The same face part (left eye, right eye, nose, mouth) was masked in each of ${s.images?.length ?? '?'} aligned faces, and random squares of the same size as a control. For each face, eps = features(original) − features(masked); Delta = mean over face pairs of the normalised Hamming distance between sign(eps_i) and sign(eps_j).`,
    howToRead: 'Lower Delta = hiding the part changes the layer the same way in every face, i.e. the layer puts that part in correspondence across faces. Compare parts against "random". Two sign(0) rules are shown: sign(0) = 0 counts two unchanged units as agreeing, which dominates wherever the mask does not reach most units (small receptive fields); "zeros excluded" compares only units that changed in both faces. "zeros" = fraction of eps entries exactly 0.',
    reading,
    paperHtml: `VGGFace, 15 identities (Table I): at pool1 parts 0.094-0.112 vs random 0.214 (correspondence); at pool4 parts 0.181-0.197 vs random 0.186 (none); at fc7 parts 0.212-0.245 above random 0.178. Table I of the paper:${paperTable}`,
    agreement,
    parameters: [
      ['model', p.model],
      ['faces', s.images?.length],
      ['mask', p.maskShape],
      ['fill', p.fill],
      ['random masks', `${p.randomMasks?.draws ?? '?'} draws, ${p.randomMasks?.placement ?? ''} placement, seed ${p.randomMasks?.seed ?? ''}`],
      ['Delta', p.delta],
      ['sign(0) rule (main)', `${p.signZeroRule?.main ?? '?'}: ${p.signZeroRule?.mainMeaning ?? ''}`],
      ['also reported', p.signZeroRule?.alsoReported],
    ],
    body: tbl + chart + sheet,
    links: [
      ['summary.json', 'correspondence/summary.json'],
      ...files.filter((f) => /\.(csv|md)$/.test(f)).map((f): [string, string] => [f, `correspondence/${f}`]),
      ['explorer page', explorer.probe('correspondence')],
    ],
  };
}
