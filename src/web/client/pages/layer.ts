/** One layer: the grid of its atlas neurons (top tile or AM thumbnail), links to its other results. */
import type { LayerEntry, NeuronEntry } from '../../../results/explorer-index.js';
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

export function layerPage(layer: LayerEntry | undefined, name: string): HTMLElement {
  const main = h('div', {}, h('h1', {}, `Layer ${name}`));
  if (!layer) {
    main.append(message(`There are no results for a layer "${name}" in this folder.`, true));
    return main;
  }
  main.append(
    h('p', {}, layer.similarity ? h('a', { href: links.similarity(name), id: 'similarity-link' }, 'Neuron similarity heatmap') : 'No similarity matrix for this layer.'),
  );
  main.append(h('h2', {}, 'Neurons'));
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
