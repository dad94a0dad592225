/**
 * Activation maximisation (paper Sec. 3.7, Fig. 7): the AM images registered in the atlas neuron
 * JSONs (`maximize` entries, paths relative to the JSON), then any other results in maximize/<layer>/.
 */
import path from 'node:path';
import type { NeuronAtlas } from '../../../results/neuron-atlas.js';
import type { MaximizeSummary } from '../../../results/summaries.js';
import type { Assets } from '../assets.js';
import { esc, num } from '../escape.js';
import type { Results } from '../results.js';
import type { Section } from '../section.js';

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

export async function maximizeSection(res: Results, assets: Assets): Promise<Section> {
  const base = { id: 'maximize', title: 'Activation maximisation', paper: 'Sec. 3.7, Fig. 7' };
  const entries = await collectAm(res);
  if (entries.length === 0) return { ...base, ...res.absence('maximize', 'no AM results in atlas/<layer>/neuron-K.json or maximize/<layer>/ (run `facelens maximize ... --out DIR/maximize/L --atlas DIR/atlas/L`)') };
  const cards: string[] = [];
  for (const e of entries) {
    const label = `${e.layer} #${e.neuron}${e.facet === null ? '' : ` facet ${e.facet}`}`;
    cards.push(
      `<figure class="am">${await assets.img(e.image, `AM image of ${label}`, { maxWidth: 150 })}${await assets.img(e.strip, `AM steps of ${label}`, { maxWidth: 380 })}${await assets.img(e.curve, `activation curve of ${label}`, { maxWidth: 220, density: 2 })}` +
        `<figcaption><strong>${esc(label)}</strong>: activation ${esc(num(e.initialActivation, 2))} → ${esc(num(e.finalActivation, 2))}; init ${esc(e.init.length > 160 ? `${e.init.slice(0, 157)}...` : e.init)}</figcaption></figure>`,
    );
  }
  const gains = entries.filter((e) => Number.isFinite(e.finalActivation - e.initialActivation));
  const up = gains.filter((e) => e.finalActivation > e.initialActivation).length;
  const meanGain = gains.reduce((a, e) => a + (e.finalActivation - e.initialActivation), 0) / Math.max(1, gains.length);
  const first = entries[0]!;
  const s = first.summary ? await res.json<MaximizeSummary>(...first.summary.split('/')) : undefined;
  const p = s?.params ?? {};
  const layers = [...new Set(entries.map((e) => e.layer))];
  return {
    ...base,
    status: 'ok',
    reading: `${entries.length} AM images of ${new Set(entries.map((e) => `${e.layer}#${e.neuron}`)).size} neurons in ${layers.join(', ')}; the activation rose in ${up} of ${gains.length} runs (mean change ${meanGain >= 0 ? '+' : ''}${meanGain.toFixed(2)}).`,
    parameters: [
      ['readout', s?.readout],
      ['steps per octave', p.steps],
      ['octaves', p.octaves],
      ['octave scale', p.octaveScale],
      ['step size', p.stepSize],
      ['jitter', p.jitter],
      ['TV weight', p.tvWeight],
      ['blur sigma', p.blurSigma],
      ['seed', p.seed],
      ['schedule', s?.schedule],
    ],
    body: `<div class="am-list">${cards.join('\n')}</div>`,
  };
}
