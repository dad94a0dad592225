/**
 * `buildReport(dir)`: one self-contained HTML page (`<dir>/index.html`) from a results directory,
 * reading only that directory, so it can be rebuilt at any time (`facelens report DIR`). Images
 * are referenced by relative paths inside the directory; charts are rendered into `report/`.
 * Sections follow the paper's order; a section without data says so and why.
 */
import { rm } from 'node:fs/promises';
import { writeFileAtomic } from '../../io/atomic.js';
import path from 'node:path';
import { ASSET_DIR, Assets } from './assets.js';
import { esc } from './escape.js';
import { UserError } from '../../core/errors.js';
import { renderPage } from './page.js';
import { Results } from './results.js';
import type { Section } from './section.js';
import { correspondenceSection } from './sections/correspondence.js';
import { discriminationSection } from './sections/discrimination.js';
import { explainSection } from './sections/explain.js';
import { featuresSection } from './sections/features.js';
import { invarianceSection } from './sections/invariance.js';
import { maximizeSection } from './sections/maximize.js';
import { overviewSection } from './sections/overview.js';
import { poseSection } from './sections/pose.js';
import { similaritySection } from './sections/similarity.js';

/** Section builders in page order: the run, then the paper's order. */
export const SECTION_BUILDERS = [overviewSection, featuresSection, invarianceSection, discriminationSection, correspondenceSection, poseSection, maximizeSection, similaritySection];

/** Sections beyond the paper, after it; each returns undefined (and is left out) without data. */
export const EXTRA_SECTION_BUILDERS = [explainSection];

/** Ids of the paper's sections in page order. */
export const PAPER_SECTION_IDS = ['features', 'invariance', 'discrimination', 'correspondence', 'pose', 'maximize', 'similarity'];

export interface ReportBuild {
  file: string;
  sections: Section[];
  /** Every image the page references (results-relative). */
  images: string[];
}

export interface ReportOptions {
  /** Write one HTML file with every image inlined (data: URIs) instead of index.html + report/. */
  singleFile?: boolean;
  /** Output file (default `<dir>/index.html`, or `<dir>/report-single.html` with singleFile). */
  out?: string;
}

export async function buildReportDetailed(resultsDir: string, opts: ReportOptions = {}): Promise<ReportBuild> {
  const res = await Results.open(resultsDir);
  if (!opts.singleFile) await rm(path.join(res.dir, ASSET_DIR), { recursive: true, force: true });
  const assets = new Assets(res.dir, opts.singleFile === true);
  const sections: Section[] = [];
  for (const build of [...SECTION_BUILDERS, ...EXTRA_SECTION_BUILDERS]) {
    try {
      const section = await build(res, assets);
      if (section) sections.push(section);
    } catch (e) {
      // A malformed results file must not take the whole report down.
      const id = build.name.replace(/Section$/, '');
      // A JS error here means a results file lacks the fields the section reads: say that,
      // not the engine's words (TypeError: x.map is not a function).
      const why = e instanceof UserError ? e.message : 'a results file of this section is malformed or from another version (fields missing or of the wrong type)';
      sections.push({ id, title: id, paper: '', status: 'failed', reason: `report: cannot render this section: ${why}` });
    }
  }
  const model = res.run?.model;
  const title = `facelens report${model ? `: ${model}` : ''}`;
  const subtitle = `Zhong & Deng's analyses of a face-recognition CNN, per layer and neuron. Results: ${path.basename(res.dir)}${res.run ? `, ${res.run.date}` : ''}.`;
  const file = path.resolve(opts.out ?? path.join(res.dir, opts.singleFile ? 'report-single.html' : 'index.html'));
  const intro = opts.singleFile
    ? '<p class="meta">Single-file report: every figure is inside this file. The data links and explorer links point into the results folder and work only next to it.</p>'
    : '<p class="meta">Every figure links to its data files (relative to this page) and to its page in the explorer: run <code>facelens serve ' +
      esc(path.basename(res.dir)) +
      '</code> and open this report from there (explorer links start with /#/). <code>facelens report --single-file</code> writes one self-contained HTML file.</p>';
  await writeFileAtomic(file, renderPage(title, subtitle, sections, { intro, overlays: assets.overlays }));
  return { file, sections, images: assets.referenced };
}

/** Writes `<resultsDir>/index.html` and returns its path. */
export async function buildReport(resultsDir: string, opts: ReportOptions = {}): Promise<string> {
  return (await buildReportDetailed(resultsDir, opts)).file;
}
