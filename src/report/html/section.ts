/** One report section: what it shows, the parameters used, a one-line reading, or why it is empty. */
import { esc, paramText } from './escape.js';

export interface Section {
  id: string;
  title: string;
  /** Where it sits in the paper (e.g. "Sec. 3.1, Fig. 3"). */
  paper: string;
  /** 'ok': data shown; 'absent': no data (reason says why); 'failed': the step failed (reason = error). */
  status: 'ok' | 'absent' | 'failed';
  reason?: string;
  reading?: string;
  parameters?: [string, unknown][];
  body?: string;
}

export function renderSection(s: Section): string {
  const parts = [`<section id="${esc(s.id)}" class="section status-${s.status}" data-status="${s.status}">`, `<h2>${esc(s.title)} <small>${esc(s.paper)}</small></h2>`];
  if (s.status === 'failed') parts.push(`<p class="failed"><strong>Failed:</strong> ${esc(s.reason ?? 'unknown error')}</p>`);
  if (s.status === 'absent') parts.push(`<p class="absent"><strong>No data:</strong> ${esc(s.reason ?? 'not run')}</p>`);
  if (s.reading) parts.push(`<p class="reading"><strong>Reading:</strong> ${esc(s.reading)}</p>`);
  if (s.parameters && s.parameters.length > 0) {
    parts.push(
      '<details class="params"><summary>Parameters</summary><dl>' +
        s.parameters.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(paramText(v))}</dd>`).join('') +
        '</dl></details>',
    );
  }
  if (s.body) parts.push(s.body);
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
