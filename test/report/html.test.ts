import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { buildReport, buildReportDetailed, PAPER_SECTION_IDS } from '../../src/report/html/build.ts';
import { esc } from '../../src/report/html/escape.ts';
import { EVIL, writeFixture as makeFixture, type FixtureOptions } from './html-fixture.ts';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function writeFixture(opts?: FixtureOptions): Promise<string> {
  const d = await makeFixture(opts);
  dirs.push(d);
  return d;
}

/** One section's HTML (from its opening tag to the next section). */
function sectionHtml(html: string, id: string): string {
  const start = html.indexOf(`<section id="${id}"`);
  assert.ok(start >= 0, `section ${id} missing`);
  const end = html.indexOf('</section>', start);
  return html.slice(start, end);
}

const imgTags = (html: string) => [...html.matchAll(/<img\b[^>]*>/g)].map((m) => m[0]);

test('esc escapes the five HTML-special characters', () => {
  assert.equal(esc(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
});

test('the report has the run section, then the paper sections in the paper order', async () => {
  const dir = await writeFixture();
  const file = await buildReport(dir);
  assert.equal(file, path.join(dir, 'index.html'));
  const html = await readFile(file, 'utf8');
  const ids = [...html.matchAll(/<section id="([^"]+)"/g)].map((m) => m[1]);
  assert.deepEqual(ids, ['run', ...PAPER_SECTION_IDS]);
  assert.deepEqual(PAPER_SECTION_IDS, ['features', 'invariance', 'discrimination', 'correspondence', 'pose', 'maximize', 'similarity']);
});

test('every image exists, is relative and has a width and height; no external URLs or scripts', async () => {
  const dir = await writeFixture();
  const r = await buildReportDetailed(dir);
  const html = await readFile(r.file, 'utf8');
  const tags = imgTags(html);
  // faces, 2 mosaics, 2 AM x (image + strip + best natural tile), 1 heatmap PNG (no matrix file in the fixture)
  assert.ok(tags.length >= 8, `only ${tags.length} images`);
  for (const t of tags) {
    const src = /src="([^"]+)"/.exec(t)?.[1];
    assert.ok(src, t);
    assert.ok(!src.startsWith('/') && !/^[a-z]+:/i.test(src), `not relative: ${src}`);
    assert.match(t, /\swidth="\d+"/);
    assert.match(t, /\sheight="\d+"/);
    const p = path.join(dir, ...decodeURIComponent(src).split('/'));
    assert.ok((await stat(p)).size > 0, `missing ${p}`);
  }
  const srcs = new Set(tags.map((t) => decodeURIComponent(/src="([^"]+)"/.exec(t)![1]!)));
  for (const i of r.images) assert.ok(srcs.has(i) || html.includes(`href="${i}"`), `listed but not referenced: ${i}`);
  assert.ok(!/https?:\/\//.test(html.replace(/xmlns(:xlink)?="http:\/\/www\.w3\.org\/[^"]*"/g, '')), 'external URL in the page');
  assert.ok(!/<script/i.test(html), 'script tag in the page');
  // photos are re-encoded as WebP; charts are inline SVG, also written to report/ as downloads
  for (const t of tags) assert.match(t, /src="report\/img\/[^"]+\.webp"/);
  assert.ok((html.match(/<svg role="img"/g) ?? []).length >= 4, 'inline SVG charts');
  for (const f of ['verify-accuracy.svg', 'invariance-rotate.svg', 'correspondence-delta.svg']) assert.ok((await stat(path.join(dir, 'report', f))).size > 0, f);
});

test('text from the results is escaped', async () => {
  const dir = await writeFixture();
  const html = await readFile(await buildReport(dir), 'utf8');
  assert.ok(!html.includes(EVIL));
  assert.ok(html.includes(esc(EVIL)));
  // in the verification table (layer name), the AM caption (init) and the failed step's reason
  assert.ok(sectionHtml(html, 'discrimination').includes(esc(EVIL)));
  assert.ok(sectionHtml(html, 'maximize').includes(esc(`cluster ${EVIL}`)));
  assert.ok(sectionHtml(html, 'run').includes(esc(`projection blew up ${EVIL}`)));
});

test('tables and readings carry the numbers of the JSON files', async () => {
  const dir = await writeFixture();
  const html = await readFile(await buildReport(dir), 'utf8');
  const ver = sectionHtml(html, 'discrimination');
  for (const s of ['61.80% ± 1.20%', '98.60% ± 0.40%', '39200', '0.9980']) assert.ok(ver.includes(s), `verify table lacks ${s}`);
  assert.ok(ver.includes('accuracy rises from 61.8% at pool1 to 98.6% at gap; best gap (98.6%)'));
  const corr = sectionHtml(html, 'correspondence');
  assert.ok(corr.includes('0.457 ± 0.020'), 'random row at gap');
  assert.ok(!corr.includes('random#0'), 'per-draw rows stay out of the table');
  assert.ok(corr.includes('at gap (sign(0) = 0) part occlusions give Delta 0.200-0.230, below random occlusions (0.457)'));
  const inv = sectionHtml(html, 'invariance');
  // rotate 60 deg (first farthest value is -60): pool1 0.4/0.5 = 0.80, gap 0.1/0.4 = 0.25
  assert.ok(inv.includes('rotate -60deg: pool1 0.80 → gap 0.25'), inv.slice(0, 600));
  const sim = sectionHtml(html, 'similarity');
  assert.ok(sim.includes('0.432') && /#1<\/a>~<a[^>]*>#2<\/a> \(0\.99\)/.test(sim));
  assert.ok(sim.includes('mean off-diagonal S 0.432 at pool1.'));
  // eq. 2 outside [0, 1] at the embedding: undefined, not ranked, no mean shown as a finding
  assert.ok(sim.includes('Undefined (S outside [0, 1], units take negative values, no ReLU): embedding; their pairs are not ranked.'), 'signed layer flagged');
  assert.ok(!sim.includes('0.480'), 'the undefined layer\'s mean S is not shown');
  assert.ok(!/Undefined[^.]*pool1/.test(sim));
  const am = sectionHtml(html, 'maximize');
  assert.ok(am.includes('pool1 #3 facet 0') && am.includes('1.25 → 4.50'));
  assert.ok(am.includes('gap #1'), 'AM result found only in maximize/<layer>/');
  assert.ok(am.includes('2 AM images of 2 neurons'));
  // the stopping rule's record: the plateau step of one run, the cap reached by the other
  assert.ok(am.includes('plateaued at step 4 (the stopping rule held there; cap 100 steps)'), 'plateau step on the AM card');
  assert.ok(am.includes('no plateau: reached the cap of 3 steps still rising'));
  assert.ok(am.includes('Still rising at the end (no plateau before the step cap): gap #1'));
  const feat = sectionHtml(html, 'features');
  assert.ok(feat.includes('pool1 #3</strong>: top value 15.50') && />#9<\/a> \(0\.81\)/.test(feat));
});

test('failed and absent parts say so, with the reason', async () => {
  const dir = await writeFixture();
  const html = await readFile(await buildReport(dir), 'utf8');
  const pose = sectionHtml(html, 'pose');
  assert.match(pose, /data-status="failed"/);
  assert.ok(pose.includes('CFP folder has no profile images'));
  const feat = sectionHtml(html, 'features');
  assert.match(feat, /data-status="ok"/);
  assert.ok(feat.includes('res64') && feat.includes('Failed:'), 'the failed atlas layer is listed');
  assert.ok(sectionHtml(html, 'run').includes('st-failed'));

  // Without run.json the report still builds, and an absent part names the command that makes it.
  const bare = await writeFixture({ noRun: true });
  const html2 = await readFile(await buildReport(bare), 'utf8');
  const pose2 = sectionHtml(html2, 'pose');
  assert.match(pose2, /data-status="absent"/);
  assert.ok(pose2.includes('--cfp DIR'));
  assert.match(sectionHtml(html2, 'run'), /data-status="absent"/);
  assert.match(sectionHtml(html2, 'discrimination'), /data-status="ok"/);
});
