/**
 * Geometry of the atlas mosaic (src/figures/mosaic.ts: tiles on a cols x rows grid, a
 * 2-pixel gap between and around them) and a thumbnail of one tile cut out of it by CSS.
 */
import { h } from './dom.js';

export const MOSAIC_GAP = 2;

export interface TileBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Pixel box of the tile at (col, row) of a mosaic of natural size W x H. */
export function tileBox(W: number, H: number, grid: { cols: number; rows: number }, col: number, row: number): TileBox {
  const tw = (W - (grid.cols + 1) * MOSAIC_GAP) / grid.cols;
  const th = (H - (grid.rows + 1) * MOSAIC_GAP) / grid.rows;
  return { left: MOSAIC_GAP + col * (tw + MOSAIC_GAP), top: MOSAIC_GAP + row * (th + MOSAIC_GAP), width: tw, height: th };
}

/** A 128 x 64 box showing one tile of the mosaic at `src` (scaled once the image is loaded). */
export function tileThumb(src: string, alt: string, grid: { cols: number; rows: number }, col: number, row: number): HTMLElement {
  const img = h('img', { src, alt });
  const box = h('div', { class: 'thumb' }, img);
  img.addEventListener('load', () => {
    const t = tileBox(img.naturalWidth, img.naturalHeight, grid, col, row);
    const scale = Math.min(128 / t.width, 64 / t.height);
    img.style.width = `${img.naturalWidth * scale}px`;
    img.style.left = `${-t.left * scale}px`;
    img.style.top = `${-t.top * scale}px`;
    box.style.width = `${t.width * scale}px`;
    box.style.height = `${t.height * scale}px`;
  });
  return box;
}
