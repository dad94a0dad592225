/** Renders the pipe tables the probes write (table.md) as HTML tables; other lines as text. */
import { h } from './dom.js';

const cells = (line: string) => line.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((c) => c.trim().replace(/\*\*/g, ''));

export function markdownTables(md: string): HTMLElement {
  const out = h('div', { class: 'md' });
  const lines = md.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim().startsWith('|') && /^\s*\|?\s*:?-{3,}/.test(lines[i + 1] ?? '')) {
      const head = cells(line);
      const table = h('table', {}, h('thead', {}, h('tr', {}, ...head.map((c) => h('th', {}, c)))));
      const body = h('tbody');
      i += 2;
      while (i < lines.length && lines[i].trim().startsWith('|')) body.append(h('tr', {}, ...cells(lines[i++]).map((c) => h('td', {}, c))));
      i--;
      table.append(body);
      out.append(table);
    } else if (line.trim() !== '') {
      out.append(h('p', {}, line.replace(/^#+\s*/, '')));
    }
  }
  return out;
}
