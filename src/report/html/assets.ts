/**
 * Images of the report: every `<img>` has a relative `src` (results-directory relative, '/'
 * separators) and explicit width/height read from the file, so the page opens from disk and its
 * layout does not jump. Charts are rendered with plot.ts into `report/`.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { writeChart, type ChartSpec } from '../../figures/plot.js';
import { esc } from './escape.js';

export const ASSET_DIR = 'report';

/** Scale at which charts are rasterised. */
const CHART_SCALE = 2;
/** Charts are shown at 1/CHART_DENSITY of the PNG's pixels (a little larger than the SVG's own size). */
const CHART_DENSITY = 1.5;

export class Assets {
  /** Every image path referenced by the page (results-relative). */
  readonly referenced: string[] = [];

  constructor(readonly dir: string) {}

  /** Results-relative path of an absolute or relative path inside the results directory; undefined if outside. */
  relative(p: string): string | undefined {
    const abs = path.resolve(this.dir, p);
    const r = path.relative(this.dir, abs);
    if (r === '' || r.startsWith('..') || path.isAbsolute(r)) return undefined;
    return r.split(path.sep).join('/');
  }

  /**
   * `<img>` of a file in the results directory, scaled to at most `maxWidth` CSS pixels (and
   * `1/density` of its pixel size); a visible note instead when the file is missing or unreadable.
   */
  async img(file: string, alt: string, opts: { maxWidth?: number; density?: number; cls?: string } = {}): Promise<string> {
    const rel = this.relative(file);
    if (!rel) return `<p class="missing">image outside the results directory: ${esc(file)}</p>`;
    let w: number, h: number;
    try {
      const m = await sharp(path.join(this.dir, rel)).metadata();
      if (!m.width || !m.height) throw new Error('no size');
      w = m.width;
      h = m.height;
    } catch {
      return `<p class="missing">missing image: ${esc(rel)}</p>`;
    }
    const density = opts.density ?? 1;
    let dw = w / density, dh = h / density;
    const max = opts.maxWidth ?? 900;
    if (dw > max) {
      dh = (dh * max) / dw;
      dw = max;
    }
    this.referenced.push(rel);
    const src = rel.split('/').map(encodeURIComponent).join('/');
    return `<img src="${esc(src)}" width="${Math.round(dw)}" height="${Math.round(dh)}" alt="${esc(alt)}"${opts.cls ? ` class="${esc(opts.cls)}"` : ''} loading="lazy">`;
  }

  /** Renders a chart to `report/<name>.png` (+ .svg) and returns its `<img>`. */
  async chart(name: string, spec: ChartSpec, alt: string, maxWidth = 900): Promise<string> {
    await mkdir(path.join(this.dir, ASSET_DIR), { recursive: true });
    const base = path.join(this.dir, ASSET_DIR, name);
    await writeChart(spec, base, CHART_SCALE);
    return this.img(`${base}.png`, alt, { density: CHART_DENSITY, maxWidth, cls: 'chart' });
  }
}
