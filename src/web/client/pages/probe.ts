/** A probe folder (invariance, correspondence, verify, pose): its charts, tables and parameters. */
import type { ProbeEntry } from '../../../results/explorer-index.js';
import { fetchJson, fetchText, fileUrl } from '../api.js';
import { h, message } from '../dom.js';
import { markdownTables } from '../markdown-table.js';

export async function probePage(probe: ProbeEntry | undefined, name: string): Promise<HTMLElement> {
  const main = h('div', {}, h('h1', {}, `Probe: ${name}`));
  if (!probe) {
    main.append(message(`There are no ${name} results in this folder.`, true));
    return main;
  }
  for (const t of probe.tables) {
    main.append(h('h2', {}, t.split('/').pop()));
    try {
      main.append(markdownTables(await fetchText(t)));
    } catch (e) {
      main.append(message(`${t} cannot be read: ${(e as Error).message}`, true));
    }
  }
  main.append(h('h2', {}, 'Charts'));
  if (probe.images.length === 0) main.append(message('No charts in this folder.'));
  for (const p of probe.images) main.append(h('figure', {}, h('img', { src: fileUrl(p), alt: p, class: 'plot' }), h('figcaption', {}, p.split('/').pop())));
  if (probe.summary) {
    const s = await fetchJson<{ parameters?: unknown }>(probe.summary).catch((e: Error) => ({ parameters: `summary.json cannot be read: ${e.message}` }));
    main.append(h('details', {}, h('summary', {}, 'Parameters'), h('pre', {}, JSON.stringify(s.parameters ?? s, null, 2))));
  }
  return main;
}
