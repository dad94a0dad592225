/**
 * The report's numbers are honest: eq. 2 outside [0, 1] is undefined (not ranked), a
 * zero-dominated correspondence Delta is read under the zeros-excluded rule, invariance is plotted
 * relative to the between-face distance with its std; the VGGFace layer mapping is monotone;
 * --single-file inlines every image.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildReport } from '../../src/report/html/build.ts';
import { vggEquivalents } from '../../src/report/html/paper.ts';
import { invarianceRows } from '../../src/report/html/sections/invariance.ts';
import { plateauStep } from '../../src/report/html/sections/maximize.ts';
import { outsideUnitRange } from '../../src/report/html/sections/similarity.ts';
import { writeFixture } from './html-fixture.ts';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function sectionHtml(html: string, id: string): string {
  const start = html.indexOf(`<section id="${id}"`);
  assert.ok(start >= 0, `section ${id} missing`);
  return html.slice(start, html.indexOf('</section>', start));
}

test('outsideUnitRange counts off-diagonal entries outside [0, 1] (and NaN)', () => {
  const S = [1, 0.5, 2, 0.5, 1, -0.1, NaN, 0.3, 1];
  assert.deepEqual(outsideUnitRange(S, 3), { outside: 3, total: 6 });
  assert.deepEqual(outsideUnitRange([1, 0, 1, 1], 2), { outside: 0, total: 2 });
});

test('invariance rows are distances divided by the between-face distance, std bars in the same units', () => {
  const t = { transform: 'rotate', unit: 'deg', values: [0, 30], layers: [{ layer: 'a', mean: [0, 0.2], std: [0, 0.1] }, { layer: 'b', mean: [0, 0.3], std: [0, 0] }] };
  const rows = invarianceRows(t, new Map([['a', 0.4], ['b', 0.6]]));
  const a30 = rows.find((r) => r.layer === 'a' && r.value === 30)!;
  assert.ok(Math.abs(a30.y - 0.5) < 1e-12 && Math.abs(a30.lo - 0.25) < 1e-12 && Math.abs(a30.hi - 0.75) < 1e-12);
  assert.equal(rows.find((r) => r.layer === 'b' && r.value === 30)!.y, 0.5);
  // without a reference the raw distance is plotted
  assert.equal(invarianceRows(t, new Map()).find((r) => r.layer === 'b' && r.value === 30)!.y, 0.3);
});

test('plateauStep: first step reaching 95% of the rise; undefined for a flat curve', () => {
  assert.equal(plateauStep([0, 5, 9, 9.6, 10, 10]), 3);
  assert.equal(plateauStep([2, 2, 2]), undefined);
  assert.equal(plateauStep([3, 2, 1]), undefined);
});

test('VGGFace mapping: monotone in depth, vectors are fc6/fc7', () => {
  const m = vggEquivalents(
    [{ name: 'a', rf: 11 }, { name: 'b', rf: 59 }, { name: 'c', rf: 179 }, { name: 'd', rf: 355 }, { name: 'e', rf: 707 }, { name: 'v1', vector: true }, { name: 'v2', vector: true }, { name: 'unknown' }],
    150,
  );
  const order = ['pool1', 'pool2', 'pool3', 'pool4', 'pool5'];
  const idx = ['a', 'b', 'c', 'd', 'e'].map((n) => order.indexOf(m.get(n)!));
  for (let i = 1; i < idx.length; i++) assert.ok(idx[i]! >= idx[i - 1]!, `not monotone: ${idx}`);
  assert.equal(m.get('e'), 'pool5');
  assert.ok(idx[0]! <= 1, `a small RF maps low: ${m.get('a')}`);
  assert.equal(m.get('v1'), 'fc6');
  assert.equal(m.get('v2'), 'fc7');
  assert.equal(m.has('unknown'), false, 'a layer of unknown geometry is not mapped');
});

test('zero-dominated correspondence: both rules and the zero fraction shown, read with zeros excluded', async () => {
  const dir = await writeFixture();
  dirs.push(dir);
  const corr = sectionHtml(await readFile(await buildReport(dir), 'utf8'), 'correspondence');
  assert.ok(corr.includes('pool1 (zero-dominated)'));
  assert.ok(corr.includes('zeros 95%'));
  assert.ok(corr.includes('excl. 0: 0.300 ± 0.020'));
  assert.ok(corr.includes('at pool1 (zeros excluded, since most entries are 0 there) part occlusions give Delta 0.300-0.330, above random occlusions (0.250)'), corr.slice(0, 2000));
  assert.ok(corr.includes('At pool1 more than 50% of the difference entries are exactly 0'));
});

test('similarity: heatmap with neuron ticks and a labelled colour bar from the matrix; the undefined layer is grey and unranked', async () => {
  const dir = await writeFixture();
  dirs.push(dir);
  const sim = sectionHtml(await readFile(await buildReport(dir), 'utf8'), 'similarity');
  assert.ok(sim.includes('aria-label="similarity heatmap of pool1"'));
  for (const t of ['#0', '#1', '#2', '1.00', '0.00', 'S (eq. 2)']) assert.ok(sim.includes(`>${t}</text>`), `tick ${t}`);
  assert.ok(sim.includes('not ranked'));
  assert.ok(!sim.includes('20.36') && !sim.includes('-13.8'), 'out-of-range S values are not shown as findings');
});

test('--single-file: every image is a data: URI and nothing points into report/', async () => {
  const dir = await writeFixture();
  dirs.push(dir);
  const file = await buildReport(dir, { singleFile: true });
  assert.equal(path.basename(file), 'report-single.html');
  const html = await readFile(file, 'utf8');
  const srcs = [...html.matchAll(/<img\b[^>]*\ssrc="([^"]+)"/g)].map((m) => m[1]!);
  assert.ok(srcs.length >= 5);
  for (const s of srcs) assert.match(s, /^data:image\/(webp|png|jpeg|svg\+xml);base64,/);
  for (const m of html.matchAll(/<image\b[^>]*\shref="([^"]+)"/g)) assert.match(m[1]!, /^data:/);
  assert.ok(!(await readdir(dir)).includes('index.html'), 'the single file does not write index.html');
});
