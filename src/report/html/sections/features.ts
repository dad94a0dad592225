/** Features per layer (paper Sec. IV-A "Feature visualization", Fig. 3): each layer's atlas mosaics. */
import type { NeuronAtlas } from '../../../results/neuron-atlas.js';
import type { Assets } from '../assets.js';
import { esc, num } from '../escape.js';
import { vggEquivalents } from '../paper.js';
import type { Results } from '../results.js';
import { explorer, figure, type Section } from '../section.js';
import type { AtlasSummary } from '../../../results/summaries.js';

/** What the paper's Fig. 3 shows per VGGFace layer. */
const FIG3: Record<string, string> = {
  pool1: 'low-level features: edges and colour',
  pool2: 'low-level features: edges and colour',
  pool3: 'mid-level shapes (an eyebrow, red lips)',
  pool4: 'facial regions (ear region, nose region), some neurons with several patterns',
  pool5: 'complex facial attributes covering most of the face (bald head, skin colour, whiskers, eyeglasses)',
  fc6: 'whole-face attributes (vector layer, no spatial patch)',
  fc7: 'whole-face attributes (vector layer, no spatial patch)',
};


/** Mosaics shown per layer. */
export const MOSAICS_PER_LAYER = 3;

export async function featuresSection(res: Results, assets: Assets): Promise<Section> {
  const base = { id: 'features', title: 'Features per layer: neuron atlas', paper: 'paper Sec. III and IV-A (feature visualization, feature diversity), Fig. 3' };
  const layers: { layer: string; summary: AtlasSummary }[] = [];
  for (const layer of await res.layersIn('atlas')) {
    const summary = await res.json<AtlasSummary>('atlas', layer, 'summary.json');
    if (summary) layers.push({ layer, summary });
  }
  if (layers.length === 0) return { ...base, ...res.absence('atlas', 'no atlas/<layer>/summary.json (run `facelens atlas --layer L --out DIR/atlas/L`)') };

  const blocks: string[] = [];
  const vgg = vggEquivalents(res.geometryOf(layers.map((l) => l.layer)), res.inputSide || 1);
  for (const { layer, summary } of layers) {
    const neurons = summary.neurons ?? [];
    const tiles: string[] = [];
    for (const k of neurons.slice(0, MOSAICS_PER_LAYER)) {
      const doc = await res.json<NeuronAtlas>('atlas', layer, `neuron-${k}.json`);
      if (!doc) continue;
      const img = await assets.img(`atlas/${layer}/${doc.png}`, `${layer} neuron ${k}: top-${doc.n} mosaic`, { maxWidth: 370, zoom: true });
      const similar = (doc.similar ?? []).slice(0, 3).map((s) => `<a href="${esc(explorer.neuron(layer, s.neuron))}">#${s.neuron}</a> (${num(s.s, 2)})`).join(', ');
      tiles.push(
        figure(img, `<strong>${esc(layer)} #${esc(k)}</strong>: top value ${esc(num(doc.samples?.[0]?.value, 2))}, ${esc(doc.n)} samples; most similar ${similar || '—'}.`, [
          ['explorer', explorer.neuron(layer, k)],
          ['JSON', assets.href(`atlas/${layer}/neuron-${k}.json`)],
          ['PNG', assets.href(`atlas/${layer}/${doc.png}`)],
        ], 'mosaic fit'),
      );
    }
    const rf = summary.layer?.rf ? `receptive field ${summary.layer.rf.size} px, stride ${summary.layer.rf.stride}` : 'whole face (vector layer)';
    const failed = res.step(`atlas/${layer}`)?.status === 'failed' ? ' (step failed)' : '';
    const eq = vgg.get(layer);
    const more = neurons.length > MOSAICS_PER_LAYER ? ` Shown: ${MOSAICS_PER_LAYER} of ${neurons.length}; <a href="${esc(explorer.layer(layer))}">all neurons of ${esc(layer)} in the explorer</a>.` : '';
    blocks.push(
      `<div class="layer" id="atlas-${esc(layer)}"><h3>${esc(layer)}${esc(failed)}${eq ? ` <small>≈ VGGFace ${esc(eq)}</small>` : ''}</h3><p class="meta">shape ${esc(JSON.stringify(summary.layer?.shape ?? []))}, ${esc(rf)}; atlas neurons ${esc(neurons.join(', '))} (${esc(summary.neuronSelection ?? '')}), top-${esc(summary.n ?? '')} of ${esc(summary.dataset?.items ?? '?')} images, ${esc(summary.mode ?? '')} projections.${more}${eq && FIG3[eq] ? ` Paper (Fig. 3, ${esc(eq)}): ${esc(FIG3[eq])}.` : ''}</p><div class="row">${tiles.join('')}</div></div>`,
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
  // Parameters per layer as the atlas step used them (they may differ between layers).
  const perLayer = (f: (s: AtlasSummary) => unknown) => {
    const vals = layers.map((l) => JSON.stringify(f(l.summary) ?? null));
    return new Set(vals).size === 1 ? f(s0) : layers.map((l) => `${l.layer}: ${JSON.stringify(f(l.summary) ?? '—')}`).join('; ');
  };
  return {
    ...base,
    status: 'ok',
    what: `For each probe layer, the neurons with the highest variance over the ${s0.dataset?.items ?? '?'} swept images were picked. For each, the images with the largest projection value (max of its channel over positions) were projected back to pixels (${s0.mode ?? 'deconv'}) from the argmax position, and laid out by t-SNE so similar samples sit together.`,
    howToRead: 'Each tile is [receptive-field patch of the image | projection blended on the patch (0.8 projection + 0.2 patch)]. Similar-looking tiles near each other = one pattern; distinct groups = a multifaceted neuron. Click a mosaic to enlarge it; the explorer shows every neuron of every layer with its top faces and argmax boxes.',
    paperHtml: 'VGGFace, top-50 of 5,000 VGGFace2 images (Fig. 3): pool1-pool2 respond to edges and colour; pool3 to mid-level shapes; pool4 to facial regions; pool5 to complex attributes over most of the face. Higher-layer neurons often detect more than one pattern (neuron reuse).',
    agreement: `the receptive fields grow as in VGGFace; judge the patterns from the mosaics (each layer is labelled with its VGGFace equivalent). Top-${s0.n ?? '?'} of ${s0.dataset?.items ?? '?'} images${(s0.dataset?.items ?? 0) < 1000 ? ' is a small sample: the top sets overlap across neurons more than in the paper' : ''}.`,
    links: [['explorer: all layers', explorer.home()], ...layers.map((l): [string, string] => [`${l.layer} summary`, `atlas/${l.layer}/summary.json`])],
    reading: `${layers.length} layers, ${layers.reduce((a, l) => a + (l.summary.neurons?.length ?? 0), 0)} neurons; ${rfReading}.`,
    parameters: [
      ['model', s0.model],
      ['swept images', s0.dataset?.items],
      ['neuron selection', perLayer((s) => s.neuronSelection)],
      ['top-n', perLayer((s) => s.n)],
      ['projection', perLayer((s) => s.mode)],
      ['t-SNE seed', perLayer((s) => s.layout?.tsne?.seed)],
      ['tile', '[patch | 0.8 projection + 0.2 patch], one min/max rescale per neuron'],
    ],
    body: blocks.join('\n'),
  };
}
