/**
 * `buildReport(dir)`: one self-contained HTML page (`<dir>/index.html`) from a results directory,
 * reading only that directory, so it can be rebuilt at any time (`facelens report DIR`). Images
 * are referenced by relative paths inside the directory; charts are rendered into `report/`.
 * Sections follow the paper's order; a section without data says so and why.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { ASSET_DIR, Assets } from './assets.js';
import { renderPage } from './page.js';
import { Results } from './results.js';
import type { Section } from './section.js';
import { correspondenceSection } from './sections/correspondence.js';
import { discriminationSection } from './sections/discrimination.js';
import { featuresSection } from './sections/features.js';
import { invarianceSection } from './sections/invariance.js';
import { maximizeSection } from './sections/maximize.js';
import { overviewSection } from './sections/overview.js';
import { poseSection } from './sections/pose.js';
import { similaritySection } from './sections/similarity.js';
import { writeFileAtomic } from '../../io/atomic.js';

/** Section builders in page order: the run, then the paper's order. */
export const SECTION_BUILDERS = [overviewSection, featuresSection, invarianceSection, discriminationSection, correspondenceSection, poseSection, maximizeSection, similaritySection];

/** Ids of the paper's sections in page order. */
export const PAPER_SECTION_IDS = ['features', 'invariance', 'discrimination', 'correspondence', 'pose', 'maximize', 'similarity'];

export interface ReportBuild {
  file: string;
  sections: Section[];
  /** Every image the page references (results-relative). */
  images: string[];
}

export async function buildReportDetailed(resultsDir: string): Promise<ReportBuild> {
  const res = await Results.open(resultsDir);
  await rm(path.join(res.dir, ASSET_DIR), { recursive: true, force: true });
  const assets = new Assets(res.dir);
  const sections: Section[] = [];
  for (const build of SECTION_BUILDERS) {
    try {
      sections.push(await build(res, assets));
    } catch (e) {
      // A malformed results file must not take the whole report down.
      const id = build.name.replace(/Section$/, '');
      sections.push({ id, title: id, paper: '', status: 'failed', reason: `report: cannot render this section (${e instanceof Error ? e.message : String(e)})` });
    }
  }
  const model = res.run?.model;
  const title = `facelens report${model ? `: ${model}` : ''}`;
  const subtitle = `Zhong & Deng's analyses of a face-recognition CNN, per layer and neuron. Results: ${path.basename(res.dir)}${res.run ? `, ${res.run.date}` : ''}.`;
  const file = path.join(res.dir, 'index.html');
  await writeFileAtomic(file, renderPage(title, subtitle, sections));
  return { file, sections, images: assets.referenced };
}

/** Writes `<resultsDir>/index.html` and returns its path. */
export async function buildReport(resultsDir: string): Promise<string> {
  return (await buildReportDetailed(resultsDir)).file;
}
