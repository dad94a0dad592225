/**
 * The explorer in a real browser (Debian chromium via playwright-core) on a small real results
 * folder (fixture.ts: sweep, atlas in two modes, similarity, AM, invariance): every page's images
 * load, layer -> neuron -> similar neuron by clicks, hover shows the sample's id and value, the
 * mode switch, heatmap click-through, clear messages for missing pieces, no console errors or
 * failed requests; path-traversal requests over raw HTTP are refused. Last, when the HTML report
 * (src/report/html) is there: the report built from the same folder opens from disk and through
 * the explorer with every image loaded and no errors. Projections the atlas lacks are computed by
 * serve on demand (and a missing dataset is explained on the page); the per-face view shows boxes
 * and projections and links to neuron pages and back; the crawl reaches every face page.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Locator, Page } from 'playwright-core';
import type { NeuronAtlas } from '../../src/analyses/atlas/atlas.ts';
import { readNpy } from '../../src/io/npy.ts';
import { startExplorer, type Explorer } from '../../src/web/server.ts';
import { brokenImages, browserSkip, launchChromium, watchProblems } from './browser.ts';
import { buildResultsFixture, FIXTURE_FACES } from './fixture.ts';

const skip = browserSkip;
let tmp = '';
let results = '';
let res64: number[] = [];
let res128: number[] = [];
let ex: Explorer;
let browser: Browser;

before(async () => {
  if (skip) return;
  tmp = await mkdtemp(path.join(os.tmpdir(), 'facelens-web-'));
  ({ results, res64, res128 } = await buildResultsFixture(tmp));
  ex = await startExplorer({ root: results, port: 0, projectionCache: path.join(tmp, 'proj-cache'), faceCache: false });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await ex?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function open(hash: string): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems = watchProblems(page);
  await page.goto(ex.url + hash);
  await page.waitForSelector('main h1');
  return { page, problems };
}

/** Clicks a neuron link, waits for that neuron's page, checks the visit raised no problems, closes the page. */
async function followNeuronLink(page: Page, link: Locator, layer: string, problems: string[]): Promise<void> {
  const k = await link.getAttribute('data-neuron');
  await link.click();
  await page.waitForFunction((t) => document.querySelector('main h1')?.textContent === t, `${layer} · neuron ${k}`);
  await page.waitForLoadState('networkidle');
  assert.deepEqual(problems, []);
  await page.close();
}

const neuronJson = async (layer: string, k: number, sub = ''): Promise<NeuronAtlas> =>
  JSON.parse(await readFile(path.join(results, 'atlas', layer, sub, `neuron-${k}.json`), 'utf8')) as NeuronAtlas;

test('every page: all images load, nothing fails, no console errors', { skip }, async () => {
  const pages: [string, string, number][] = [
    ['#/', 'Results: results', 0],
    ['#/layer/res64', 'Layer res64', 3 + 3],
    ['#/layer/res128', 'Layer res128', 2],
    ...res64.map((k): [string, string, number] => [`#/layer/res64/neuron/${k}`, `res64 · neuron ${k}`, 1]),
    ...res64.map((k): [string, string, number] => [`#/layer/res64/neuron/${k}/guided`, `res64 · neuron ${k}`, 1]),
    ...res128.map((k): [string, string, number] => [`#/layer/res128/neuron/${k}`, `res128 · neuron ${k}`, 1]),
    ['#/layer/res64/similarity', 'res64 · neuron similarity', 1],
    ['#/layer/res128/similarity', 'res128 · neuron similarity', 1],
    ['#/probe/invariance', 'Probe: invariance', 2],
  ];
  for (const [hash, title, minImages] of pages) {
    const { page, problems } = await open(hash);
    assert.equal(await page.textContent('main h1'), title, hash);
    const { count, broken } = await brokenImages(page);
    assert.ok(count >= minImages, `${hash}: ${count} images, expected >= ${minImages}`);
    assert.deepEqual(broken, [], `${hash}: images that did not load`);
    await page.waitForLoadState('networkidle');
    assert.deepEqual(problems, [], hash);
    assert.equal(await page.locator('.msg.err').count(), 0, `${hash} shows an error`);
    await page.close();
  }
});

test('click layer -> neuron -> similar neuron; hover shows image id and value; mode switch', { skip }, async () => {
  const [a, b] = res64;
  const { page, problems } = await open('#/');
  await page.click('a.layer-link:text-is("res64")');
  await page.waitForSelector('#neurons');
  assert.equal(await page.textContent('main h1'), 'Layer res64');
  await page.click(`a.neuron-card[data-neuron="${a}"]`);
  await page.waitForSelector('#mosaic .cell');
  assert.equal(await page.textContent('main h1'), `res64 · neuron ${a}`);
  assert.ok(page.url().endsWith(`#/layer/res64/neuron/${a}`), page.url());

  // Hover over the rank-1 tile: the tooltip and the info line name its image and value.
  const doc = await neuronJson('res64', a);
  const top = doc.samples[0];
  await page.hover('#mosaic .cell[data-rank="1"]');
  const info = await page.textContent('#hover-info');
  assert.ok(info?.includes(top.id) && info.includes(top.value.toFixed(4)), `hover info: ${info}`);
  assert.equal(await page.isVisible('#tip'), true);
  assert.equal(await page.textContent('#tip'), info);
  // the hovered overlay lies on the tile of that sample's grid cell
  const cell = await page.locator('#mosaic .cell[data-rank="1"]').boundingBox();
  const img = await page.locator('#mosaic-img').boundingBox();
  assert.ok(cell && img);
  const { cols, rows } = doc.layout.grid;
  assert.equal(Math.floor(((cell.x + cell.width / 2 - img.x) / img.width) * cols), top.grid.col);
  assert.equal(Math.floor(((cell.y + cell.height / 2 - img.y) / img.height) * rows), top.grid.row);
  // AM images of this neuron (registered by the fixture's maximize run)
  assert.equal(await page.locator('#am img').count(), 3);

  // Mode switch: deconv -> guided shows the guided mosaic.
  assert.equal(await page.getAttribute('#modes a[aria-pressed="true"]', 'data-mode'), 'deconv');
  await page.click('#modes a[data-mode="guided"]');
  await page.waitForFunction(() => location.hash.endsWith('/guided') && document.querySelector('#mosaic-img')?.getAttribute('src')?.includes('/guided/'));
  await page.waitForSelector('#mosaic .cell');
  assert.equal(await page.getAttribute('#modes a[aria-pressed="true"]', 'data-mode'), 'guided');

  // A similar neuron (in the atlas: the fixture picked a's two most similar).
  assert.ok(doc.similar.some((s) => s.neuron === b), `${b} is not among ${a}'s similar neurons`);
  await page.click(`#similar a[data-neuron="${b}"]`);
  await page.waitForFunction((t) => document.querySelector('main h1')?.textContent === t, `res64 · neuron ${b}`);
  assert.ok(page.url().endsWith(`#/layer/res64/neuron/${b}`), page.url());
  await page.waitForSelector('#mosaic .cell');
  const { broken } = await brokenImages(page);
  assert.deepEqual(broken, []);
  await page.waitForLoadState('networkidle');
  assert.deepEqual(problems, []);
  await page.close();
});

test('similarity heatmap: hover reads S from the matrix, a click opens the row neuron', { skip }, async () => {
  const a = res64[0];
  const { page, problems } = await open('#/layer/res64/similarity');
  await page.waitForSelector('#heatmap');
  const summary = JSON.parse(await readFile(path.join(results, 'similarity', 'res64', 'summary.json'), 'utf8')) as { order: number[] };
  const S = await readNpy(path.join(results, 'similarity', 'res64', 'res64.similarity.npy'));
  const C = S.shape[0];
  const box = (await page.locator('#heatmap').boundingBox())!;
  const r = summary.order.indexOf(a);
  const c = (r + 3) % C;
  const at = { x: box.x + ((c + 0.5) / C) * box.width, y: box.y + ((r + 0.5) / C) * box.height };
  await page.mouse.move(at.x, at.y);
  const j = summary.order[c];
  assert.equal(await page.textContent('#heat-info'), `S(#${a}, #${j}) = ${S.data[a * C + j].toFixed(3)}`);
  await page.mouse.click(at.x, at.y);
  await page.waitForFunction((t) => document.querySelector('main h1')?.textContent === t, `res64 · neuron ${a}`);
  assert.ok(page.url().endsWith(`#/layer/res64/neuron/${a}`));
  // the redundant-pairs table links to neuron pages too
  const first = page.locator('#redundant a').first();
  await page.goBack();
  await page.waitForSelector('#redundant a');
  await followNeuronLink(page, first, 'res64', problems);
});

test('missing pieces are explained on the page', { skip }, async () => {
  const notInAtlas = [...Array(64).keys()].find((k) => !res64.includes(k))!;
  const cases: [string, RegExp][] = [
    ['#/layer/res999', /no results for a layer "res999"/],
    [`#/layer/res64/neuron/${notInAtlas}`, new RegExp(`Top 12 of 12 swept images[\\s\\S]*Projections \\(computed on demand\\)[\\s\\S]*No atlas mosaic of this neuron: the atlas of res64 has ${[...res64].sort((x, y) => x - y).join(', ')}\\.`)],
    ['#/layer/res64/neuron/64', /res64 has neurons 0-63/],
    [`#/layer/res128/neuron/${res128[0]}`, /Projection mode: deconv \(the only one in this atlas\)[\s\S]*No activation-maximisation image for this neuron/],
    ['#/probe/pose', /no pose results in this folder/],
    ['#/nowhere/at/all', /No page "#\/nowhere\/at\/all"/],
  ];
  for (const [hash, re] of cases) {
    const { page, problems } = await open(hash);
    await page.waitForLoadState('networkidle');
    assert.match((await page.textContent('main')) ?? '', re, hash);
    assert.deepEqual(problems, [], hash);
    await page.close();
  }
});

/** A GET with the path sent byte for byte (no client-side normalisation). */
function rawGet(port: number, rawPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: rawPath, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('path traversal over raw HTTP is refused (403/404); files inside are served', { skip }, async () => {
  const pkg = path.resolve('package.json');
  assert.equal((await rawGet(ex.port, '/files/run.json')).status, 200);
  for (const p of ['/../package.json', '/%2e%2e/package.json', '/..%2fpackage.json', '/files/../package.json', '/files/%2e%2e/%2e%2e/package.json', '/files/..%2f..%2fpackage.json', `/files/${pkg}`, `/files//${pkg}`, pkg, '/files/sweep/../../package.json', '/files/%00run.json', '/files/.%2e/package.json']) {
    const r = await rawGet(ex.port, p);
    assert.ok(r.status === 403 || r.status === 404, `${p}: HTTP ${r.status}`);
    assert.doesNotMatch(r.body, /"name": "facelens"/, p);
  }
});

/** `buildReport` of the HTML report (src/report/html), if that module is there. */
async function reportBuilder(): Promise<((dir: string) => Promise<string>) | undefined> {
  for (const f of ['src/report/html/report.ts', 'src/report/html/build.ts']) {
    const file = path.resolve(f);
    if (!existsSync(file)) continue;
    const mod = (await import(pathToFileURL(file).href)) as { buildReport?: (dir: string) => Promise<string> };
    if (typeof mod.buildReport === 'function') return mod.buildReport;
  }
  return undefined;
}

test('the HTML report opens from disk (file://) and through the explorer: images load, no errors', { skip }, async (t) => {
  const build = await reportBuilder();
  if (!build) {
    t.skip('src/report/html has no buildReport yet');
    return;
  }
  const file = await build(results);
  assert.equal(path.resolve(file), path.join(results, 'index.html'));
  const page = await browser.newPage();
  const problems = watchProblems(page);
  await page.goto(pathToFileURL(file).href);
  const { count, broken } = await brokenImages(page);
  assert.ok(count > 0, 'the report shows no image');
  assert.deepEqual(broken, []);
  await page.waitForLoadState('networkidle');
  assert.deepEqual(problems, []);
  await page.close();

  // The explorer links to it; served from /files/, its relative image paths resolve too.
  const ex2 = await open('#/');
  await ex2.page.click('#report-link');
  await ex2.page.waitForURL(/\/files\/index\.html$/);
  const served = await brokenImages(ex2.page);
  assert.equal(served.count, count);
  assert.deepEqual(served.broken, []);
  await ex2.page.waitForLoadState('networkidle');
  assert.deepEqual(ex2.problems, []);
  await ex2.page.close();
});

/** Shows `hash` in an open explorer page and waits until that route is fully rendered. */
async function go(page: Page, hash: string): Promise<void> {
  await page.evaluate((h) => {
    if (location.hash === h && document.documentElement.dataset.route === h) return;
    delete document.documentElement.dataset.route;
    if (location.hash === h) window.dispatchEvent(new HashChangeEvent('hashchange'));
    else location.hash = h;
  }, hash);
  await page.waitForFunction((h) => document.documentElement.dataset.route === h, hash, { timeout: 15000 });
}

test('crawl: every explorer link and every heatmap row leads to a page that renders (zero dead ends)', { skip }, async () => {
  const { page, problems } = await open('#/');
  await page.waitForFunction(() => document.documentElement.dataset.route === '#/');
  const seen = new Set<string>();
  const queue = ['#/'];
  const dead: string[] = [];
  const heatTargets = new Set<string>();
  while (queue.length > 0) {
    const hash = queue.shift()!;
    if (seen.has(hash)) continue;
    seen.add(hash);
    await go(page, hash);
    const isNeuron = /^#\/layer\/[^/]+\/neuron\/\d+(\/[^/]+)?$/.test(hash);
    const isFace = /^#\/face\/\d+(\/relative)?$/.test(hash);
    const state = await page.evaluate(() => ({
      faceLayers: document.querySelectorAll('.face-layer').length,
      faceNeuronLinks: document.querySelectorAll('.face-layer a.neuron-link').length,
      err: [...document.querySelectorAll('main .msg.err')].map((e) => e.textContent),
      h1: document.querySelector('main h1')?.textContent ?? '',
      faces: document.querySelectorAll('#sweep-top .top-face').length,
      mosaic: document.querySelectorAll('#mosaic').length,
      links: [...document.querySelectorAll('a[href^="#/"]')].map((a) => a.getAttribute('href')!),
    }));
    if (state.err.length > 0) dead.push(`${hash}: ${state.err.join(' ')}`);
    if (/^#\/nowhere/.test(hash) || state.h1 === 'Not found') dead.push(`${hash}: not found`);
    if (isNeuron && state.faces === 0 && state.mosaic === 0) dead.push(`${hash}: renders no neuron (${state.h1})`);
    if (isFace && (state.faceLayers !== 2 || state.faceNeuronLinks < 2)) dead.push(`${hash}: renders no per-face view (${state.h1})`);
    for (const l of state.links) if (!seen.has(l)) queue.push(l);
    // Heatmap: one synthetic click per row (every cell of a row opens the row's neuron).
    if (/^#\/layer\/[^/]+\/similarity$/.test(hash)) {
      const targets = await page.evaluate(() => {
        const c = document.querySelector('#heatmap') as HTMLCanvasElement;
        const r = c.getBoundingClientRect();
        const out: string[] = [];
        for (let row = 0; row < c.height; row++) {
          const y = r.top + ((row + 0.5) / c.height) * r.height;
          c.dispatchEvent(new MouseEvent('click', { clientX: r.left + r.width / 2, clientY: y, bubbles: true }));
          out.push(location.hash);
        }
        return out;
      });
      await page.waitForFunction(() => document.documentElement.dataset.route === location.hash);
      assert.equal(targets.length, hash.includes('res64') ? 64 : 128);
      for (const t of targets) {
        heatTargets.add(t);
        if (!seen.has(t)) queue.push(t);
      }
    }
  }
  assert.deepEqual(dead, []);
  // every neuron of both swept layers was reached (layer lists, heatmap rows, prev/next)
  for (const [layer, C] of [['res64', 64], ['res128', 128]] as const) {
    for (let k = 0; k < C; k++) assert.ok(seen.has(`#/layer/${layer}/neuron/${k}`), `${layer} #${k} never reached`);
  }
  assert.equal(heatTargets.size, 64 + 128, 'each heatmap row opens a different neuron');
  // every swept face has a per-face page, reached from the face list and the neurons' top faces
  assert.ok(seen.has('#/faces'), 'the face list is linked');
  for (let r = 0; r < FIXTURE_FACES; r++) for (const v of ['', '/relative']) assert.ok(seen.has(`#/face/${r}${v}`), `face ${r}${v} never reached`);
  await page.waitForLoadState('networkidle');
  assert.deepEqual(problems, []);
  await page.close();
});

test('go-to box: "res64 K" opens the neuron, unknown names and numbers say why', { skip }, async () => {
  const { page, problems } = await open('#/');
  const k = 37;
  await page.fill('#goto-input', `res64 ${k}`);
  await page.press('#goto-input', 'Enter');
  await page.waitForFunction((t) => document.querySelector('main h1')?.textContent === t, `res64 · neuron ${k}`);
  await page.waitForSelector('#sweep-top .top-face');
  assert.ok(page.url().endsWith(`#/layer/res64/neuron/${k}`));
  // the top faces are the sweep's top values of this neuron, in order
  const sw = await readNpy(path.join(results, 'sweep', 'layers', 'res64.values.npy'));
  const C = sw.shape[1]!;
  const best = Math.max(...Array.from({ length: sw.shape[0]! }, (_, r) => sw.data[r * C + k]!));
  assert.ok((await page.textContent('#sweep-top .top-face[data-rank="1"] figcaption'))!.endsWith(best.toFixed(3)));
  // prev / next and the layer switcher
  await page.click('#next');
  await page.waitForFunction((t) => document.querySelector('main h1')?.textContent === t, `res64 · neuron ${k + 1}`);
  await page.selectOption('#layer-switch', 'res128');
  await page.waitForFunction((t) => document.querySelector('main h1')?.textContent === t, `res128 · neuron ${k + 1}`);
  for (const [q, re] of [['res999 3', 'no layer "res999"'], ['res64 64', 'res64 has neurons 0-63'], ['', 'type a layer and a neuron']] as const) {
    await page.fill('#goto-input', q);
    await page.press('#goto-input', 'Enter');
    await page.waitForFunction((want) => { const m = document.getElementById('goto-msg')!; return !m.hidden && m.textContent!.includes(want); }, re);
    assert.ok(page.url().includes(`#/layer/res128/neuron/${k + 1}`), 'a bad query stays on the page');
  }
  await page.waitForLoadState('networkidle');
  assert.deepEqual(problems, []);
  await page.close();
});

test('report figures: no text under 11 CSS px at 1280 px, no sideways scroll at 390 px; --single-file opens alone', { skip }, async (t) => {
  const mod = (await import(pathToFileURL(path.resolve('src/report/html/build.ts')).href)) as {
    buildReport: (dir: string, o?: { singleFile?: boolean; out?: string }) => Promise<string>;
  };
  const file = await mod.buildReport(results);
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems = watchProblems(page);
  await page.goto(pathToFileURL(file).href);
  const { count } = await brokenImages(page);
  const measured = await page.evaluate(() => {
    const small: string[] = [];
    let texts = 0;
    for (const t of document.querySelectorAll('svg text')) {
      const m = (t as SVGGraphicsElement).getScreenCTM();
      if (!m || !t.textContent?.trim()) continue;
      texts++;
      const px = parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b);
      if (px < 11) small.push(`${px.toFixed(1)} px "${t.textContent}" in ${t.closest('svg')?.getAttribute('aria-label')}`);
    }
    let textImages = 0;
    for (const el of document.querySelectorAll('img[data-text-px]')) {
      const i = el as HTMLImageElement;
      textImages++;
      const px = (Number(i.dataset.textPx) * i.getBoundingClientRect().width) / i.naturalWidth;
      if (!(px >= 11)) small.push(`${px.toFixed(1)} px text in image ${i.alt}`);
    }
    return { small, texts, textImages, figures: document.querySelectorAll('svg.figure-svg').length };
  });
  t.diagnostic(`${measured.figures} SVG figures, ${measured.texts} texts, ${measured.textImages} images with text, ${count} images`);
  assert.ok(measured.figures >= 3 && measured.texts > 50, JSON.stringify(measured));
  assert.ok(measured.textImages >= 1, 'the invariance examples carry captions');
  assert.deepEqual(measured.small, []);
  await page.setViewportSize({ width: 390, height: 800 });
  await page.waitForTimeout(200);
  const widths = await page.evaluate(() => ({ doc: document.documentElement.scrollWidth, view: window.innerWidth }));
  assert.ok(widths.doc <= widths.view, `sideways scroll at 390 px: ${widths.doc} > ${widths.view}`);
  assert.deepEqual(problems, []);
  await page.close();

  // --single-file: copied alone into an empty folder, it opens with every image and no request out.
  const lone = await mkdtemp(path.join(os.tmpdir(), 'facelens-single-'));
  try {
    const single = await mod.buildReport(results, { singleFile: true, out: path.join(lone, 'report.html') });
    assert.deepEqual(await readdir(lone), ['report.html']);
    const p2 = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    p2.on('request', (r) => {
      if (!r.url().startsWith('data:') && r.url() !== pathToFileURL(single).href) requests.push(r.url());
    });
    const problems2 = watchProblems(p2);
    await p2.goto(pathToFileURL(single).href);
    const res2 = await brokenImages(p2);
    assert.equal(res2.count, count, 'the single file shows the same images');
    assert.deepEqual(res2.broken, []);
    assert.ok((await p2.locator('svg.figure-svg').count()) >= 3);
    assert.deepEqual(requests, []);
    assert.deepEqual(problems2, []);
    await p2.close();
  } finally {
    await rm(lone, { recursive: true, force: true });
  }
});

test('on-demand projections: a non-atlas neuron gets its top tiles from serve; the per-face view shows boxes and projections and links both ways', { skip }, async () => {
  const k = [...Array(64).keys()].find((n) => !res64.includes(n))!;
  const { page, problems } = await open(`#/layer/res64/neuron/${k}`);
  await page.waitForSelector('#ondemand button.compute');
  assert.equal(await page.locator('#ondemand-tiles img').count(), 0, 'nothing is computed before the reader asks');
  await page.click('#ondemand button.compute');
  await page.waitForFunction(() => {
    const imgs = [...document.querySelectorAll('#ondemand-tiles img')] as HTMLImageElement[];
    return imgs.length === 12 && imgs.every((i) => i.complete && i.naturalWidth > 0);
  }, undefined, { timeout: 120000 });
  const sizes = await page.evaluate(() => [...document.querySelectorAll('#ondemand-tiles img')].map((i) => `${(i as HTMLImageElement).naturalWidth}x${(i as HTMLImageElement).naturalHeight}`));
  assert.deepEqual(new Set(sizes), new Set(['192x96']));
  // cached on disk: one tile + record per top image of this neuron
  const cached = ((await readdir(path.join(tmp, 'proj-cache'), { recursive: true })) as string[]).filter((f) => f.startsWith(`dlib-resnet/res64/${k}/deconv/`) && f.endsWith('.png'));
  assert.equal(cached.length, 12);

  // top face -> its face view
  const row = Number(await page.locator('#sweep-top .top-face[data-rank="1"] a.face-link').first().getAttribute('href').then((h) => h!.split('/').pop()));
  await page.locator('#sweep-top .top-face[data-rank="1"] figcaption a.face-link').click();
  await page.waitForFunction((r) => document.documentElement.dataset.route === `#/face/${r}`, row);
  assert.equal(await page.locator('.face-layer').count(), 2);
  assert.ok((await page.locator('.face-layer[data-layer="res64"] .rf').count()) >= 1, 'argmax boxes on the face');
  await page.click('button.compute');
  await page.waitForFunction(() => {
    const imgs = [...document.querySelectorAll('.face-neuron img')] as HTMLImageElement[];
    return imgs.length === 12 && imgs.every((i) => i.complete && i.naturalWidth > 0);
  }, undefined, { timeout: 120000 });
  const faceImgs = await brokenImages(page);
  assert.deepEqual(faceImgs.broken, []);
  // face view -> neuron page
  const first = page.locator('.face-layer[data-layer="res128"] a.neuron-link').first();
  await followNeuronLink(page, first, 'res128', problems);
});

test('on-demand projections when the swept images are gone: the page says why', { skip }, async () => {
  const broken = path.join(tmp, 'broken');
  await cp(path.join(results, 'sweep'), path.join(broken, 'sweep'), { recursive: true });
  const mf = path.join(broken, 'sweep', 'manifest.json');
  const m = JSON.parse(await readFile(mf, 'utf8')) as { dataset: { root: string } };
  m.dataset.root = path.join(tmp, 'moved-away');
  await writeFile(mf, JSON.stringify(m));
  const ex2 = await startExplorer({ root: broken, port: 0, projectionCache: path.join(tmp, 'proj-cache-2'), faceCache: false });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  try {
    await page.goto(`${ex2.url}#/layer/res64/neuron/${res64[0]}`);
    await page.waitForSelector('#ondemand button.compute');
    await page.click('#ondemand button.compute');
    await page.waitForSelector('#ondemand .msg.err');
    const text = await page.textContent('#ondemand .msg.err');
    assert.match(text ?? '', /Projections cannot be computed here: image .* of the sweep is not at .*moved-away/);
    assert.equal(await page.locator('#ondemand .msg.err').count(), 1, 'one explanation, not one per tile');
  } finally {
    await page.close();
    await ex2.close();
  }
});
