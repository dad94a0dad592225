import type { Command } from 'commander';
import { buildReportDetailed } from '../../report/html/build.js';
import { isDir } from '../../data/datasets/util.js';
import { UserError } from '../../core/errors.js';
import { info, result } from '../log.js';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('(re)build the self-contained HTML report (index.html) of a results directory')
    .argument('[dir]', 'results directory (as written by `facelens demo`)', 'facelens-report')
    .option('--single-file', 'write one HTML file with every figure inlined (default name report-single.html in DIR)')
    .option('-o, --out <file>', 'output HTML file (default DIR/index.html, or DIR/report-single.html with --single-file)')
    .action(async (dir: string, o: { singleFile?: boolean; out?: string }) => {
      if (!(await isDir(dir))) throw new UserError(`no such results directory: ${dir}`);
      const r = await buildReportDetailed(dir, { singleFile: o.singleFile === true, ...(o.out ? { out: o.out } : {}) });
      for (const s of r.sections) info(`${s.title}: ${s.status === 'ok' ? 'ok' : `${s.status}: ${s.reason ?? ''}`}`);
      result(r.file);
    });
}
