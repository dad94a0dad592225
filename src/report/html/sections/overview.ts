/** The run: model, data, every step with its status and time (from run.json), the aligned faces. */
import { CAPTION_FONT } from '../../../figures/contact-sheet.js';
import type { Assets } from '../assets.js';
import { esc, paramText } from '../escape.js';
import type { Results } from '../results.js';
import { table, type Section } from '../section.js';

export async function overviewSection(res: Results, assets: Assets): Promise<Section> {
  const base = { id: 'run', title: 'Run', paper: 'model, data and steps' };
  const run = res.run;
  // the align step names its photos (bundled demo photos, or LFW photos standing in for them)
  const source = run?.steps.find((s) => s.name === 'align')?.parameters?.source;
  const faces = (await res.files('faces')).includes('aligned-faces.png') ? await assets.img('faces/aligned-faces.png', `aligned faces of the ${typeof source === 'string' ? source : 'demo photos'}`, { textPx: CAPTION_FONT, zoom: true }) : '';
  if (!run) {
    return { ...base, status: 'absent', reason: 'no run.json (this results directory was not written by `facelens demo`); sections below read the analyses\' own summary files', body: faces };
  }
  const rows = run.steps.map((s) => [
    s.name,
    { html: `<span class="st st-${esc(s.status)}">${esc(s.status)}</span>` },
    s.seconds.toFixed(1),
    s.status === 'ok' ? Object.entries(s.numbers ?? {}).map(([k, v]) => `${k} ${v}`).join(', ') : (s.reason ?? ''),
    { html: `<small>${esc(paramText(s.parameters ?? {}))}</small>` },
  ]);
  const failed = run.steps.filter((s) => s.status === 'failed');
  const skipped = run.steps.filter((s) => s.status === 'skipped');
  return {
    ...base,
    status: 'ok',
    reading: `${run.steps.length} steps in ${run.totalSeconds.toFixed(0)} s: ${run.steps.length - failed.length - skipped.length} ok, ${skipped.length} skipped, ${failed.length} failed${failed.length ? ` (${failed.map((s) => s.name).join(', ')})` : ''}.`,
    parameters: [
      ['model', run.model],
      ['seed', run.seed],
      ['date', run.date],
      ...Object.entries(run.datasets).map(([k, v]) => [`data: ${k}`, v] as [string, unknown]),
      ...Object.entries(run.options).map(([k, v]) => [`requested ${k}`, v] as [string, unknown]),
      ['note', 'requested options are what the command was given; a step may use less (e.g. top-n capped by the number of images): the steps table lists the parameters each step used'],
    ],
    what: 'facelens ran the analyses of Zhong & Deng (Sec. III-IV of the paper) on this model and data; each section below shows one analysis with the parameters that step used.',
    body:
      (typeof run.datasets.banner === 'string' ? `<p class="failed"><strong>Data:</strong> ${esc(run.datasets.banner)}</p>` : '') +
      `<div class="table-wrap">${table(['step', 'status', 'seconds', 'result / reason', 'parameters used'], rows, 'steps')}</div>` +
      (faces ? `<h3>Aligned faces</h3>${faces}` : ''),
  };
}
