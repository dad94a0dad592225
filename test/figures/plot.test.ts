import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { chartSvg, lineChart, writeChart } from '../../src/figures/plot.ts';

const spec = lineChart({
  title: 'cosine distance vs shift',
  rows: [0, 10, 20].flatMap((x) => ['pool1', 'res64'].map((layer, i) => ({ x, d: x / (10 + 10 * i), layer }))),
  x: { field: 'x', title: 'shift (px)' },
  y: { field: 'd', title: 'cosine distance' },
  series: { field: 'layer', title: 'layer' },
});

test('a line chart renders to SVG with its title, axis titles and a legend entry per series', async () => {
  const svg = await chartSvg(spec);
  for (const s of ['cosine distance vs shift', 'shift (px)', 'cosine distance', 'pool1', 'res64']) {
    assert.ok(svg.includes(s), `missing "${s}"`);
  }
  // two series -> two line marks
  assert.equal((svg.match(/class="mark-line role-mark/g) ?? []).length, 2);
});

test('writeChart writes a non-blank PNG of the requested scale', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'facelens-plot-'));
  await writeChart(spec, path.join(dir, 'chart'), 2);
  const { data, info } = await sharp(path.join(dir, 'chart.png')).raw().toBuffer({ resolveWithObject: true });
  assert.ok(info.width > 600, `width ${info.width}`);
  const distinct = new Set<number>();
  for (let i = 0; i < data.length; i += info.channels * 7) distinct.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
  assert.ok(distinct.size > 5, 'PNG looks blank');
});
