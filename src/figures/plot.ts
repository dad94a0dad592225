/**
 * Charts: Vega-Lite specs rendered headless to SVG by Vega (no browser, no canvas), and to PNG
 * by sharp. The report inlines the SVG; the commands write the PNG next to their results.
 */
import sharp from 'sharp';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { writeFileAtomic } from '../io/atomic.js';

export type ChartSpec = TopLevelSpec;

/**
 * Font sizes in SVG user units. Charts are shown at their own size (1 unit = 1 CSS px), so every
 * text is at least MIN_CHART_FONT px on screen at full width.
 */
export const MIN_CHART_FONT = 12;
const CHART_CONFIG = {
  font: 'sans-serif',
  // No ARIA attributes per mark and axis: the report inlines each chart as one role="img" with its own
  // label (whose children screen readers skip), and they were ~40% of every SVG's bytes.
  aria: false,
  axis: { labelFontSize: MIN_CHART_FONT, titleFontSize: MIN_CHART_FONT },
  legend: { labelFontSize: MIN_CHART_FONT, titleFontSize: MIN_CHART_FONT, labelLimit: 220 },
  header: { labelFontSize: MIN_CHART_FONT, titleFontSize: MIN_CHART_FONT },
  title: { fontSize: 14, subtitleFontSize: MIN_CHART_FONT, anchor: 'start' },
  text: { fontSize: MIN_CHART_FONT },
} as const;

/** The spec with facelens' legibility defaults under its own config (the spec's config wins). */
export function withChartConfig(spec: ChartSpec): ChartSpec {
  const own = (spec as { config?: Record<string, unknown> }).config ?? {};
  const merged: Record<string, unknown> = { ...CHART_CONFIG };
  for (const [k, v] of Object.entries(own)) merged[k] = typeof v === 'object' && v && typeof merged[k] === 'object' ? { ...(merged[k] as object), ...v } : v;
  return { ...spec, config: merged } as ChartSpec;
}

export async function chartSvg(spec: ChartSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(withChartConfig(spec)).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Renders the chart and writes `<base>.png` and `<base>.svg`; returns the SVG text. */
export async function writeChart(spec: ChartSpec, base: string, scale = 2): Promise<string> {
  const svg = await chartSvg(spec);
  await writeFileAtomic(`${base}.svg`, svg);
  await writeFileAtomic(`${base}.png`, await sharp(Buffer.from(svg), { density: 72 * scale }).png().toBuffer());
  return svg;
}

/** A line chart with one line per series: the common shape of facelens' probe plots. */
export function lineChart(opts: {
  title: string;
  rows: Record<string, number | string>[];
  x: { field: string; title: string; scale?: 'linear' | 'log' };
  y: { field: string; title: string; domain?: [number, number] };
  series: { field: string; title: string; sort?: string[] };
  facet?: { field: string; title: string; columns?: number };
  width?: number;
  height?: number;
  /** Draw a marker at each point (default true). */
  points?: boolean;
}): ChartSpec {
  const inner = {
    width: opts.width ?? 320,
    height: opts.height ?? 220,
    mark: { type: 'line' as const, point: opts.points ?? true },
    encoding: {
      x: { field: opts.x.field, type: 'quantitative' as const, title: opts.x.title, scale: { type: opts.x.scale ?? 'linear' } },
      y: {
        field: opts.y.field,
        type: 'quantitative' as const,
        title: opts.y.title,
        ...(opts.y.domain ? { scale: { domain: opts.y.domain } } : {}),
      },
      color: { field: opts.series.field, type: 'nominal' as const, title: opts.series.title, ...(opts.series.sort ? { sort: opts.series.sort } : {}) },
    },
  };
  if (opts.facet) {
    return {
      title: opts.title,
      data: { values: opts.rows },
      facet: { field: opts.facet.field, type: 'nominal', title: opts.facet.title },
      columns: opts.facet.columns ?? 3,
      spec: inner,
    } as ChartSpec;
  }
  return { title: opts.title, data: { values: opts.rows }, ...inner } as ChartSpec;
}
