/** Features per layer (paper Sec. 3.1, Fig. 3): each layer's atlas mosaics. */
import type { NeuronAtlas } from '../../../results/neuron-atlas.js';
import type { AtlasSummary } from '../../../results/summaries.js';
import type { Assets } from '../assets.js';
import { esc, num } from '../escape.js';
import type { Results } from '../results.js';
import type { Section } from '../section.js';

/** Mosaics shown per layer. */
export const MOSAICS_PER_LAYER = 3;

export async function featuresSection(res: Results, assets: Assets): Promise<Section> {
  const base = { id: 'features', title: 'Features per layer: neuron atlas', paper: 'Sec. 3.1-3.2, Fig. 3' };
  const layers = [];
  for (const layer of await res.layersIn('atlas')) {
    const summary = await res.json<AtlasSummary>('atlas', layer, 'summary.json');
    if (summary) layers.push({ layer, summary });
  }
  if (layers.length === 0) return { ...base, ...res.absence('atlas', 'no atlas/<layer>/summary.json (run `facelens atlas --layer L --out DIR/atlas/L`)') };

  const blocks: string[] = [];
  for (const { layer, summary } of layers) {
    const neurons = summary.neurons ?? [];
    const tiles: string[] = [];
    for (const k of neurons.slice(0, MOSAICS_PER_LAYER)) {
      const doc = await res.json<NeuronAtlas>('atlas', layer, `neuron-${k}.json`);
      if (!doc) continue;
      const img = await assets.img(`atlas/${layer}/${doc.png}`, `${layer} neuron ${k}: top-${doc.n} mosaic`, { maxWidth: 380 });
      const similar = (doc.similar ?? []).slice(0, 3).map((s) => `#${s.neuron} (${num(s.s, 2)})`).join(', ');
      tiles.push(
        `<figure class="mosaic">${img}<figcaption>neuron ${esc(k)}: top value ${esc(num(doc.samples?.[0]?.value, 2))}, ${esc(doc.n)} samples; most similar ${esc(similar || '—')}</figcaption></figure>`,
      );
    }
    const rf = summary.layer?.rf ? `receptive field ${summary.layer.rf.size} px, stride ${summary.layer.rf.stride}` : 'whole face (vector layer)';
    const failed = res.step(`atlas/${layer}`)?.status === 'failed' ? ' (step failed)' : '';
    blocks.push(
      `<div class="layer" id="atlas-${esc(layer)}"><h3>${esc(layer)}${esc(failed)}</h3><p class="meta">shape ${esc(JSON.stringify(summary.layer?.shape ?? []))}, ${esc(rf)}; neurons ${esc(neurons.join(', '))} (${esc(summary.neuronSelection ?? '')}), top-${esc(summary.n ?? '')}, ${esc(summary.mode ?? '')} projections</p><div class="row">${tiles.join('')}</div></div>`,
    );
  }
  for (const s of res.failures('atlas')) {
    const layer = s.name.split('/')[1] ?? s.name;
    if (!layers.some((l) => l.layer === layer)) blocks.push(`<div class="layer"><h3>${esc(layer)}</h3><p class="failed">Failed: ${esc(s.reason ?? '')}</p></div>`);
  }

  const withRf = layers.filter((l) => l.summary.layer?.rf);
  const first = withRf[0], last = withRf[withRf.length - 1];
  const rfReading =
    first && last && first !== last
      ? `theoretical receptive fields grow from ${first.summary.layer!.rf!.size} px at ${first.layer} to ${last.summary.layer!.rf!.size} px at ${last.layer}, so low layers' neurons respond to small patches (edges, colour) and high layers' to whole face parts`
      : `${layers.length} layer(s) with atlas mosaics`;
  const s0 = layers[0]!.summary;
  return {
    ...base,
    status: 'ok',
    reading: `${layers.length} layers, ${layers.reduce((a, l) => a + (l.summary.neurons?.length ?? 0), 0)} neurons; ${rfReading}.`,
    parameters: [
      ['model', s0.model],
      ['swept images', s0.dataset?.items],
      ['neuron selection', s0.neuronSelection],
      ['top-n', s0.n],
      ['projection', s0.mode],
      ['t-SNE seed', s0.layout?.tsne?.seed],
      ['tile', '[patch | 0.8 projection + 0.2 patch], one min/max rescale per neuron'],
    ],
    body: blocks.join('\n'),
  };
}
