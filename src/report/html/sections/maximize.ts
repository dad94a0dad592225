/**
 * Activation maximisation (paper Sec. IV-B, Fig. 7): the AM images registered in the atlas neuron
 * JSONs (`maximize` entries, paths relative to the JSON), then any other results in maximize/<layer>/.
 */
import path from 'node:path';
import type { NeuronAtlas } from '../../../results/neuron-atlas.js';
import type { MaximizeSummary } from '../../../results/summaries.js';
import type { Assets } from '../assets.js';
import { esc, num } from '../escape.js';
import type { Results } from '../results.js';
import { explorer, figure, table, type Section } from '../section.js';
import { readNpy } from '../../../io/npy.js';
import { outsideUnitRange } from './similarity.js';
import type { ChartSpec } from '../../../figures/plot.js';
import sharp from 'sharp';

export interface AmEntry {
  layer: string;
  neuron: number;
  facet: number | null;
  init: string;
  /** Results-relative paths. */
  image: string;
  strip: string;
  curve: string;
  summary?: string;
  initialActivation: number;
  finalActivation: number;
}

const join = (...p: string[]) => path.posix.normalize(path.posix.join(...p));

export async function collectAm(res: Results): Promise<AmEntry[]> {
  const out: AmEntry[] = [];
  const seen = new Set<string>();
  for (const layer of await res.layersIn('atlas')) {
    for (const f of await res.files('atlas', layer)) {
      if (!/^neuron-\d+\.json$/.test(f)) continue;
      const doc = await res.json<NeuronAtlas>('atlas', layer, f);
      for (const e of doc?.maximize ?? []) {
        const r = (p: string) => join('atlas', layer, p);
        const entry: AmEntry = { layer: doc!.layer, neuron: doc!.neuron, facet: e.facet, init: e.init, image: r(e.image), strip: r(e.strip), curve: r(e.curve), summary: e.summary ? r(e.summary) : undefined, initialActivation: e.initialActivation, finalActivation: e.finalActivation };
        seen.add(entry.image);
        out.push(entry);
      }
    }
  }
  for (const layer of await res.layersIn('maximize')) {
    for (const f of await res.files('maximize', layer)) {
      const m = /^(.*)-summary\.json$/.exec(f);
      if (!m) continue;
      const stem = m[1]!;
      const image = join('maximize', layer, `${stem}.png`);
      if (seen.has(image)) continue;
      const s = await res.json<MaximizeSummary>('maximize', layer, f);
      if (!s) continue;
      seen.add(image);
      out.push({
        layer: s.layer ?? layer,
        neuron: s.neuron ?? -1,
        facet: s.facet ?? null,
        init: s.init ?? '',
        image,
        strip: join('maximize', layer, `${stem}-steps.png`),
        curve: join('maximize', layer, `${stem}-activation.png`),
        summary: join('maximize', layer, f),
        initialActivation: s.initialActivation ?? NaN,
        finalActivation: s.finalActivation ?? NaN,
      });
    }
  }
  const order = res.sortLayers([...new Set(out.map((e) => e.layer))]);
  return out.sort((a, b) => order.indexOf(a.layer) - order.indexOf(b.layer) || a.neuron - b.neuron || (a.facet ?? -1) - (b.facet ?? -1));
}

/** First step where the curve has made `frac` of its total rise (max - first); undefined for a flat or empty curve. */
export function plateauStep(a: number[], frac = 0.95): number | undefined {
  if (a.length < 2) return undefined;
  const max = Math.max(...a);
  const rise = max - a[0]!;
  if (!(rise > 0)) return undefined;
  return a.findIndex((v) => v - a[0]! >= frac * rise);
}

/** The most steps a run could make (steps per octave x octaves), when recorded. */
function capOf(s: MaximizeSummary | undefined): number | undefined {
  const st = Number(s?.params?.steps), oc = Number(s?.params?.octaves ?? 1);
  return Number.isFinite(st) && Number.isFinite(oc) ? st * oc : undefined;
}

/** The activation curve as a Vega-Lite chart, with the neuron's best natural value drawn when known. */
function curveSpec(a: number[], readout: string, natural: number | undefined, plateau: number | undefined, plateauLabel = 'plateau'): ChartSpec {
  const rows = a.map((v, step) => ({ step, value: v }));
  const layers: unknown[] = [{ mark: { type: 'line', color: '#4e79a7' }, encoding: { x: { field: 'step', type: 'quantitative', title: 'step' }, y: { field: 'value', type: 'quantitative', title: 'activation', scale: { zero: false } } } }];
  const refs: { y?: number; x?: number; label: string }[] = [];
  if (natural !== undefined) refs.push({ y: natural, label: 'best natural image' });
  if (plateau !== undefined) refs.push({ x: plateau, label: `${plateauLabel} at step ${plateau}` });
  for (const r of refs) {
    const enc = r.y !== undefined ? { y: { datum: r.y, type: 'quantitative' } } : { x: { datum: r.x, type: 'quantitative' } };
    layers.push({ data: { values: [{}] }, mark: { type: 'rule', strokeDash: [4, 3], color: r.y !== undefined ? '#e15759' : '#888' }, encoding: enc });
    layers.push({ data: { values: [{}] }, mark: { type: 'text', align: 'right', dx: -3, dy: r.y !== undefined ? -7 : 0, baseline: r.y !== undefined ? 'bottom' : 'top', color: '#333' }, encoding: { ...enc, ...(r.y !== undefined ? { x: { value: 2 } } : { y: { value: 2 } }), text: { value: r.label } } });
  }
  return { title: { text: 'activation per step', subtitle: readout.length > 60 ? `${readout.slice(0, 57)}...` : readout }, width: 300, height: 150, data: { values: rows }, layer: layers } as ChartSpec;
}

/** The top natural sample's tile cut out of the neuron's mosaic (same geometry as the explorer's thumbnails). */
async function topTile(res: Results, layer: string, neuron: number): Promise<{ png: Buffer; width: number; height: number; value: number; id: string } | undefined> {
  const doc = await res.json<NeuronAtlas>('atlas', layer, `neuron-${neuron}.json`);
  const top = doc?.samples?.[0];
  if (!doc || !top) return undefined;
  try {
    const src = res.path('atlas', layer, doc.png);
    const m = await sharp(src).metadata();
    const { cols, rows } = doc.layout.grid;
    const gap = 2;
    const tw = (m.width! - (cols + 1) * gap) / cols, th = (m.height! - (rows + 1) * gap) / rows;
    const box = { left: Math.round(gap + top.grid.col * (tw + gap)), top: Math.round(gap + top.grid.row * (th + gap)), width: Math.floor(tw), height: Math.floor(th) };
    return { png: await sharp(src).extract(box).png().toBuffer(), width: box.width, height: box.height, value: top.value, id: top.id };
  } catch {
    return undefined;
  }
}

export async function maximizeSection(res: Results, assets: Assets): Promise<Section> {
  const base = { id: 'maximize', title: 'Activation maximisation', paper: 'paper Sec. IV-B (face attributes of neurons), Fig. 7' };
  const entries = await collectAm(res);
  if (entries.length === 0) return { ...base, ...res.absence('maximize', 'no AM results in atlas/<layer>/neuron-K.json or maximize/<layer>/ (run `facelens maximize ... --out DIR/maximize/L --atlas DIR/atlas/L`)') };
  const cards: string[] = [];
  const paramSets = new Map<string, string[]>();
  const plateaus: { label: string; step?: number; of: number; capped: boolean }[] = [];
  for (const e of entries) {
    const label = `${e.layer} #${e.neuron}${e.facet === null ? '' : ` facet ${e.facet}`}`;
    const s = e.summary ? await res.json<MaximizeSummary & { activations?: number[]; snapshotSteps?: number[] }>(...e.summary.split('/')) : undefined;
    const a = (s?.activations ?? []).filter((v) => Number.isFinite(v));
    // The stopping rule's own plateau step when the run recorded one (maximize.ts), else the 95%-of-rise point of older runs.
    const rec = s?.plateau;
    const plateau = rec ? (rec.step ?? undefined) : plateauStep(a);
    const capped = rec ? rec.step === null : plateau !== undefined && plateau >= 0.9 * (a.length - 1);
    plateaus.push({ label, step: plateau, of: a.length, capped });
    const stopText = rec
      ? rec.step !== null
        ? `plateaued at step ${rec.step} (the stopping rule held there${capOf(s) ? `; cap ${capOf(s)} steps` : ''})`
        : `no plateau: reached the cap of ${a.length - 1} steps still rising`
      : plateau !== undefined
        ? `95% of the rise reached at step ${plateau} of ${a.length}`
        : 'no rise';
    const key = JSON.stringify(s?.params ?? {});
    paramSets.set(key, [...(paramSets.get(key) ?? []), label]);
    const top = await topTile(res, e.layer, e.neuron);
    const initRel = e.image.replace(/\.png$/, '-init.png');
    const hasInit = initRel !== e.image && (await res.files(...path.posix.dirname(initRel).split('/'))).includes(path.posix.basename(initRel));
    const curve = a.length > 1 ? await assets.chart(`am-curve-${e.layer}-${e.neuron}-${e.facet ?? 'x'}`, curveSpec(a, s?.readout ?? '', undefined, plateau, rec ? 'plateau' : '95%'), `activation curve of ${label}`) : await assets.img(e.curve, `activation curve of ${label}`, { textPx: 24, encode: 'lossless' });
    const steps = s?.snapshotSteps?.length ? ` (snapshots at steps ${s.snapshotSteps.join(', ')})` : '';
    cards.push(
      `<div class="am-card" id="am-${esc(`${e.layer}-${e.neuron}-${e.facet ?? 'x'}`)}"><h3>${esc(label)} <small><a href="${esc(explorer.neuron(e.layer, e.neuron))}">explorer</a></small></h3><div class="row">` +
        (hasInit ? figure(await assets.img(initRel, `AM init of ${label}`, { scale: 1 }), esc(`init: ${e.init.split(':')[0]}`), [], 'fit') : '') +
        figure(await assets.img(e.image, `AM image of ${label}`, { scale: 1 }), esc(`AM result: activation ${num(e.initialActivation, 2)} → ${num(e.finalActivation, 2)}`), [], 'fit') +
        (top ? figure(`<img src="${esc(await assets.generated(`am-top-${e.layer}-${e.neuron}`, top.png))}" width="${top.width * 2}" height="${top.height * 2}" class="pixelated" alt="${esc(`best natural sample of ${label}`)}" loading="lazy">`, esc(`best natural sample ${top.id} [patch | projection]: projection value ${num(top.value, 2)} (max over positions)`), [], 'fit') : '') +
        figure(curve, esc(`${stopText}; readout: ${s?.readout ?? '?'}.`), [], 'heat') +
        `</div>` +
        figure(await assets.img(e.strip, `AM steps of ${label}`, { maxWidth: 1140 }), esc(`The image during the optimisation${steps}.`)) +
        `<p class="meta">init: ${esc(e.init)}</p>` +
        (e.summary ? `<p class="links"><a href="${esc(assets.href(e.summary))}">summary.json</a> · <a href="${esc(assets.href(e.image))}">PNG</a></p>` : '') +
        `</div>`,
    );
  }
  const gains = entries.filter((e) => Number.isFinite(e.finalActivation - e.initialActivation));
  const up = gains.filter((e) => e.finalActivation > e.initialActivation).length;
  const meanGain = gains.reduce((a, e) => a + (e.finalActivation - e.initialActivation), 0) / Math.max(1, gains.length);
  const first = entries[0]!;
  const s = first.summary ? await res.json<MaximizeSummary>(...first.summary.split('/')) : undefined;
  const p = s?.params ?? {};
  const layers = [...new Set(entries.map((e) => e.layer))];
  // Table III analogue: S (eq. 2) among the AM neurons of each layer, from the layer's matrix.
  const t3: string[] = [];
  for (const layer of layers) {
    const ns = [...new Set(entries.filter((e) => e.layer === layer).map((e) => e.neuron))].sort((a, b) => a - b);
    if (ns.length < 2) continue;
    try {
      const m = await readNpy(res.path('similarity', layer, `${layer}.similarity.npy`));
      const C = m.shape[0]!;
      if (ns.some((k) => k >= C)) continue;
      // A layer where any S leaves [0, 1] has signed units: eq. 2 is undefined for all its pairs.
      const layerDefined = outsideUnitRange(m.data, C).outside === 0;
      const cell = (i: number, j: number) => (layerDefined ? m.data[i * C + j]!.toFixed(4) : 'undefined');
      t3.push(`<h4>${esc(layer)}</h4>` + table(['', ...ns.map((k) => `#${k}`)], ns.map((i) => [`#${i}`, ...ns.map((j) => cell(i, j))]), 'table3'));
    } catch {
      continue;
    }
  }
  const table3 = t3.length
    ? `<h3>S among the AM neurons (the paper's Table III)</h3><p class="meta">Eq. 2 between the neurons shown above, per layer; "undefined" for a layer where S leaves [0, 1] anywhere (signed units). The paper's four pool5 neurons: all below 0.06 except one pair at 0.1509.</p><div class="row">${t3.map((t) => `<div class="table-wrap">${t}</div>`).join('')}</div>`
    : '';
  const late = plateaus.filter((q) => q.capped);
  const stopRule = (s as (MaximizeSummary & { plateau?: { rule?: string } }) | undefined)?.plateau?.rule;
  return {
    ...base,
    status: 'ok',
    what: `Starting from an init image (the mean of the top faces of one cluster of the neuron's t-SNE layout, one run per facet), the image was changed step by step along the gradient of the neuron's activation, with jitter and total-variation regularisation, ${stopRule && p.stop === 'plateau' ? `over ${p.octaves ?? '?'} octaves, each run until the activation plateaued (${stopRule})` : `over ${p.octaves ?? '?'} octaves of ${p.steps ?? '?'} steps`}.`,
    howToRead: 'Per run: the init image (when recorded), the AM result beside the neuron\'s best natural image, the activation curve (dashed: the step where the run plateaued under its stopping rule, or for older runs where 95% of the rise is reached; a run that reached its step cap still rising has not converged), and snapshots during the optimisation. The AM readout can differ from the natural projection value (max over positions); both are named.',
    reading: `${entries.length} AM images of ${new Set(entries.map((e) => `${e.layer}#${e.neuron}`)).size} neurons in ${layers.join(', ')}; the activation rose in ${up} of ${gains.length} runs (mean change ${meanGain >= 0 ? '+' : ''}${meanGain.toFixed(2)}).${late.length ? ` Still rising at the end (no plateau before the step cap): ${late.map((q) => q.label).join(', ')}; more steps would change these.` : ''}`,
    paperHtml: 'VGGFace pool5 (Fig. 7): four neurons, each from the mean of its top-9 similar-looking samples, with TV and jitter regularisation; neurons 134 and 267 both cover the upper face yet give clearly different attributes. Table III gives S among these four neurons (see the similarity section).',
    agreement: 'a qualitative comparison: judge whether the AM images differ between neurons that respond to the same region.',
    parameters: [
      ...[...paramSets.entries()].map(([k, runs]): [string, unknown] => [paramSets.size === 1 ? 'parameters (all runs)' : `parameters (${runs.join(', ')})`, k]),
      ['schedule', s?.schedule],
    ],
    body: `<div class="am-list">${cards.join('\n')}</div>${table3}`,
  };
}
