/**
 * A layer's neuron similarity matrix (eq. 2): an interactive heatmap drawn from the NPY matrix in
 * the clustered order (hover: the pair and S; click: the row neuron's page), the most redundant
 * pairs and most independent neurons, and the static heatmap PNG.
 */
import type { LayerEntry } from '../../../results/explorer-index.js';
import { fetchBytes, fetchJson, fileUrl } from '../api.js';
import { ramp } from '../colour.js';
import { fmt, h, message } from '../dom.js';
import type { SimilarityResultSummary } from '../../../analyses/similarity.js';
import { parseNpy } from '../npy.js';
import { links } from '../router.js';
import { hideTip, showTip } from '../tooltip.js';

/** The fields of a similarity summary.json the page reads (type only: erased from the bundle). */
type SimilaritySummary = Pick<
  SimilarityResultSummary,
  'neurons' | 'images' | 'n' | 'meanOffDiagonal' | 'redundant' | 'independent' | 'dead' | 'order'
>;

function heatmapCanvas(layer: string, S: Float32Array | Float64Array, C: number, order: number[]): HTMLElement {
  const canvas = h('canvas', { class: 'heat', id: 'heatmap', width: C, height: C });
  const scale = Math.max(1, Math.floor(480 / C));
  canvas.style.width = `${C * scale}px`;
  canvas.style.height = `${C * scale}px`;
  const ctx = canvas.getContext('2d');
  if (ctx) {
    const img = ctx.createImageData(C, C);
    for (let r = 0; r < C; r++)
      for (let c = 0; c < C; c++) {
        const v = S[order[r] * C + order[c]];
        // Outside [0, 1] eq. 2 is undefined (signed units): grey, not clipped.
        const [R, G, B] = v >= -1e-9 && v <= 1 + 1e-9 ? ramp(v) : [190, 190, 190];
        const o = 4 * (r * C + c);
        img.data.set([R, G, B, 255], o);
      }
    ctx.putImageData(img, 0, 0);
  }
  const at = (e: MouseEvent) => {
    const rect = canvas.getBoundingClientRect();
    const c = Math.min(C - 1, Math.max(0, Math.floor(((e.clientX - rect.left) / rect.width) * C)));
    const r = Math.min(C - 1, Math.max(0, Math.floor(((e.clientY - rect.top) / rect.height) * C)));
    return { i: order[r], j: order[c] };
  };
  const info = h('p', { id: 'heat-info' }, 'Hover over a cell to read S; click it to open the row neuron.');
  canvas.addEventListener('mousemove', (e) => {
    const { i, j } = at(e);
    const text = `S(#${i}, #${j}) = ${fmt(S[i * C + j])}`;
    info.textContent = text;
    showTip(text, e);
  });
  canvas.addEventListener('mouseleave', hideTip);
  canvas.addEventListener('click', (e) => {
    hideTip();
    location.hash = links.neuron(layer, at(e).i);
  });
  return h('div', {}, canvas, info);
}

const nLink = (layer: string, k: number) => h('a', { href: links.neuron(layer, k), 'data-neuron': k }, `#${k}`);

export async function similarityPage(layer: LayerEntry | undefined, name: string): Promise<HTMLElement> {
  const main = h('div', {}, h('h1', {}, `${name} · neuron similarity`), h('p', {}, h('a', { href: links.layer(name) }, `layer ${name}`)));
  if (!layer?.similarity) {
    main.append(message(`No similarity matrix for ${name}: run \`facelens similarity --layer ${name}\` into similarity/${name}/.`));
    return main;
  }
  const sim = layer.similarity;
  let sum: SimilaritySummary;
  try {
    sum = await fetchJson<SimilaritySummary>(sim.summary);
  } catch (e) {
    main.append(message(`The similarity summary cannot be read: ${(e as Error).message}`, true));
    return main;
  }
  const stats = h('p', { id: 'sim-stats' }, `${sum.neurons} neurons, ${sum.images} images, top-n = ${sum.n}; mean off-diagonal S = ${fmt(sum.meanOffDiagonal)}; ${sum.dead.length} dead neurons.`);
  main.append(stats);
  let undefinedCells = 0;
  if (sim.matrix) {
    try {
      const m = parseNpy(await fetchBytes(sim.matrix));
      for (let i = 0; i < m.data.length; i++) if (!(m.data[i]! >= -1e-9 && m.data[i]! <= 1 + 1e-9)) undefinedCells++;
      if (undefinedCells > 0) main.append(message(`${undefinedCells} of ${m.data.length} entries of S are outside [0, 1] (grey): this layer has signed units, where eq. 2 is not a similarity. Its pairs are not ranked.`));
      main.append(heatmapCanvas(name, m.data, m.shape[0], sum.order.length === m.shape[0] ? sum.order : Array.from({ length: m.shape[0] }, (_, i) => i)));
    } catch (e) {
      main.append(message(`The similarity matrix cannot be read: ${(e as Error).message}`, true));
    }
  } else main.append(message('No matrix file (NPY): the interactive heatmap is not available.'));
  if (undefinedCells > 0) {
    stats.textContent = `${sum.neurons} neurons, ${sum.images} images, top-n = ${sum.n}; mean off-diagonal S undefined (S outside [0, 1]); ${sum.dead.length} dead neurons.`;
    return main;
  }
  main.append(h('h2', {}, 'Most redundant pairs'));
  main.append(
    h(
      'table',
      { id: 'redundant' },
      h('thead', {}, h('tr', {}, h('th', {}, 'i'), h('th', {}, 'j'), h('th', {}, 'S'))),
      h('tbody', {}, ...sum.redundant.map((p) => h('tr', {}, h('td', {}, nLink(name, p.i)), h('td', {}, nLink(name, p.j)), h('td', {}, fmt(p.s))))),
    ),
  );
  main.append(h('h2', {}, 'Most independent neurons'));
  main.append(h('ul', {}, ...sum.independent.map((p) => h('li', {}, nLink(name, p.neuron), ` mean S = ${fmt(p.meanSimilarity)}`))));
  if (sim.heatmap) {
    main.append(h('h2', {}, 'Clustered heatmap'));
    main.append(h('img', { src: fileUrl(sim.heatmap), alt: `similarity heatmap of ${name}`, class: 'plot' }));
  }
  return main;
}
