import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { buildResultsIndex, hasResults } from '../../web/results-index.js';
import { DEFAULT_HOST, DEFAULT_PORT, startExplorer } from '../../web/server.js';
import { UserError } from '../../core/errors.js';
import { info, result } from '../log.js';
import { withTimeout } from '../../io/safe-output.js';
import type { ResultsIndex } from '../../results/explorer-index.js';

/** What the explorer will show from a results folder, and what it will not (and why). */
export function describeIndex(index: ResultsIndex): string[] {
  const has = (x: unknown) => x !== undefined;
  const atlas = index.layers.filter((l) => l.atlas).map((l) => `${l.name} (${l.atlas!.neurons.length})`);
  const parts: [string, boolean, string][] = [
    ['report (index.html)', has(index.report), 'run `facelens report DIR`'],
    ['run record (run.json)', has(index.run), 'written by `facelens demo`'],
    ['sweep', has(index.sweep), 'run `facelens sweep`'],
    [`atlas: ${atlas.join(', ') || '-'}`, atlas.length > 0, 'run `facelens atlas`'],
    [`similarity: ${index.layers.filter((l) => l.similarity).map((l) => l.name).join(', ') || '-'}`, index.layers.some((l) => l.similarity), 'run `facelens similarity`'],
    [`maximize: ${index.layers.filter((l) => l.maximize).map((l) => l.name).join(', ') || '-'}`, index.layers.some((l) => l.maximize), 'run `facelens maximize`'],
    [`probes: ${index.probes.map((p) => p.name).join(', ') || '-'}`, index.probes.length > 0, 'run invariance / correspondence / verify / pose'],
  ];
  return [
    `serving: ${parts.filter((p) => p[1]).map((p) => p[0]).join('; ')}`,
    ...(parts.some((p) => !p[1]) ? [`missing: ${parts.filter((p) => !p[1]).map((p) => `${p[0].split(':')[0]} (${p[2]})`).join('; ')}`] : []),
  ];
}

import { numberArg } from '../options.js';

const portArg = numberArg('--port', (n) => Number.isInteger(n) && n >= 0 && n <= 65535, 'an integer in 0..65535');

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('local explorer of a results folder (`facelens demo` output): layers, neurons, similarity, probe plots')
    .argument('<dir>', 'results folder, e.g. facelens-report')
    .option('-p, --port <n>', 'port (0 = any free port)', portArg, DEFAULT_PORT)
    .option('--host <host>', 'address to bind (other than 127.0.0.1 exposes the results to the network)', DEFAULT_HOST)
    .option('--projection-cache <dir>', 'where projections computed on demand (neurons the atlas lacks, the per-face view) are cached', undefined)
    .action(async (dir: string, opts: { port: number; host: string; projectionCache?: string }) => {
      const st = await stat(dir).catch(() => undefined);
      if (!st?.isDirectory()) throw new UserError(`${dir} is not a folder`);
      const index = await withTimeout(buildResultsIndex(dir), 30_000, `${dir}: reading the results folder took more than 30 s`);
      if (!hasResults(index)) {
        throw new UserError(`${dir} holds no facelens results (no atlas/, similarity/, maximize/, probe folders, sweep/ or index.html); run \`facelens demo --out ${dir}\` first`);
      }
      for (const line of describeIndex(index)) info(line);
      if (opts.host !== DEFAULT_HOST && opts.host !== 'localhost') info(`warning: binding ${opts.host}: anyone who can reach this address can read the results`);
      const ex = await startExplorer({ root: dir, host: opts.host, port: opts.port, ...(opts.projectionCache ? { projectionCache: opts.projectionCache } : {}) }).catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'EADDRINUSE') throw new UserError(`port ${opts.port} is in use; pass --port N (0 = any free port)`);
        throw e;
      });
      info(`serving ${dir} (Ctrl-C to stop)`);
      result(ex.url);
      const stop = () => void ex.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
