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
