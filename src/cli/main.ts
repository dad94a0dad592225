#!/usr/bin/env node
/** The `facelens` command line. Each sub-command lives in ./commands/<name>.ts. */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { describeError } from './error-report.js';
import { guardOutput, releaseOutputs } from './output-guard.js';
import { setQuiet } from './progress.js';
import { parseDevice, requireDevice, setDevice } from '../engine/ort/device.js';
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
  process.stderr.write(describeError(err, debug).text);
  // Exit at once: TF.js's WASM runtime installs its own uncaughtException handler that would
  // otherwise print its entire source.
  process.exit(1);
}

/** The whole command tree; commander errors throw (exitOverride) instead of exiting. */
export function buildProgram(): Command {
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
    .hook('preAction', (_cmd, action) => guardOutput(action))
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
  // Every level, nested sub-commands (`data fetch`) included: commander would otherwise call
  // process.exit on their usage errors, which kills an in-process caller of runCli.
  const throwOnError = (c: Command): void => {
    c.exitOverride();
    c.commands.forEach(throwOnError);
  };
  throwOnError(program);
  return program;
}

/**
 * Runs one command line (`argv` as process.argv: node, script, args...) and returns its exit
 * code instead of exiting, so tests can drive the CLI in-process. Commander has already printed
 * its own usage errors; every other error is printed here as one line (see error-report.ts).
 */
export async function runCli(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug');
  try {
    await buildProgram().parseAsync(argv);
    await releaseOutputs(false);
    return 0;
  } catch (e) {
    await releaseOutputs(true);
    if (e instanceof CommanderError) return e.exitCode;
    process.stderr.write(describeError(e, debug).text);
    return 1;
  }
}

export async function main(argv: string[]): Promise<void> {
  process.on('unhandledRejection', (e) => fail(e, argv.includes('--debug')));
  const code = await runCli(argv);
  // Exit at once on failure (see fail); on success a server (`serve`) may still be running.
  if (code !== 0) process.exit(code);
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) await main(process.argv);
