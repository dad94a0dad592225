/**
 * Debian's chromium driven by playwright-core, for the explorer and report tests. Without
 * /usr/bin/chromium the tests skip with a message, except under CI (process.env.CI), where a
 * missing browser is a failure.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);
/** A skip reason for node:test, or false. Under CI a missing browser is not skipped. */
export const browserSkip: string | false = !haveChromium && !process.env.CI && `${CHROMIUM} not found: browser tests skipped (apt-get install chromium)`;
if (browserSkip) console.log(`# SKIP ${browserSkip}`);

export async function launchChromium(): Promise<Browser> {
  if (!haveChromium) throw new Error(`${CHROMIUM} is missing (CI installs it in .ci/run)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/** Everything that went wrong on a page: console errors, uncaught exceptions, failed or 4xx/5xx requests. */
export function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} (${r.failure()?.errorText ?? '?'})`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  return problems;
}

/**
 * Waits until every <img> has finished; returns the ones that did not decode (naturalWidth 0).
 * Lazy images (loading="lazy", e.g. in the HTML report) are switched to eager first, so that
 * images below the fold are fetched and checked too.
 */
export async function brokenImages(page: Page): Promise<{ count: number; broken: string[] }> {
  await page.evaluate(() => {
    for (const i of document.images) if (i.loading === 'lazy') i.loading = 'eager';
  });
  await page.waitForFunction(() => [...document.images].every((i) => i.complete), undefined, { timeout: 15000 });
  return page.evaluate(() => ({ count: document.images.length, broken: [...document.images].filter((i) => i.naturalWidth === 0).map((i) => i.src) }));
}
