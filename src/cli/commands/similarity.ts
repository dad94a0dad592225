import type { Command } from 'commander';
import { similarity } from '../../analyses/similarity.js';
import { UserError } from '../../core/errors.js';
import { info, result } from '../log.js';
import { addLayerOption, addOutOption, intArg } from '../options.js';

export function registerSimilarity(program: Command): void {
  const cmd = program
    .command('similarity')
    .description('neuron similarity matrix of a layer from a sweep (paper eq. 2): heatmap, redundant pairs, independent neurons')
    .requiredOption('-s, --sweep <dir>', 'a finished `facelens sweep` folder');
  addLayerOption(cmd)
    .option('-n, --n <k>', 'top-n set size', intArg('--n'), 50)
    .option('--table <neurons>', 'comma-separated neurons for the Table III-style sub-matrix');
  addOutOption(cmd, 'facelens-out/similarity')
    .action(async (opts: { sweep: string; layer: string; n: number; table?: string; out: string }) => {
      const table = opts.table?.split(',').map((s) => {
        const k = Number(s);
        if (!Number.isInteger(k) || k < 0) throw new UserError(`--table: "${s}" is not a neuron index`);
        return k;
      });
      const r = await similarity({ sweepDir: opts.sweep, layer: opts.layer, out: opts.out, n: opts.n, table });
      info(`${r.neurons} neurons x ${r.images} images, n=${r.n}: mean off-diagonal S = ${r.meanOffDiagonal.toFixed(3)}, ${r.dead.length} dead neurons (${r.seconds.toFixed(2)} s)`);
      info(`most redundant: ${r.redundant.slice(0, 5).map((p) => `${p.i}~${p.j} (${p.s.toFixed(2)})`).join(', ')}`);
      info(`most independent: ${r.independent.slice(0, 5).map((p) => `${p.neuron} (${p.meanSimilarity.toFixed(3)})`).join(', ')}`);
      result(r.files.heatmap);
    });
}
