/** The start page: the layers with what each has, the probes, the report, the run. */
import type { ResultsIndex } from '../../../results/explorer-index.js';
import { fetchJson, fileUrl } from '../api.js';
import { h, message } from '../dom.js';
import { links } from '../router.js';

export async function homePage(index: ResultsIndex): Promise<HTMLElement> {
  const main = h('div', {}, h('h1', {}, `Results: ${index.name}`));
  if (index.report) main.append(h('p', {}, h('a', { href: fileUrl(index.report), id: 'report-link' }, 'Open the HTML report')));
  if (index.sweep) main.append(h('p', {}, h('a', { href: links.faces(), id: 'faces-link' }, 'Faces'), ': pick a swept face and see, per layer, which neurons fire on it and where.'));
  main.append(h('h2', {}, 'Layers'));
  if (index.layers.length === 0) main.append(message('No layer results here (no atlas/, similarity/ or maximize/ folders).'));
  else {
    const rows = index.layers.map((l) =>
      h(
        'tr',
        {},
        h('td', { style: 'text-align:left' }, h('a', { href: links.layer(l.name), class: 'layer-link' }, l.name)),
        h('td', {}, l.swept ? `${l.swept.channels}` : '-'),
        h('td', {}, l.atlas ? `${l.atlas.neurons.length}` : '-'),
        h('td', { style: 'text-align:left' }, l.atlas ? l.atlas.modes.join(', ') : '-'),
        h('td', { style: 'text-align:left' }, l.similarity ? h('a', { href: links.similarity(l.name) }, 'heatmap') : '-'),
        h('td', {}, l.maximize ? `${l.maximize.images.length} images` : '-'),
      ),
    );
    main.append(
      h('table', { id: 'layers' }, h('thead', {}, h('tr', {}, ...['layer', 'neurons (each has a page)', 'atlas neurons', 'modes', 'similarity', 'activation maximisation'].map((t) => h('th', {}, t)))), h('tbody', {}, ...rows)),
    );
  }
  main.append(h('h2', {}, 'Layer probes'));
  if (index.probes.length === 0) main.append(message('No probe results (invariance/, correspondence/, verify/, pose/).'));
  else main.append(h('ul', {}, ...index.probes.map((p) => h('li', {}, h('a', { href: links.probe(p.name) }, p.name), ` (${p.images.length} charts, ${p.tables.length} tables)`))));
  if (index.explain) main.append(h('h2', {}, 'Explain'), h('p', {}, h('a', { href: links.explain(), id: 'explain-link' }, 'Why do the explained pairs match?'), ' (maps, faithfulness curves, per-layer similarity of each pair)'));
  if (index.run) {
    const run = await fetchJson<unknown>(index.run).catch((e: Error) => `run.json cannot be read: ${e.message}`);
    main.append(h('details', {}, h('summary', {}, 'What was run (run.json)'), h('pre', {}, JSON.stringify(run, null, 2))));
  }
  return main;
}
