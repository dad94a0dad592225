/**
 * Figures of the report. Charts are Vega-Lite SVG inlined in the page at their own size (1 SVG
 * unit = 1 CSS px, so their text is as large on screen as it was drawn) and also written to
 * `report/<name>.svg` as a download. Raster images of the results (photos, mosaics, AM images)
 * are re-encoded as WebP into `report/img/` (PNG photos weigh ~10x more) and referenced by
 * relative paths with explicit width/height, so the page opens from disk and does not jump; the
 * original file stays linked. In single-file mode every image is a data: URI instead.
 * An image that carries text states its smallest text size (`data-text-px`, in its own pixels),
 * so a browser test can check the text is never shown below 11 CSS px.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { chartSvg, type ChartSpec } from '../../figures/plot.js';
import { esc } from './escape.js';

export const ASSET_DIR = 'report';
/** Width of the page's content column (CSS px); figures never exceed it. */
export const CONTENT_WIDTH = 1140;

export interface ImgOptions {
  /** Largest display width in CSS px (the image is never enlarged beyond its pixels x `scale`). */
  maxWidth?: number;
  /** Display scale relative to the image's pixels (default 1; 2 = nearest-neighbour 2x for small tiles). */
  scale?: number;
  cls?: string;
  /** Smallest text in the image, in its own pixels; such images are never shown smaller than needed for 11 px. */
  textPx?: number;
  /** Wrap in a link that opens a full-screen zoom view (CSS :target, no script). */
  zoom?: boolean;
  /** Re-encoding: 'photo' (lossy WebP), 'captioned' (lossy, high quality: photos with small captions), 'lossless' (charts, flat colours), 'keep'. */
  encode?: 'photo' | 'captioned' | 'lossless' | 'keep';
  /** Show only the top `fraction` (0..1] of the image (e.g. the first rows of a contact sheet). */
  topFraction?: number;
}

export class Assets {
  /** Every image path referenced by the page (results-relative, as in the src attributes). */
  readonly referenced: string[] = [];
  /** Zoom overlays, rendered once at the end of the page. */
  readonly overlays: string[] = [];
  private zoomCount = 0;

  constructor(
    readonly dir: string,
    /** Single-file mode: images become data: URIs. */
    readonly inline = false,
  ) {}

  /** Results-relative path of an absolute or relative path inside the results directory; undefined if outside. */
  relative(p: string): string | undefined {
    const abs = path.resolve(this.dir, p);
    const r = path.relative(this.dir, abs);
    if (r === '' || r.startsWith('..') || path.isAbsolute(r)) return undefined;
    return r.split(path.sep).join('/');
  }

  /** An href for a results file (URL-encoded, relative). */
  href(rel: string): string {
    return rel.split('/').map(encodeURIComponent).join('/');
  }

  /** Encodes `rel` for the page; returns the src and its pixel size. */
  private async encoded(rel: string, mode: ImgOptions['encode'], topFraction = 1): Promise<{ src: string; w: number; h: number }> {
    const file = path.join(this.dir, rel);
    let input = await readFile(file);
    const m = await sharp(input).metadata();
    if (!m.width || !m.height) throw new Error('no size');
    let height = m.height;
    if (topFraction < 1) {
      height = Math.max(1, Math.round(m.height * topFraction));
      input = await sharp(input).extract({ left: 0, top: 0, width: m.width, height }).png().toBuffer();
      rel = rel.replace(/(\.[^.]+)$/, `-top${Math.round(topFraction * 1000)}$1`);
    }
    let bytes = input;
    let ext = path.extname(rel).slice(1).toLowerCase();
    if (mode !== 'keep' && ext !== 'svg') {
      bytes = await sharp(input).webp(mode === 'lossless' ? { lossless: true, effort: 3 } : { quality: mode === 'captioned' ? 90 : 82, effort: 3 }).toBuffer();
      ext = 'webp';
    }
    if (this.inline) {
      const type = ext === 'svg' ? 'image/svg+xml' : ext === 'jpg' ? 'image/jpeg' : `image/${ext}`;
      return { src: `data:${type};base64,${bytes.toString('base64')}`, w: m.width, h: height };
    }
    const stem = path.basename(rel).replace(/\.[^.]+$/, '').replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 60);
    const name = `${stem}-${createHash('sha1').update(rel).digest('hex').slice(0, 8)}.${ext}`;
    await mkdir(path.join(this.dir, ASSET_DIR, 'img'), { recursive: true });
    await writeFile(path.join(this.dir, ASSET_DIR, 'img', name), bytes);
    const out = `${ASSET_DIR}/img/${name}`;
    this.referenced.push(out);
    return { src: this.href(out), w: m.width, h: height };
  }

  /**
   * `<img>` of a file in the results directory (re-encoded, see the file comment); a visible note
   * instead when the file is missing or unreadable.
   */
  async img(file: string, alt: string, opts: ImgOptions = {}): Promise<string> {
    const rel = this.relative(file);
    if (!rel) return `<p class="missing">image outside the results directory: ${esc(file)}</p>`;
    let e: { src: string; w: number; h: number };
    try {
      e = await this.encoded(rel, opts.encode ?? (opts.textPx ? 'captioned' : 'photo'), opts.topFraction);
    } catch {
      return `<p class="missing">missing image: ${esc(rel)}</p>`;
    }
    const scale = opts.scale ?? 1;
    let dw = e.w * scale, dh = e.h * scale;
    let max = Math.min(opts.maxWidth ?? CONTENT_WIDTH, CONTENT_WIDTH);
    // Text must stay >= 11 CSS px: never shrink a text-carrying image below that; one wider
    // than the column scrolls sideways inside its own box (the page does not).
    const needed = opts.textPx ? Math.ceil((e.w * 11) / opts.textPx) : 0;
    const scroll = needed > CONTENT_WIDTH;
    if (opts.textPx) max = Math.max(max, needed);
    if (dw > max) {
      dh = (dh * max) / dw;
      dw = max;
    }
    const cls = [opts.cls, scale > 1 ? 'pixelated' : ''].filter(Boolean).join(' ');
    const tag = `<img src="${esc(e.src)}" width="${Math.round(dw)}" height="${Math.round(dh)}" alt="${esc(alt)}"${cls ? ` class="${esc(cls)}"` : ''}${opts.textPx ? ` data-text-px="${opts.textPx}"` : ''} loading="lazy">`;
    const wrapped = scroll ? `<div class="hscroll">${tag}</div>` : tag;
    if (!opts.zoom) return wrapped;
    const id = `zoom-${++this.zoomCount}`;
    this.overlays.push(
      `<div class="zoom" id="${id}"><a class="zoom-close" href="#_" aria-label="close">×</a><img src="${esc(e.src)}" width="${e.w * 2}" height="${e.h * 2}" alt="${esc(alt)} (enlarged)" class="pixelated" loading="lazy"><p>${esc(alt)} — <a href="${esc(this.href(rel))}">original file</a></p></div>`,
    );
    return scroll ? `<div class="hscroll"><a href="#${id}" class="zoomable" title="click to enlarge">${tag}</a></div>` : `<a href="#${id}" class="zoomable" title="click to enlarge">${tag}</a>`;
  }

  /** Stores generated image bytes (PNG in, lossless WebP out) as `report/img/<name>.webp`; returns its href (a data: URI in single-file mode). */
  async generated(name: string, png: Buffer): Promise<string> {
    const bytes = await sharp(png).webp({ lossless: true, effort: 3 }).toBuffer();
    if (this.inline) return `data:image/webp;base64,${bytes.toString('base64')}`;
    await mkdir(path.join(this.dir, ASSET_DIR, 'img'), { recursive: true });
    const rel = `${ASSET_DIR}/img/${name.replace(/[^A-Za-z0-9_-]+/g, '_')}.webp`;
    await writeFile(path.join(this.dir, rel), bytes);
    this.referenced.push(rel);
    return this.href(rel);
  }

  /**
   * A chart: written to `report/<name>.svg` (the download) and returned as inline SVG at its own
   * size, shrinking only on narrow screens.
   */
  async chart(name: string, spec: ChartSpec, alt: string): Promise<string> {
    const svg = await chartSvg(spec);
    await mkdir(path.join(this.dir, ASSET_DIR), { recursive: true });
    const rel = `${ASSET_DIR}/${name}.svg`;
    await writeFile(path.join(this.dir, rel), svg);
    return inlineSvg(svg, alt);
  }
}

/** An SVG document as an inline, accessible, responsive element. */
export function inlineSvg(svg: string, alt: string): string {
  const body = svg.replace(/^<\?xml[^>]*>\s*/, '');
  const open = /^<svg\b[^>]*>/.exec(body)?.[0] ?? '<svg>';
  const tag = open.includes('class="') ? open.replace('class="', 'class="figure-svg ') : open.replace(/^<svg\b/, '<svg class="figure-svg"');
  // Drawn at its own size; on a narrow screen it scrolls sideways in its own box (text stays legible).
  return `<div class="hscroll">${tag.replace(/^<svg\b/, `<svg role="img" aria-label="${esc(alt)}"`)}${body.slice(open.length)}</div>`;
}
