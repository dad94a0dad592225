/**
 * Explain results in the report and the explorer, on a hand-made explain folder (two pairs with
 * indexes 0 and 3, as a --pairs run that skipped pairs writes them): the results index points at
 * it, the report gets an "explain" section after the paper's (and none without the folder), and
 * in a real browser the list page links to the pair page, which shows the overlay, the
 * per-layer profile with its thresholds and the four faithfulness plots with one line per map
 * plus the random order, with no console errors or failed requests.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { Browser } from 'playwright-core';
import { buildReportDetailed } from '../../src/report/html/build.ts';
import type { ExplainPairNumbers, ExplainSummary } from '../../src/results/explain.ts';
import { buildResultsIndex } from '../../src/web/results-index.ts';
import { startExplorer, type Explorer } from '../../src/web/server.ts';
import { brokenImages, browserSkip, launchChromium, watchProblems } from './browser.ts';

const MAPS = ['occlusion', 'integrated'];
const LAYERS = ['pool1', 'res64', 'embedding'];
let tmp = '';
let results = '';

function curve(start: number, end: number) {
  const fractions = [0, 0.5, 1];
  const similarity = [start, (start + end) / 2 - 0.01, end];
  return { fractions, similarity, auc: (similarity[0]! + 2 * similarity[1]! + similarity[2]!) / 4 };
}

function pair(index: number, a: string, b: string, same: boolean, similarity: number): ExplainPairNumbers {
  const face = (id: string) => ({
    id,
    faithfulness: Object.fromEntries(MAPS.map((m, k) => [m, { deletion: curve(similarity, 0.5 + 0.01 * k), insertion: curve(0.5, similarity) }])),
    random: { deletion: curve(similarity, 0.6), insertion: curve(0.5, similarity) },
    halves: Object.fromEntries(MAPS.map((m) => [m, { inside: 0.04, outside: -0.01, share: 1, positiveShare: 0.6 }])),
    parts: [{ part: 'nose', similarity: similarity - 0.02, drop: 0.02 }],
  });
  return {
    a,
    b,
    index,
    source: `pairs.txt:${index + 2}`,
    same,
    crops: ['aligned', 'aligned'],
    layer: 'embedding',
    similarity,
    profile: LAYERS.map((layer, k) => ({ layer, dims: 10 * (k + 1), similarity: similarity - 0.1 * (2 - k), threshold: 0.5 + 0.125 * k, same: similarity - 0.1 * (2 - k) >= 0.5 + 0.125 * k })),
    faces: [face(a), face(b)],
  };
}

before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'facelens-explain-web-'));
  results = path.join(tmp, 'results');
  const pairs = [pair(0, '/d/Alice/Alice_0001.jpg', '/d/Alice/Alice_0002.jpg', true, 0.93), pair(3, '/d/Bob/Bob_0001.jpg', '/d/Carol/Carol_0004.jpg', false, 0.71)];
  const summary: ExplainSummary = {
    command: 'explain',
    date: '2026-01-01T00:00:00.000Z',
    parameters: { model: 'dlib-resnet', layer: 'embedding', fill: 'grey (128, 128, 128)', igBaseline: 'blur', patch: 24, stride: 8, verifySummary: 'v.json' },
    pairs,
    skipped: [{ pair: 'pairs.txt:3: x | y', reason: 'x: not usable' }],
    aggregate: MAPS.map((m) => ({ map: m, faces: 4, deletionAuc: 0.7, randomDeletionAuc: 0.75, deletionBelowRandom: 4, insertionAuc: 0.8, randomInsertionAuc: 0.78, insertionAboveRandom: 3 })),
  };
  for (const p of pairs) {
    const dir = path.join(results, 'explain', 'pairs', String(p.index).padStart(4, '0'));
    await mkdir(dir, { recursive: true });
    await sharp({ create: { width: 300, height: 150, channels: 3, background: { r: 200, g: 120, b: 40 } } }).png().toFile(path.join(dir, 'overlay.png'));
    await writeFile(path.join(dir, 'pair.json'), JSON.stringify(p));
  }
  await writeFile(path.join(results, 'explain', 'summary.json'), JSON.stringify(summary));
});

after(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

test('the results index points at the explain summary', async () => {
  const index = await buildResultsIndex(results);
  assert.equal(index.explain, 'explain/summary.json');
  const empty = path.join(tmp, 'empty');
  await mkdir(empty, { recursive: true });
  assert.equal((await buildResultsIndex(empty)).explain, undefined);
});

test('report: an explain section after the paper sections, with the tables, the profile chart and the overlays; none without explain/', async () => {
  const r = await buildReportDetailed(results);
  const ids = r.sections.map((s) => s.id);
  assert.equal(ids[ids.length - 1], 'explain');
  const s = r.sections.find((x) => x.id === 'explain')!;
  assert.equal(s.status, 'ok');
  assert.match(s.reading ?? '', /lowest mean deletion AUC: occlusion 0\.700 vs random 0\.750 \(below random on 4\/4 faces\)/);
  assert.match(s.reading ?? '', /mean share 1\.00 over 4 faces/);
  const html = await readFile(r.file, 'utf8');
  const sec = html.slice(html.indexOf('<section id="explain"'));
  assert.ok(sec.includes('Alice_0001 — Alice_0002') && sec.includes('Bob_0001 — Carol_0004'));
  assert.ok(sec.includes('href="/#/explain/3"'), 'pair link uses the pair index');
  assert.ok(sec.includes('different (t = 0.750)'), 'decision at the embedding threshold');
  assert.ok(sec.includes('1 pair(s) skipped'));
  // Both overlays and the profile chart are referenced and exist.
  const overlays = r.images.filter((i) => i.includes('overlay'));
  assert.equal(overlays.length, 2);
  assert.ok(sec.includes('aria-label="per-layer similarity of the explained pairs"'), 'profile chart inline');
  assert.ok((await readFile(path.join(results, 'report', 'explain-profile.svg'), 'utf8')).includes('<svg'));

  const bare = path.join(tmp, 'bare');
  await mkdir(bare, { recursive: true });
  const r2 = await buildReportDetailed(bare);
  assert.ok(!r2.sections.some((x) => x.id === 'explain'));
});

test('explorer: the pairs list links to each pair page: overlay, profile, curves, half split', { skip: browserSkip }, async () => {
  let ex: Explorer | undefined;
  let browser: Browser | undefined;
  try {
    ex = await startExplorer({ root: results, port: 0 });
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = watchProblems(page);
    await page.goto(`${ex.url}#/`);
    await page.waitForSelector('#explain-link');
    await page.click('#explain-link');
    await page.waitForSelector('#explain-pairs');
    assert.equal(await page.locator('#explain-pairs tbody tr').count(), 2);
    assert.equal(await page.locator('#explain-aggregate tbody tr').count(), 2);
    await page.locator('a.pair-link', { hasText: 'Bob_0001' }).click();
    await page.waitForFunction(() => document.documentElement.dataset.route === '#/explain/3');
    assert.match((await page.textContent('main h1')) ?? '', /Bob_0001 — Carol_0004/);
    assert.match((await page.textContent('#pair-facts')) ?? '', /different at the verification threshold 0\.7500/);
    const imgs = await brokenImages(page);
    assert.equal(imgs.count, 1);
    assert.deepEqual(imgs.broken, []);
    // Profile: one line and a tick per thresholded layer; curves: 4 plots x (2 maps + random).
    const svgs = page.locator('svg.plot');
    assert.equal(await svgs.count(), 5);
    assert.equal(await svgs.nth(0).locator('polyline').count(), 1);
    for (let k = 1; k < 5; k++) assert.equal(await svgs.nth(k).locator('polyline').count(), 3);
    assert.equal(await page.locator('#explain-halves tbody tr').count(), 4);
    assert.equal(await page.locator('#explain-parts tbody tr').count(), 2);
    // A pair that is not there says so.
    await page.goto(`${ex.url}#/explain/7`);
    await page.waitForFunction(() => document.documentElement.dataset.route === '#/explain/7');
    assert.match((await page.textContent('main')) ?? '', /Pair 7 is not in explain\/summary\.json/);
    assert.deepEqual(problems, []);
  } finally {
    await browser?.close();
    await ex?.close();
  }
});
