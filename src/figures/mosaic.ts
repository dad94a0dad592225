/** The atlas mosaic: one tile per sample, placed at its grid cell (t-SNE layout). */
import sharp, { type OverlayOptions } from 'sharp';
import type { RgbImage } from '../data/image.js';

export interface MosaicOptions {
  cols: number;
  rows: number;
  /** Pixels between tiles and around the mosaic (default 2). */
  gap?: number;
  background?: { r: number; g: number; b: number };
}

/** PNG of the tiles, tile k at (col[k], row[k]); every tile has the same size. */
export async function renderMosaic(tiles: RgbImage[], col: number[], row: number[], opts: MosaicOptions): Promise<Buffer> {
  if (tiles.length === 0) throw new Error('renderMosaic: no tiles');
  const tw = tiles[0].width;
  const th = tiles[0].height;
  const gap = opts.gap ?? 2;
  const width = opts.cols * tw + (opts.cols + 1) * gap;
  const height = opts.rows * th + (opts.rows + 1) * gap;
  const composites: OverlayOptions[] = tiles.map((t, k) => {
    if (t.width !== tw || t.height !== th) throw new Error('renderMosaic: tiles differ in size');
    if (!(col[k] >= 0 && col[k] < opts.cols && row[k] >= 0 && row[k] < opts.rows)) throw new Error(`renderMosaic: tile ${k} has no grid cell`);
    return {
      input: Buffer.from(t.data.buffer, t.data.byteOffset, t.data.length),
      raw: { width: tw, height: th, channels: 3 },
      left: gap + col[k] * (tw + gap),
      top: gap + row[k] * (th + gap),
    };
  });
  return sharp({ create: { width, height, channels: 3, background: opts.background ?? { r: 255, g: 255, b: 255 } } })
    .composite(composites)
    .png({ compressionLevel: 6 })
    .toBuffer();
}
