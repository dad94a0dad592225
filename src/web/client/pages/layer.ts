/** One layer: the grid of its atlas neurons (top tile or AM thumbnail), links to its other results. */
import type { LayerEntry, LayerStatsResponse, NeuronEntry } from '../../../results/explorer-index.js';
import { fileUrl } from '../api.js';
import { fmt, h, message } from '../dom.js';
import { links } from '../router.js';
import { tileThumb } from '../thumb.js';

function neuronCard(layer: string, n: NeuronEntry): HTMLElement {
  const main = n.modes[0];
  const thumb =
    n.top && n.grid
      ? tileThumb(fileUrl(main.png), `${layer} #${n.neuron}: top sample ${n.top.id}`, n.grid, n.top.col, n.top.row)
      : n.am
        ? h('img', { src: fileUrl(n.am), alt: `${layer} #${n.neuron}: activation maximisation`, width: 64, height: 64 })
        : h('div', { class: 'thumb' });
  return h(
    'a',
    { class: 'card neuron-card', href: links.neuron(layer, n.neuron), 'data-neuron': n.neuron },
    thumb,
    h('div', {}, h('b', {}, `#${n.neuron}`), n.top ? ` top ${fmt(n.top.value, 2)}` : ''),
  );
}

type SortKey = 'variance' | 'max' | 'selectivity' | 'neuron';

/** Every neuron of a swept layer, sortable by variance, max, selectivity or number. */
async function allNeurons(layer: LayerEntry, name: string): Promise<HTMLElement> {
  const box = h('div', { id: 'all-neurons' });
  let stats: LayerStatsResponse;
  try {
    const r = await fetch(`/api/sweep/layer/${encodeURIComponent(name)}`);
    if (!r.ok) throw new Error(`${r.status} ${r.statusText}`);
    stats = (await r.json()) as LayerStatsResponse;
  } catch (e) {
    box.append(message(`The sweep statistics of ${name} cannot be read: ${(e as Error).message}`, true));
    return box;
  }
  const inAtlas = new Set(layer.atlas?.neurons.map((n) => n.neuron));
  const list = h('div', { class: 'neuron-list', id: 'neuron-list' });
  const buttons = new Map<SortKey, HTMLButtonElement>();
  const render = (key: SortKey) => {
    const sorted = [...stats.neurons].sort((a, b) => (key === 'neuron' ? a.neuron - b.neuron : b[key] - a[key] || a.neuron - b.neuron));
    list.replaceChildren(
      ...sorted.map((n) =>
        h(
          'a',
          { href: links.neuron(name, n.neuron), class: inAtlas.has(n.neuron) ? 'in-atlas' : '', 'data-neuron': n.neuron, title: `max ${fmt(n.max)}, variance ${fmt(n.variance)}, selectivity ${fmt(n.selectivity, 2)}` },
          `#${n.neuron} `,
          h('small', {}, key === 'neuron' ? fmt(n.variance, 2) : fmt(n[key], 2)),
        ),
      ),
    );
    for (const [k, b] of buttons) b.setAttribute('aria-pressed', String(k === key));
  };
  const sorts = h('p', { class: 'sorts' }, 'Sort by: ');
  for (const k of ['variance', 'max', 'selectivity', 'neuron'] as SortKey[]) {
    const b = h('button', { type: 'button', 'data-sort': k }, k === 'neuron' ? 'number' : k);
    b.addEventListener('click', () => render(k));
    buttons.set(k, b);
    sorts.append(b, ' ');
  }
  box.append(
    h('h2', {}, `All ${stats.channels} neurons (from the sweep of ${stats.images} images)`),
    h('p', {}, 'Each neuron has a page with its top images, argmax boxes and value histogram; bold = also in the atlas (deconvnet projections). The small number is the sort value (variance when sorted by number). Selectivity = (max − mean) / (|max| + |mean|).'),
    sorts,
    list,
  );
  render('variance');
  return box;
}

export async function layerPage(layer: LayerEntry | undefined, name: string): Promise<HTMLElement> {
  const main = h('div', {}, h('h1', {}, `Layer ${name}`));
  if (!layer) {
    main.append(message(`There are no results for a layer "${name}" in this folder.`, true));
    return main;
  }
  main.append(
    h('p', {}, layer.similarity ? h('a', { href: links.similarity(name), id: 'similarity-link' }, 'Neuron similarity heatmap') : 'No similarity matrix for this layer.'),
  );
  if (layer.swept) main.append(await allNeurons(layer, name));
  main.append(h('h2', {}, 'Atlas neurons'));
  if (!layer.atlas) main.append(message(`No atlas for ${name}: run \`facelens atlas --layer ${name}\` into atlas/${name}/.`));
  else {
    main.append(h('p', {}, `${layer.atlas.neurons.length} neurons in the atlas; projection mode(s): ${layer.atlas.modes.join(', ')}. Thumbnail: each neuron's top sample.`));
    main.append(h('div', { class: 'grid', id: 'neurons' }, ...layer.atlas.neurons.map((n) => neuronCard(name, n))));
  }
  if (layer.maximize) {
    main.append(h('h2', {}, 'Activation maximisation'));
    main.append(
      h(
        'div',
        { class: 'grid' },
        ...layer.maximize.images.map((p) => h('figure', {}, h('img', { src: fileUrl(p), alt: p, class: 'plot', style: 'max-height:200px' }), h('figcaption', {}, p.split('/').pop()))),
      ),
    );
  }
  return main;
}
