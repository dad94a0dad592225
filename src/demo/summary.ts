/** The text summary `facelens demo` prints at the end: steps, timings, key numbers, sections. */
import type { Section } from '../report/html/section.js';
import type { RunRecord } from './run-log.js';

export function demoSummaryText(run: RunRecord, sections: Section[], reportSeconds: number): string[] {
  const lines = [`facelens demo: ${run.model}, seed ${run.seed}`, ''];
  const w = Math.max(...run.steps.map((s) => s.name.length), 6);
  for (const s of run.steps) {
    const detail = s.status === 'ok' ? Object.entries(s.numbers ?? {}).map(([k, v]) => `${k} ${v}`).join(', ') : (s.reason ?? '');
    lines.push(`${s.name.padEnd(w)}  ${s.status.padEnd(7)} ${s.seconds.toFixed(1).padStart(7)} s  ${detail}`);
  }
  const total = run.totalSeconds + reportSeconds;
  lines.push(`${'report'.padEnd(w)}  ${'ok'.padEnd(7)} ${reportSeconds.toFixed(1).padStart(7)} s`);
  lines.push(`${'total'.padEnd(w)}  ${''.padEnd(7)} ${total.toFixed(1).padStart(7)} s${run.budgetSeconds ? ` (budget ${run.budgetSeconds} s)` : ''}`);
  lines.push('');
  lines.push('sections:');
  for (const s of sections) lines.push(`  ${s.title}: ${s.status === 'ok' ? (s.reading ?? 'ok') : `${s.status === 'failed' ? 'FAILED' : 'no data'}: ${s.reason ?? ''}`}`);
  return lines;
}
