/** A grid of face crops as one PNG (sharp composites the tiles; captions are SVG overlays). */
import sharp, { type OverlayOptions } from 'sharp';
import type { RgbImage } from '../data/image.js';

/** Caption font size in pixels (the report shows sheets at >= 11/CAPTION_FONT of their size, so captions stay legible). */
export const CAPTION_FONT = 12;

export interface SheetOptions {
  columns?: number;
  gap?: number;
  captions?: string[];
  background?: { r: number; g: number; b: number };
}

function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}

export async function contactSheet(tiles: RgbImage[], opts: SheetOptions = {}): Promise<Buffer> {
  if (tiles.length === 0) throw new Error('contactSheet: no tiles');
  const tw = Math.max(...tiles.map((t) => t.width));
  const th = Math.max(...tiles.map((t) => t.height));
  const cols = opts.columns ?? Math.ceil(Math.sqrt(tiles.length));
  const rows = Math.ceil(tiles.length / cols);
  const gap = opts.gap ?? 4;
  const capH = opts.captions ? CAPTION_FONT + 5 : 0;
  const width = cols * tw + (cols + 1) * gap;
  const height = rows * (th + capH) + (rows + 1) * gap;
  const composites: OverlayOptions[] = [];
  tiles.forEach((t, i) => {
    const left = gap + (i % cols) * (tw + gap);
    const top = gap + Math.floor(i / cols) * (th + capH + gap);
    composites.push({ input: Buffer.from(t.data), raw: { width: t.width, height: t.height, channels: 3 }, left, top });
    const cap = opts.captions?.[i];
    if (cap) {
      const svg = `<svg width="${tw}" height="${capH}" xmlns="http://www.w3.org/2000/svg"><text x="2" y="${capH - 4}" font-family="sans-serif" font-size="${CAPTION_FONT}" fill="#222">${escapeXml(cap.slice(0, Math.floor(tw / 7)))}</text></svg>`;
      composites.push({ input: Buffer.from(svg), left, top: top + th });
    }
  });
  return sharp({
    create: { width, height, channels: 3, background: opts.background ?? { r: 245, g: 245, b: 245 } },
  })
    .composite(composites)
    .png()
    .toBuffer();
}
