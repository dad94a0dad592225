/**
 * One neuron: its top-n mosaic in the t-SNE grid layout (hover: image id, value, rank), the
 * projection-mode switch, its activation-maximisation images, its most similar neurons.
 */
import type { AtlasMaximizeEntry, NeuronAtlas } from '../../../results/neuron-atlas.js';
import type { LayerEntry } from '../../../results/explorer-index.js';
import { dirOf, fetchBytes, fetchJson, fileUrl, joinRel } from '../api.js';
import { parseNpy } from '../npy.js';
import { fmt, h, message } from '../dom.js';
import { links } from '../router.js';
import { fetchNeuronSweep, neuronNav, onDemandPanel, sweepPanel } from '../sweep-view.js';
import { tileBox } from '../thumb.js';
import { hideTip, showTip } from '../tooltip.js';

function sampleText(s: NeuronAtlas['samples'][number]): string {
  return `#${s.rank} ${s.id}${s.identity ? ` (${s.identity})` : ''}: value ${fmt(s.value, 4)}`;
}

function mosaic(doc: NeuronAtlas, src: string): HTMLElement {
  const img = h('img', { src, alt: `top-${doc.n} mosaic of ${doc.layer} #${doc.neuron}`, id: 'mosaic-img' });
  const box = h('div', { class: 'mosaic', id: 'mosaic' }, img);
  const info = h('p', { id: 'hover-info' }, 'Hover over a tile to see its image and value.');
  img.addEventListener('load', () => {
    const W = img.naturalWidth;
    const H = img.naturalHeight;
    // Small mosaics (few samples, small tiles) are shown enlarged by a whole factor, up to ~720 px.
    img.style.width = `${W * Math.max(1, Math.floor(720 / W))}px`;
    for (const s of doc.samples) {
      const t = tileBox(W, H, doc.layout.grid, s.grid.col, s.grid.row);
      const text = sampleText(s);
      const cell = h('div', {
        class: 'cell',
        'data-rank': s.rank,
        title: text,
        style: `left:${(100 * t.left) / W}%;top:${(100 * t.top) / H}%;width:${(100 * t.width) / W}%;height:${(100 * t.height) / H}%`,
      });
      cell.addEventListener('mousemove', (e) => showTip(text, e));
      cell.addEventListener('mouseenter', (e) => {
        info.textContent = text;
        showTip(text, e);
      });
      cell.addEventListener('mouseleave', hideTip);
      box.append(cell);
    }
  });
  return h('div', {}, box, info);
}

function amFigure(dir: string, e: AtlasMaximizeEntry): HTMLElement {
  const stop = e.plateauStep === undefined ? '' : e.plateauStep === null ? `, no plateau within ${e.steps ?? '?'} steps` : `, plateau at step ${e.plateauStep}`;
  const label = `${e.facet === null ? 'AM' : `facet ${e.facet}`}: init ${e.init.split(':')[0]}, activation ${fmt(e.initialActivation)} -> ${fmt(e.finalActivation)}${stop}`;
  return h(
    'figure',
    { class: 'am' },
    h('img', { src: fileUrl(joinRel(dir, e.image)), alt: label, width: 150, height: 150 }),
    h('img', { src: fileUrl(joinRel(dir, e.strip)), alt: `${label}: steps`, class: 'plot', style: 'max-height:150px' }),
    h('img', { src: fileUrl(joinRel(dir, e.curve)), alt: `${label}: activation curve`, class: 'plot', style: 'max-height:220px' }),
    h('figcaption', {}, label),
  );
}

export async function neuronPage(layer: LayerEntry | undefined, layerName: string, neuron: number, wantedMode?: string, allLayers: LayerEntry[] = []): Promise<HTMLElement> {
  const main = h('div', {}, h('h1', { id: 'neuron-title' }, `${layerName} · neuron ${neuron}`));
  if (!layer) {
    main.append(message(`There are no results for a layer "${layerName}" in this folder.`, true));
    return main;
  }
  main.append(neuronNav(allLayers.length > 0 ? allLayers : [layer], layerName, neuron, layer.swept?.channels));
  if (layer.swept && neuron >= layer.swept.channels) {
    main.append(message(`${layerName} has neurons 0-${layer.swept.channels - 1}.`, true));
    return main;
  }
  const entry = layer.atlas?.neurons.find((n) => n.neuron === neuron);
  let onDemand: HTMLElement | undefined;
  if (layer.swept) {
    try {
      const d = await fetchNeuronSweep(layerName, neuron);
      if (d) main.append(sweepPanel(d));
      if (d && !entry) onDemand = onDemandPanel(d);
      else main.append(message(`The sweep has no data for ${layerName} #${neuron}.`));
    } catch (e) {
      main.append(message(`The sweep data cannot be read: ${(e as Error).message}`, true));
    }
  }
  if (!entry) {
    const have = layer.atlas?.neurons.map((n) => n.neuron).join(', ');
    if (onDemand) main.append(onDemand);
    main.append(h('h2', {}, 'Projections (atlas)'));
    main.append(
      message(
        have
          ? `No atlas mosaic of this neuron: the atlas of ${layerName} has ${have}. \`facelens atlas --layer ${layerName} --neurons ${neuron}\` adds one (top-50, t-SNE layout).`
          : `There is no atlas for ${layerName}.`,
      ),
    );
    if (!layer.swept && !have) main.append(message(`Neither a sweep nor an atlas covers ${layerName} #${neuron}.`, true));
    if (layer.similarity?.matrix) {
      try {
        const m = parseNpy(await fetchBytes(layer.similarity.matrix));
        const C = m.shape[0]!;
        if (neuron < C) {
          const row = Array.from({ length: C }, (_, j) => ({ j, s: m.data[neuron * C + j]! })).filter((x) => x.j !== neuron && Number.isFinite(x.s));
          row.sort((a, b) => b.s - a.s || a.j - b.j);
          main.append(h('h2', {}, 'Most similar neurons (eq. 2)'));
          if (row.some((x) => x.s < 0 || x.s > 1 + 1e-9)) main.append(message('S leaves [0, 1] in this row: the layer has signed units, where eq. 2 is not a similarity; the ranking below is not meaningful.'));
          main.append(h('ul', { id: 'similar' }, ...row.slice(0, 5).map((x) => h('li', {}, h('a', { href: links.neuron(layerName, x.j), class: 'similar-link', 'data-neuron': x.j }, `#${x.j}`), ` S = ${fmt(x.s)}`))));
        }
      } catch (e) {
        main.append(message(`The similarity matrix cannot be read: ${(e as Error).message}`));
      }
    }
    if (layer.similarity) main.append(h('p', {}, h('a', { href: links.similarity(layerName) }, 'similarity heatmap of the layer')));
    return main;
  }
  const modeEntry = entry.modes.find((m) => m.mode === wantedMode) ?? entry.modes[0];
  if (wantedMode && modeEntry.mode !== wantedMode) main.append(message(`No ${wantedMode} atlas of this neuron; showing ${modeEntry.mode}.`));
  if (entry.modes.length > 1) {
    main.append(
      h(
        'p',
        { class: 'modes', id: 'modes' },
        'Projection: ',
        ...entry.modes.map((m) =>
          h('a', { href: links.neuron(layerName, neuron, m.mode), role: 'button', 'aria-pressed': String(m === modeEntry), 'data-mode': m.mode }, m.mode),
        ),
      ),
    );
  } else {
    main.append(h('p', { class: 'modes', id: 'modes' }, `Projection mode: ${modeEntry.mode} (the only one in this atlas).`));
  }
  let doc: NeuronAtlas;
  try {
    doc = await fetchJson<NeuronAtlas>(modeEntry.json);
  } catch (e) {
    main.append(message(`The atlas of this neuron cannot be read: ${(e as Error).message}`, true));
    return main;
  }
  const dir = dirOf(modeEntry.json);
  main.append(h('h2', {}, `Atlas: top ${doc.n} samples projected to pixels (t-SNE layout, ${doc.layout.grid.cols} x ${doc.layout.grid.rows} grid)`));
  main.append(h('p', {}, 'Each tile: the receptive-field patch | the projection blended on it.'));
  main.append(mosaic(doc, fileUrl(joinRel(dir, doc.png))));
  main.append(
    h(
      'details',
      {},
      h('summary', {}, 'Samples'),
      h(
        'table',
        { id: 'samples' },
        h('thead', {}, h('tr', {}, h('th', {}, 'rank'), h('th', {}, 'image'), h('th', {}, 'value'))),
        h('tbody', {}, ...doc.samples.map((s) => h('tr', {}, h('td', {}, s.rank), h('td', { style: 'text-align:left' }, s.id), h('td', {}, fmt(s.value, 4))))),
      ),
    ),
  );
  main.append(h('h2', {}, 'Activation maximisation'));
  if (doc.maximize && doc.maximize.length > 0) main.append(h('div', { id: 'am' }, ...doc.maximize.map((e) => amFigure(dir, e))));
  else main.append(message(`No activation-maximisation image for this neuron (\`facelens maximize --layer ${layerName} --neuron ${neuron} --atlas ...\`).`));
  main.append(h('h2', {}, 'Most similar neurons (eq. 2)'));
  const inAtlas = new Set(layer.atlas?.neurons.map((n) => n.neuron));
  if (doc.similar.length === 0) main.append(message('No similar neurons listed.'));
  else {
    main.append(
      h(
        'ul',
        { id: 'similar' },
        ...doc.similar.map((s) =>
          h('li', {}, h('a', { href: links.neuron(layerName, s.neuron), class: 'similar-link', 'data-neuron': s.neuron }, `#${s.neuron}`), ` S = ${fmt(s.s)}`, inAtlas.has(s.neuron) ? '' : ' (sweep data only, no atlas projections)'),
        ),
      ),
    );
  }
  main.append(
    h(
      'details',
      {},
      h('summary', {}, 'Parameters'),
      h('pre', {}, JSON.stringify({ mode: doc.mode, display: doc.display, layout: doc.layout, valueCheck: doc.valueCheck }, null, 2)),
    ),
  );
  return main;
}
