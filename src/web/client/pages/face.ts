/**
 * The per-face view ("for this face, what fires and where", the Captum Insights question): one
 * swept image, per swept layer its most active neurons (from the sweep: projection value, the
 * image's rank among all swept images for that neuron), their argmax receptive-field boxes on
 * the aligned crop, and their deconvnet projections on this face, computed on demand by serve.
 * Also the face picker (every swept image).
 */
import type { FaceSweepResponse } from '../../../results/explorer-index.js';
import { fmt, h, message } from '../dom.js';
import { computeButton, reportOnce, tileSlot, type TileSlot } from '../ondemand.js';
import { links } from '../router.js';

const COLOURS = ['#ffeb3b', '#00e5ff', '#ff4081', '#76ff03', '#ff9100', '#d500f9', '#ffffff', '#2979ff'];
const SIZE = 180;

/** The aligned crop with numbered RF boxes of the layer's top neurons. */
function boxedFace(d: FaceSweepResponse, l: FaceSweepResponse['layers'][number]): HTMLElement {
  const img = h('img', { src: `/api/sweep/aligned/${d.row}`, alt: `aligned crop of ${d.id}`, width: SIZE, height: SIZE });
  const box = h('div', { class: 'face', style: `width:${SIZE}px;height:${SIZE}px` }, img);
  const sx = SIZE / d.input.width, sy = SIZE / d.input.height;
  l.neurons.forEach((n, i) => {
    if (!n.box) return;
    const c = COLOURS[i % COLOURS.length];
    box.append(
      h('div', {
        class: 'rf',
        'data-neuron': n.neuron,
        title: `#${n.neuron}: receptive field of its argmax cell`,
        style: `left:${n.box.x0 * sx}px;top:${n.box.y0 * sy}px;width:${(n.box.x1 - n.box.x0 + 1) * sx}px;height:${(n.box.y1 - n.box.y0 + 1) * sy}px;border-color:${c}`,
      }),
    );
  });
  return box;
}

export async function facePage(row: number, by?: 'relative'): Promise<HTMLElement> {
  const main = h('div', {}, h('h1', { id: 'face-title' }, `Face ${row}`));
  const r = await fetch(`/api/sweep/face/${row}?top=6${by ? `&by=${by}` : ''}`);
  if (!r.ok) {
    main.append(message(r.status === 404 ? `The sweep has no image ${row} (or this folder has no sweep).` : `The sweep cannot be read: ${r.status} ${r.statusText}`, true), h('p', {}, h('a', { href: links.faces() }, 'all faces')));
    return main;
  }
  const d = (await r.json()) as FaceSweepResponse;
  main.querySelector('h1')!.textContent = `Face ${d.id}`;
  const nav = h('p', { class: 'neuron-nav', id: 'face-nav' });
  if (d.prev !== undefined) nav.append(h('a', { href: links.face(d.prev), id: 'prev', rel: 'prev' }, '← previous face'), ' ');
  if (d.next !== undefined) nav.append(h('a', { href: links.face(d.next), id: 'next', rel: 'next' }, 'next face →'), ' ');
  nav.append(h('a', { href: links.faces() }, `all ${d.images} faces`));
  const sorts = h(
    'p',
    { class: 'modes', id: 'face-sort' },
    'Rank neurons by: ',
    h('a', { href: links.face(d.row), role: 'button', 'aria-pressed': String(d.by === 'value'), 'data-by': 'value' }, 'activation'),
    h('a', { href: links.face(d.row, 'relative'), role: 'button', 'aria-pressed': String(d.by === 'relative'), 'data-by': 'relative' }, "activation / the neuron's max"),
  );
  main.append(
    nav,
    sorts,
    h(
      'p',
      {},
      `${d.identity ? `Identity ${d.identity}. ` : ''}Per layer, the neurons with the highest projection value (max over positions) on this face, from the sweep${d.by === 'relative' ? ", divided by each neuron's max over all swept faces (the neurons for which this face is among their best)" : ''}. `,
      '"Rank r" = this face is the neuron\'s r-th best of the swept images. Boxes: the receptive field of each neuron\'s argmax cell on the aligned crop the network saw (colour = position in the list). ',
      'Projections: the deconvnet projection of the neuron at that cell back to pixels, [receptive-field patch | projection blended on it], each tile on its own scale.',
    ),
  );
  const slots: TileSlot[] = [];
  const { button, note } = computeButton('Compute the projections of these neurons on this face', () => slots);
  const fail = reportOnce(note);
  main.append(h('p', {}, button), note);
  for (const l of d.layers) {
    const cards = l.neurons.map((n, i) => {
      const slot = tileSlot(l.layer, n.neuron, d.row, fail, `${l.layer} #${n.neuron} projected on ${d.id}`);
      slots.push(slot);
      return h(
        'figure',
        { class: 'face-neuron', 'data-neuron': n.neuron },
        slot.el,
        h(
          'figcaption',
          {},
          h('span', { class: 'swatch', style: `background:${COLOURS[i % COLOURS.length]}` }),
          h('a', { href: links.neuron(l.layer, n.neuron), class: 'neuron-link', 'data-neuron': n.neuron }, `${l.layer} #${n.neuron}`),
          ` ${fmt(n.value, 3)} (max ${fmt(n.max, 3)}), rank ${n.rank} of ${d.images}`,
        ),
      );
    });
    main.append(
      h(
        'section',
        { class: 'face-layer', 'data-layer': l.layer },
        h('h2', {}, `${l.layer}: top ${l.neurons.length} of ${l.channels} neurons`, l.spatial ? '' : ' (a vector layer: each unit sees the whole face)'),
        h('div', { class: 'face-row' }, boxedFace(d, l), h('div', { class: 'grid' }, ...cards)),
      ),
    );
  }
  return main;
}

/** Every swept image, grouped by identity, each linking to its face view. */
export async function facesPage(): Promise<HTMLElement> {
  const main = h('div', {}, h('h1', {}, 'Faces'));
  const r = await fetch('/api/sweep/faces');
  if (!r.ok) {
    main.append(message('This folder has no sweep: the per-face view needs one (`facelens sweep`).', true));
    return main;
  }
  const items = (await r.json()) as { row: number; id: string; identity?: string }[];
  main.append(h('p', {}, `${items.length} swept images. Pick one to see, per layer, which neurons fire on it and where.`));
  const list = h('div', { class: 'grid', id: 'faces' });
  for (const it of items) {
    list.append(
      h(
        'a',
        { class: 'card face-card', href: links.face(it.row), 'data-row': it.row },
        h('img', { src: `/api/sweep/image/${it.row}`, alt: it.id, width: 72, height: 72, loading: 'lazy', style: 'object-fit:cover' }),
        h('div', { style: 'font-size:12px;max-width:120px;word-break:break-all' }, it.id),
      ),
    );
  }
  main.append(list);
  return main;
}
