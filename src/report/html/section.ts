/** One report section: what it shows, the parameters used, a one-line reading, or why it is empty. */
import { esc, paramText } from './escape.js';

export interface Section {
  id: string;
  title: string;
  /** Where it sits in the paper (e.g. "paper Sec. IV-A, Fig. 3"). */
  paper: string;
  /** 'ok': data shown; 'absent': no data (reason says why); 'failed': the step failed (reason = error). */
  status: 'ok' | 'absent' | 'failed';
  reason?: string;
  reading?: string;
  parameters?: [string, unknown][];
  body?: string;
  /** What was done (one or two sentences). */
  what?: string;
  /** How to read the figures. */
  howToRead?: string;
  /** What the paper found (its numbers and trends), as HTML. */
  paperHtml?: string;
  /** Whether this run agrees with the paper, and why (one sentence). */
  agreement?: string;
  /** Data files and explorer pages of the section: [label, href]. */
  links?: [string, string][];
}

export function renderSection(s: Section): string {
  const parts = [`<section id="${esc(s.id)}" class="section status-${s.status}" data-status="${s.status}">`, `<h2>${esc(s.title)} <small>${esc(s.paper)}</small></h2>`];
  if (s.status === 'failed') parts.push(`<p class="failed"><strong>Failed:</strong> ${esc(s.reason ?? 'unknown error')}</p>`);
  if (s.status === 'absent') parts.push(`<p class="absent"><strong>No data:</strong> ${esc(s.reason ?? 'not run')}</p>`);
  if (s.what) parts.push(`<p class="what"><strong>What was done:</strong> ${esc(s.what)}</p>`);
  if (s.reading) parts.push(`<p class="reading"><strong>This run:</strong> ${esc(s.reading)}</p>`);
  if (s.howToRead) parts.push(`<p class="how"><strong>How to read:</strong> ${esc(s.howToRead)}</p>`);
  if (s.parameters && s.parameters.length > 0) {
    parts.push(
      '<details class="params"><summary>Parameters</summary><dl>' +
        s.parameters.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(paramText(v))}</dd>`).join('') +
        '</dl></details>',
    );
  }
  if (s.body) parts.push(s.body);
  if (s.paperHtml || s.agreement) {
    parts.push(
      `<div class="paper"><p><strong>The paper found:</strong> ${s.paperHtml ?? '—'}</p>${s.agreement ? `<p><strong>Does this run agree?</strong> ${esc(s.agreement)}</p>` : ''}</div>`,
    );
  }
  if (s.links && s.links.length > 0) parts.push(linkList(s.links));
  parts.push('</section>');
  return parts.join('\n');
}

/** An HTML table; cells are escaped unless given as `{ html }`. */
export function table(header: string[], rows: (string | number | { html: string })[][], cls = ''): string {
  const cell = (c: string | number | { html: string }, tag: string) =>
    `<${tag}${typeof c === 'number' ? ' class="num"' : ''}>${typeof c === 'object' ? c.html : esc(c)}</${tag}>`;
  return `<table${cls ? ` class="${esc(cls)}"` : ''}><thead><tr>${header.map((h) => cell(h, 'th')).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => cell(c, 'td')).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

/** A row of links to data files and explorer pages. */
export function linkList(links: [string, string][], label = 'Data and pages'): string {
  return `<p class="links">${esc(label)}: ${links.map(([t, href]) => `<a href="${esc(href)}">${esc(t)}</a>`).join(' · ')}</p>`;
}

/** A figure with its caption and the links to its data and explorer page. */
export function figure(content: string, caption: string, links: [string, string][] = [], cls = ''): string {
  const l = links.length > 0 ? ` <span class="links">${links.map(([t, href]) => `<a href="${esc(href)}">${esc(t)}</a>`).join(' · ')}</span>` : '';
  return `<figure${cls ? ` class="${esc(cls)}"` : ''}>${content}<figcaption>${caption}${l}</figcaption></figure>`;
}

/** Explorer routes (the explorer serves the results directory; `facelens serve DIR`). */
export const explorer = {
  home: () => '/#/',
  layer: (layer: string) => `/#/layer/${encodeURIComponent(layer)}`,
  neuron: (layer: string, k: number) => `/#/layer/${encodeURIComponent(layer)}/neuron/${k}`,
  similarity: (layer: string) => `/#/layer/${encodeURIComponent(layer)}/similarity`,
  probe: (name: string) => `/#/probe/${encodeURIComponent(name)}`,
  explain: () => '/#/explain',
  explainPair: (k: number) => `/#/explain/${k}`,
};
