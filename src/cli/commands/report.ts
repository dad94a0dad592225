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
    .action(async (dir: string) => {
      if (!(await isDir(dir))) throw new UserError(`no such results directory: ${dir}`);
      const r = await buildReportDetailed(dir);
      for (const s of r.sections) info(`${s.title}: ${s.status === 'ok' ? 'ok' : `${s.status}: ${s.reason ?? ''}`}`);
      result(r.file);
    });
}
