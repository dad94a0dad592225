#!/usr/bin/env node
/** The `facelens` command line. Each sub-command lives in ./commands/<name>.ts. */
import { Command } from 'commander';
import { UserError } from '../core/errors.js';
import { setQuiet } from './progress.js';
import { parseDevice, requireDevice, setDevice } from '../engine/device.js';
import { registerModels } from './commands/models.js';
import { registerAlign } from './commands/align.js';
import { registerEmbed } from './commands/embed.js';
import { registerDemo } from './commands/demo.js';
import { registerSweep } from './commands/sweep.js';
import { registerMerge } from './commands/merge.js';
import { registerVerify } from './commands/verify.js';
import { registerAtlas } from './commands/atlas.js';
import { registerSimilarity } from './commands/similarity.js';
import { registerInvariance } from './commands/invariance.js';
import { registerCorrespondence } from './commands/correspondence.js';
import { registerPose } from './commands/pose.js';
import { registerMaximize } from './commands/maximize.js';
import { registerReport } from './commands/report.js';
import { registerServe } from './commands/serve.js';
import { registerData } from './commands/data.js';
import { registerYaw } from './commands/yaw.js';
import { registerCompare } from './commands/compare.js';
import { registerExplain } from './commands/explain.js';

function fail(err: unknown, debug: boolean): never {
  const e = err instanceof Error ? err : new Error(String(err));
  const user = e instanceof UserError;
  process.stderr.write(`facelens: error: ${e.message.split('\n')[0]}\n`);
  if (debug) process.stderr.write(`${e.stack ?? ''}\n`);
  else if (!user) process.stderr.write('(internal error; run again with --debug for the stack trace)\n');
  // Exit at once: TF.js's WASM runtime installs its own uncaughtException handler that would
  // otherwise print its entire source.
  process.exit(1);
}

export async function main(argv: string[]): Promise<void> {
  const debug = argv.includes('--debug');
  const program = new Command();
  program
    .name('facelens')
    .description('Open up deep face-recognition CNNs: neurons, layers, invariance, discrimination, attributes.')
    .option('--debug', 'print stack traces on errors')
    .option('--quiet', 'no progress bars')
    .option('--device <cpu|cuda>', 'where ONNX Runtime runs forward passes (cuda: its CUDA provider, see `facelens models --devices`)', 'cpu')
    .hook('preAction', async (cmd) => {
      setQuiet(Boolean(cmd.opts().quiet));
      const device = parseDevice(String(cmd.opts().device));
      if (device !== 'cpu') await requireDevice(device);
      setDevice(device);
    })
    // A usage error (bad option value, unknown option, missing argument) is one line.
    .configureOutput({ outputError: (str, write) => write(`facelens: ${str.trim().split('\n')[0]} (see --help)\n`) });
  registerDemo(program);
  registerModels(program);
  registerAlign(program);
  registerEmbed(program);
  registerSweep(program);
  registerMerge(program);
  registerVerify(program);
  registerAtlas(program);
  registerSimilarity(program);
  registerInvariance(program);
  registerCorrespondence(program);
  registerPose(program);
  registerMaximize(program);
  registerReport(program);
  registerServe(program);
  registerData(program);
  registerYaw(program);
  registerExplain(program);
  registerCompare(program);
  try {
    await program.parseAsync(argv);
  } catch (e) {
    fail(e, debug);
  }
}

process.on('unhandledRejection', (e) => fail(e, process.argv.includes('--debug')));
await main(process.argv);
