/**
 * Neuron views straight from the sweep (GET /api/sweep/...): the top-k images with the argmax
 * cell's receptive-field box, a histogram of the neuron's projection values over all swept
 * images, and the navigation between neurons (prev/next, layer switcher).
 */
import type { LayerEntry, NeuronSweepResponse } from '../../results/explorer-index.js';
import { fmt, h, message, svgEl } from './dom.js';
import { computeButton, reportOnce, tileSlot, type TileSlot } from './ondemand.js';
import { links } from './router.js';


export async function fetchNeuronSweep(layer: string, neuron: number): Promise<NeuronSweepResponse | undefined> {
  const r = await fetch(`/api/sweep/neuron/${encodeURIComponent(layer)}/${neuron}?top=12`);
  if (r.status === 404) return undefined;
  if (!r.ok) throw new Error(`sweep: ${r.status} ${r.statusText}`);
  return (await r.json()) as NeuronSweepResponse;
}

/** Value histogram as SVG (12 px text), the top value marked. */
export function histogramSvg(d: NeuronSweepResponse): SVGSVGElement {
  const W = 360, H = 170, L = 44, B = 40, T = 10, R = 10;
  const { lo, hi, counts } = d.histogram;
  const max = Math.max(1, ...counts);
  const svg = svgEl('svg', { width: W, height: H, viewBox: `0 0 ${W} ${H}`, id: 'histogram', role: 'img', 'aria-label': 'histogram of projection values', 'font-size': 12, 'font-family': 'sans-serif' });
  const bw = (W - L - R) / counts.length;
  counts.forEach((c, i) => {
    const bh = ((H - T - B) * c) / max;
    const rect = svgEl('rect', { x: L + i * bw + 0.5, y: H - B - bh, width: Math.max(1, bw - 1), height: bh, fill: '#4e79a7' });
    rect.append(svgEl('title', {}, `${fmt(lo + (i * (hi - lo)) / counts.length, 2)} .. ${fmt(lo + ((i + 1) * (hi - lo)) / counts.length, 2)}: ${c} images`));
    svg.append(rect);
  });
  svg.append(svgEl('line', { x1: L, x2: W - R, y1: H - B, y2: H - B, stroke: '#333' }));
  svg.append(svgEl('line', { x1: L, x2: L, y1: T, y2: H - B, stroke: '#333' }));
  svg.append(svgEl('text', { x: L, y: H - B + 16, 'text-anchor': 'start' }, fmt(lo, 2)));
  svg.append(svgEl('text', { x: W - R, y: H - B + 16, 'text-anchor': 'end' }, fmt(hi, 2)));
  svg.append(svgEl('text', { x: (L + W - R) / 2, y: H - 6, 'text-anchor': 'middle' }, 'projection value (max over positions)'));
  svg.append(svgEl('text', { x: L - 6, y: T + 10, 'text-anchor': 'end' }, String(max)));
  svg.append(svgEl('text', { x: L - 6, y: H - B, 'text-anchor': 'end' }, '0'));
  svg.append(svgEl('text', { x: 12, y: (T + H - B) / 2, transform: `rotate(-90 12 ${(T + H - B) / 2})`, 'text-anchor': 'middle' }, 'images'));
  return svg;
}

/**
 * One top image with its RF box. The box is in aligned-crop pixels: drawn on the swept file when
 * that is the crop itself (no detection), else on the aligned crop serve makes on demand (falling
 * back to the file, without a box, when serve cannot align it here).
 */
function face(d: NeuronSweepResponse, t: NeuronSweepResponse['top'][number]): HTMLElement {
  const size = 140;
  const onCrop = !d.boxesOnImage && t.box !== undefined;
  const img = h('img', { src: onCrop ? `/api/sweep/aligned/${t.row}` : `/api/sweep/image/${t.row}`, alt: `${t.id}`, width: size, height: size, loading: 'lazy' });
  const box = h('div', { class: 'face' }, img);
  if (t.box) {
    const sx = size / d.input.width, sy = size / d.input.height;
    const rf = h('div', { class: 'rf', style: `left:${t.box.x0 * sx}px;top:${t.box.y0 * sy}px;width:${(t.box.x1 - t.box.x0 + 1) * sx}px;height:${(t.box.y1 - t.box.y0 + 1) * sy}px`, title: 'receptive field of the argmax cell' });
    box.append(rf);
    if (onCrop) {
      img.addEventListener('error', () => {
        rf.remove();
        img.src = `/api/sweep/image/${t.row}`;
        img.title = 'serve cannot align this image here: the swept file, without the box';
      }, { once: true });
    }
  }
  return h(
    'figure',
    { class: 'top-face', 'data-rank': t.rank },
    h('a', { href: links.face(t.row), class: 'face-link', title: 'this face: what fires where' }, box),
    h('figcaption', {}, h('a', { href: links.face(t.row), class: 'face-link' }, `#${t.rank} ${t.id}`), `${t.identity ? ` (${t.identity})` : ''}: ${fmt(t.value, 3)}`),
  );
}

/**
 * Deconvnet projections of the top images computed by serve on demand (neurons the atlas lacks):
 * one [patch | projection] tile per top image, filled when the reader asks.
 */
export function onDemandPanel(d: NeuronSweepResponse): HTMLElement {
  const slots: TileSlot[] = [];
  const { button, note } = computeButton(`Compute the projections of the top ${d.top.length}`, () => slots);
  const fail = reportOnce(note);
  const tiles = d.top.map((t) => {
    const slot = tileSlot(d.layer, d.neuron, t.row, fail, `#${t.rank} ${t.id} projected`);
    slots.push(slot);
    return h('figure', { class: 'proj-fig', 'data-rank': t.rank }, slot.el, h('figcaption', {}, h('a', { href: links.face(t.row), class: 'face-link' }, `#${t.rank} ${t.id}`)));
  });
  return h(
    'div',
    { id: 'ondemand' },
    h('h2', {}, 'Projections (computed on demand)'),
    h('p', {}, 'This neuron is not in the atlas. `facelens serve` can project it back to pixels on each top image now (deconvnet, at the argmax cell) and caches every tile on disk. Tile: [receptive-field patch | projection blended on it], each tile on its own scale.'),
    h('p', {}, button),
    note,
    h('div', { class: 'grid', id: 'ondemand-tiles' }, ...tiles),
  );
}

export function sweepPanel(d: NeuronSweepResponse): HTMLElement {
  const st = d.stats;
  const out = h(
    'div',
    { id: 'sweep-panel' },
    h('h2', {}, `Top ${d.top.length} of ${d.images} swept images`),
    h(
      'p',
      {},
      `max ${fmt(st.max)}, mean ${fmt(st.mean)}, variance ${fmt(st.variance)} (rank ${d.rank.variance} of ${d.channels} by variance), selectivity ${fmt(st.selectivity, 2)}. `,
      d.top.some((t) => t.box) ? (d.boxesOnImage ? 'Box: receptive field of the position where the neuron fires most.' : 'Box: receptive field of the position where the neuron fires most, on the aligned crop the network saw (the sweep face-detected and aligned each image).') : 'A vector layer: the neuron sees the whole face.',
    ),
    h('div', { class: 'grid', id: 'sweep-top' }, ...d.top.map((t) => face(d, t))),
    h('h2', {}, 'Projection values over all swept images'),
    histogramSvg(d),
  );
  return out;
}

/** Prev/next neuron, the layer switcher, a link to the layer's list. */
export function neuronNav(layers: LayerEntry[], layer: string, neuron: number, channels: number | undefined): HTMLElement {
  const nav = h('p', { class: 'neuron-nav', id: 'neuron-nav' });
  if (channels !== undefined && neuron > 0) nav.append(h('a', { href: links.neuron(layer, neuron - 1), id: 'prev', rel: 'prev' }, `← #${neuron - 1}`), ' ');
  if (channels !== undefined && neuron + 1 < channels) nav.append(h('a', { href: links.neuron(layer, neuron + 1), id: 'next', rel: 'next' }, `#${neuron + 1} →`), ' ');
  nav.append(h('a', { href: links.layer(layer) }, `all neurons of ${layer}`), ' · layer: ');
  const sel = h('select', { id: 'layer-switch', 'aria-label': 'switch layer' }, ...layers.map((l) => h('option', { value: l.name, ...(l.name === layer ? { selected: true } : {}) }, l.name)));
  sel.addEventListener('change', () => {
    const target = layers.find((l) => l.name === sel.value);
    const n = target?.swept ? Math.min(neuron, target.swept.channels - 1) : target?.atlas?.neurons[0]?.neuron;
    location.hash = n === undefined ? links.layer(sel.value) : links.neuron(sel.value, n);
  });
  nav.append(sel);
  return nav;
}

/** "res64 36", "res64#36", "res64/36", "res64:36" -> the neuron's route; a message when unknown. */
export function parseGoto(text: string, layers: LayerEntry[]): { hash: string } | { error: string } {
  const m = /^\s*([^\s#/:]+)\s*[\s#/:]\s*#?(\d+)\s*$/.exec(text);
  const only = /^\s*([^\s#/:]+)\s*$/.exec(text);
  const name = m?.[1] ?? only?.[1];
  if (!name) return { error: 'type a layer and a neuron, e.g. "res64 36"' };
  const layer = layers.find((l) => l.name === name) ?? layers.find((l) => l.name.toLowerCase() === name.toLowerCase());
  if (!layer) return { error: `no layer "${name}"; layers: ${layers.map((l) => l.name).join(', ')}` };
  if (!m) return { hash: links.layer(layer.name) };
  const k = Number(m[2]);
  const max = layer.swept?.channels;
  if (max !== undefined && k >= max) return { error: `${layer.name} has neurons 0-${max - 1}` };
  if (max === undefined && !layer.atlas?.neurons.some((n) => n.neuron === k)) return { error: `${layer.name} was not swept; its atlas has ${layer.atlas?.neurons.map((n) => n.neuron).join(', ') ?? 'no neurons'}` };
  return { hash: links.neuron(layer.name, k) };
}

export { message };
