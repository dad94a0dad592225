/**
 * Projections computed by `facelens serve` on demand (GET /api/sweep/projection/<L>/<k>/<row>,
 * src/web/projection-service.ts): an image slot per (neuron, image) that is filled when asked
 * (computing takes the model; the server caches each tile on disk). A failed tile asks the
 * server why (model missing, image gone) and shows that reason once per panel.
 */
import { h, message } from './dom.js';

export const projectionUrl = (layer: string, neuron: number, row: number, mode = 'deconv') =>
  `/api/sweep/projection/${encodeURIComponent(layer)}/${neuron}/${row}${mode === 'deconv' ? '' : `?mode=${encodeURIComponent(mode)}`}`;

export interface TileSlot {
  el: HTMLElement;
  /** Starts loading; resolves when the tile has loaded (true) or failed (false). */
  load(): Promise<boolean>;
}

/** An empty slot that loads the tile of (layer, neuron, row) when `load()` is called. */
export function tileSlot(layer: string, neuron: number, row: number, onError: (why: string) => void, alt: string): TileSlot {
  const el = h('div', { class: 'proj-slot', 'data-neuron': neuron, 'data-row': row });
  let started: Promise<boolean> | undefined;
  return {
    el,
    load() {
      if (started) return started;
      const url = projectionUrl(layer, neuron, row);
      el.classList.add('loading');
      const img = h('img', { alt, width: 192, height: 96, class: 'proj' });
      let done: (ok: boolean) => void = () => undefined;
      started = new Promise<boolean>((resolve) => (done = resolve));
      img.addEventListener('load', () => {
        el.classList.remove('loading');
        done(true);
      });
      img.addEventListener('error', () => {
        el.classList.remove('loading');
        img.remove();
        done(false);
        // The image request failed: ask for the reason (the server answers with one line).
        void fetch(url)
          .then(async (r) => (r.ok ? 'the image did not decode' : (await r.text()).trim() || `${r.status} ${r.statusText}`))
          .catch((e: Error) => e.message)
          .then((why) => onError(why));
      });
      img.src = url;
      el.append(img);
      return started;
    },
  };
}

/**
 * A button that fills every slot, and the place where a failure is explained (once): what the
 * server said and what the reader can do about it.
 */
export function computeButton(label: string, slots: () => TileSlot[]): { button: HTMLButtonElement; note: HTMLElement } {
  const note = h('div', { class: 'ondemand-note' });
  const button = h('button', { type: 'button', class: 'compute' }, label);
  button.addEventListener('click', () => {
    button.disabled = true;
    button.textContent = 'computing… (the server caches each projection)';
    const all = slots();
    void Promise.all(all.map((s) => s.load())).then((ok) => {
      const n = ok.filter(Boolean).length;
      button.textContent = `${n} of ${all.length} projections shown (cached on the server)`;
    });
  });
  return { button, note };
}

/** Shows a failure reason once in `note`. */
export function reportOnce(note: HTMLElement): (why: string) => void {
  let shown = false;
  return (why) => {
    if (shown) return;
    shown = true;
    note.append(message(`Projections cannot be computed here: ${why}. They need the sweep's model and its images on this machine (\`facelens serve\` computes them on demand).`, true));
  };
}
