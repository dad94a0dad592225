/**
 * A matrix as a heatmap PNG with a colour bar. Vega would draw 262k SVG rects for a 512 x 512
 * matrix, so the cells are written as raw pixels (viridis-like ramp interpolated between a few
 * anchor colours) and sharp scales and encodes them; labels are a small SVG overlay.
 */
import sharp from 'sharp';

// Anchor colours of the viridis ramp (public colour values), linearly interpolated.
const RAMP: [number, number, number][] = [
  [68, 1, 84], [72, 40, 120], [62, 74, 137], [49, 104, 142], [38, 130, 142],
  [31, 158, 137], [53, 183, 121], [109, 205, 89], [180, 222, 44], [253, 231, 37],
];

export function rampColour(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(x));
  const f = x - i;
  const a = RAMP[i];
  const b = RAMP[i + 1];
  return [0, 1, 2].map((c) => Math.round(a[c] + (b[c] - a[c]) * f)) as [number, number, number];
}

export interface HeatmapOptions {
  /** Row/column order (e.g. from hierarchical clustering); identity by default. */
  order?: number[];
  min?: number;
  max?: number;
  /** Pixels per cell (default: so that the matrix is ~512 px). */
  cell?: number;
  title?: string;
}

export async function heatmapPng(M: Float64Array | Float32Array, n: number, opts: HeatmapOptions = {}): Promise<Buffer> {
  const order = opts.order ?? Array.from({ length: n }, (_, i) => i);
  const min = opts.min ?? 0;
  const max = opts.max ?? 1;
  const raw = Buffer.alloc(n * n * 3);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      const v = M[order[r] * n + order[c]];
      raw.set(rampColour((v - min) / (max - min || 1)), (r * n + c) * 3);
    }
  }
  const cell = opts.cell ?? Math.max(1, Math.floor(512 / n));
  const side = n * cell;
  const matrix = await sharp(raw, { raw: { width: n, height: n, channels: 3 } })
    .resize(side, side, { kernel: 'nearest' })
    .png()
    .toBuffer();
  const barW = 16;
  const bar = Buffer.alloc(barW * side * 3);
  for (let y = 0; y < side; y++) {
    const col = rampColour(1 - y / (side - 1));
    for (let x = 0; x < barW; x++) bar.set(col, (y * barW + x) * 3);
  }
  const margin = { top: 30, left: 10, right: 70 };
  const width = margin.left + side + 10 + barW + margin.right - 10;
  const height = margin.top + side + 10;
  const label = (x: number, y: number, s: string, size = 11) =>
    `<text x="${x}" y="${y}" font-family="sans-serif" font-size="${size}" fill="#222">${s}</text>`;
  const svg = `<svg width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">${label(margin.left, 18, opts.title ?? '', 13)}${label(margin.left + side + 10 + barW + 4, margin.top + 10, max.toFixed(2))}${label(margin.left + side + 10 + barW + 4, margin.top + side, min.toFixed(2))}</svg>`;
  return sharp({ create: { width, height, channels: 3, background: { r: 255, g: 255, b: 255 } } })
    .composite([
      { input: matrix, left: margin.left, top: margin.top },
      { input: bar, raw: { width: barW, height: side, channels: 3 }, left: margin.left + side + 10, top: margin.top },
      { input: Buffer.from(svg), left: 0, top: 0 },
    ])
    .png()
    .toBuffer();
}

export interface HeatmapSvgOptions {
  /** Row/column order; identity by default. */
  order?: number[];
  min?: number;
  max?: number;
  /** Matrix side on screen (CSS px). */
  side?: number;
  /** Label of neuron k on the axes (default `#k`). */
  label?: (k: number) => string;
  /** Colour-bar title. */
  barTitle?: string;
  /** Values outside [min, max] are undefined (drawn grey) instead of clipped. */
  outsideUndefined?: boolean;
}

/** Grey of undefined cells. */
export const UNDEFINED_GREY: [number, number, number] = [190, 190, 190];

/** The matrix cells as an n x n RGB PNG (one pixel per cell, in `order`); undefined cells grey. */
export async function heatmapCells(M: ArrayLike<number>, n: number, opts: HeatmapSvgOptions = {}): Promise<{ png: Buffer; undefinedCells: number }> {
  const order = opts.order ?? Array.from({ length: n }, (_, i) => i);
  const min = opts.min ?? 0;
  const max = opts.max ?? 1;
  const raw = Buffer.alloc(n * n * 3);
  let undef = 0;
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      const v = M[order[r] * n + order[c]];
      const out = !Number.isFinite(v) || (opts.outsideUndefined === true && (v < min - 1e-9 || v > max + 1e-9));
      if (out) undef++;
      raw.set(out ? UNDEFINED_GREY : rampColour((v - min) / (max - min || 1)), (r * n + c) * 3);
    }
  }
  return { png: await sharp(raw, { raw: { width: n, height: n, channels: 3 } }).png().toBuffer(), undefinedCells: undef };
}

const xmlEsc = (s: string) => s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);

/**
 * A heatmap as SVG around a raster of its cells (`cellsHref`, from heatmapCells): neuron-id ticks
 * on both axes (a readable subset, in the displayed order), a labelled colour bar, a title. All
 * text is >= 11 units, drawn at 1 unit = 1 CSS px.
 */
export function heatmapSvg(n: number, cellsHref: string, opts: HeatmapSvgOptions & { title?: string } = {}): string {
  const order = opts.order ?? Array.from({ length: n }, (_, i) => i);
  const side = opts.side ?? 240;
  const label = opts.label ?? ((k: number) => `#${k}`);
  const min = opts.min ?? 0;
  const max = opts.max ?? 1;
  const font = 11;
  const left = 46, top = opts.title ? 26 : 8, bottom = 40, barW = 12, barGap = 10, right = 64;
  const W = left + side + barGap + barW + right;
  const H = top + side + bottom;
  const cell = side / n;
  // Ticks at least 16 px apart.
  const every = Math.max(1, Math.ceil(16 / cell));
  const ticks: string[] = [];
  for (let r = 0; r < n; r += every) {
    const y = top + (r + 0.5) * cell;
    const x = left + (r + 0.5) * cell;
    ticks.push(`<text x="${left - 4}" y="${y.toFixed(1)}" text-anchor="end" dominant-baseline="middle">${xmlEsc(label(order[r]!))}</text>`);
    if (r % (every * Math.max(1, Math.ceil(34 / (every * cell)))) === 0) {
      ticks.push(`<text x="${x.toFixed(1)}" y="${top + side + 14}" text-anchor="middle">${xmlEsc(label(order[r]!))}</text>`);
    }
  }
  const bx = left + side + barGap;
  const stops = Array.from({ length: 11 }, (_, i) => {
    const [r, g, b] = rampColour(i / 10);
    return `<stop offset="${i * 10}%" stop-color="rgb(${r},${g},${b})"/>`;
  }).join('');
  // A stable id per figure (several heatmaps share one page).
  let h = 0;
  for (let i = 0; i < cellsHref.length; i += Math.max(1, Math.floor(cellsHref.length / 4096))) h = (h * 31 + cellsHref.charCodeAt(i)) >>> 0;
  const gid = `hm-grad-${n}-${h.toString(36)}`;
  const barTicks = [0, 0.5, 1].map((t) => {
    const y = top + side - t * side;
    return `<line x1="${bx + barW}" x2="${bx + barW + 4}" y1="${y}" y2="${y}" stroke="#333"/><text x="${bx + barW + 6}" y="${y}" dominant-baseline="middle">${(min + t * (max - min)).toFixed(2)}</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="${font}" fill="#222">` +
    `<defs><linearGradient id="${gid}" x1="0" y1="1" x2="0" y2="0">${stops}</linearGradient></defs>` +
    (opts.title ? `<text x="0" y="16" font-size="13" font-weight="bold">${xmlEsc(opts.title)}</text>` : '') +
    `<image href="${xmlEsc(cellsHref)}" x="${left}" y="${top}" width="${side}" height="${side}" preserveAspectRatio="none" style="image-rendering:pixelated"/>` +
    `<rect x="${left}" y="${top}" width="${side}" height="${side}" fill="none" stroke="#999"/>` +
    ticks.join('') +
    `<text x="${left + side / 2}" y="${top + side + 32}" text-anchor="middle">neuron (clustered order)</text>` +
    `<rect x="${bx}" y="${top}" width="${barW}" height="${side}" fill="url(#${gid})" stroke="#999"/>` +
    barTicks.join('') +
    `<text transform="translate(${bx + barW + 50},${top + side / 2}) rotate(90)" text-anchor="middle">${xmlEsc(opts.barTitle ?? 'value')}</text>` +
    '</svg>';
}
