/**
 * The option catalogue: every option more than one command takes is defined here once, so every
 * command spells, checks and documents it the same way. Values are checked while commander
 * parses (InvalidArgumentError, `.choices()`), so a bad value is a one-line usage error naming
 * the option, never an "internal error". Defaults come from the analyses' own defaults objects.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { DEFAULT_BATCH } from '../engine/ort/batch-runner.js';
import { UserError } from '../core/errors.js';
import type { OnProgress } from '../core/progress.js';
import type { FaceModel } from '../models/face-model.js';
import { DEFAULT_MODEL, loadModel } from '../models/registry.js';
import { baseUrlProblem } from '../data/fetch/catalog.js';

// ---------------------------------------------------------------------------------------------
// Number parsers (commander argParsers)

/** A number parser that accepts what `check` accepts and says `what` it wanted otherwise. */
export function numberArg(name: string, check: (n: number) => boolean, what: string) {
  return (v: string): number => {
    const n = v.trim() === '' ? NaN : Number(v);
    if (!Number.isFinite(n) || !check(n)) throw new InvalidArgumentError(`${name} must be ${what}, got "${v}"`);
    return n;
  };
}
export const intArg = (name: string) => numberArg(name, (n) => Number.isInteger(n) && n >= 1, 'a positive integer');
export const nonNegativeInt = (name: string) => numberArg(name, (n) => Number.isInteger(n) && n >= 0, 'a non-negative integer');
export const positiveNumber = (name: string) => numberArg(name, (n) => n > 0, 'a positive number');
export const nonNegativeNumber = (name: string) => numberArg(name, (n) => n >= 0, 'a non-negative number');

/** `--base-url <url>`: a dataset mirror, checked while parsing (an http(s) URL). */
export function addBaseUrlOption(cmd: Command, description: string): Command {
  return cmd.option('--base-url <url>', description, (v: string) => {
    const problem = baseUrlProblem(v);
    if (problem) throw new InvalidArgumentError(`--base-url ${problem}`);
    return v;
  });
}

// ---------------------------------------------------------------------------------------------
// The shared options

/** `-l, --layers <names>`: comma-separated probe layers or "all" (default all). */
export function addLayersOption(cmd: Command): Command {
  return cmd.option('-l, --layers <names>', 'comma-separated probe layers, or "all"', 'all');
}

/** `-l, --layer <name>`: one probe layer; required unless a default is given. */
export function addLayerOption(cmd: Command, description = 'probe layer', defaultLayer?: string): Command {
  return defaultLayer === undefined ? cmd.requiredOption('-l, --layer <name>', description) : cmd.option('-l, --layer <name>', description, defaultLayer);
}

/** `-o, --out <dir>`; `defaultDir` undefined: required (or computed by the command when `optional`). */
export function addOutOption(cmd: Command, defaultDir: string | undefined, description = 'output folder', optional = false): Command {
  if (defaultDir !== undefined) return cmd.option('-o, --out <dir>', description, defaultDir);
  return optional ? cmd.option('-o, --out <dir>', description) : cmd.requiredOption('-o, --out <dir>', description);
}

/** `--seed <n>`: a non-negative integer, the same type in every command. */
export function addSeedOption(cmd: Command, description: string, defaultSeed = 0, flag = '--seed'): Command {
  return cmd.option(`${flag} <n>`, description, nonNegativeInt(flag), defaultSeed);
}

/** An option whose value must be one of `choices`. */
export function addChoiceOption(cmd: Command, flags: string, description: string, choices: readonly string[], defaultValue?: string): Command {
  const o = new Option(flags, description).choices(choices);
  return cmd.addOption(defaultValue === undefined ? o : o.default(defaultValue));
}

export interface DataOptionSet {
  /** --no-detect (default true). */
  detect?: boolean;
  /** -b, --batch (default true); the command must use it when it offers it. */
  batch?: boolean;
  batchDescription?: string;
}

/** The data options: --no-detect, --no-cache, --cache-dir, -b/--batch (each only where it is used). */
export function addDataOptions(cmd: Command, set: DataOptionSet = {}): Command {
  if (set.detect ?? true) cmd.option('--no-detect', 'treat images as already-aligned crops (resize + centre crop)');
  cmd
    .option('--no-cache', 'do not read or write the aligned-face cache')
    .option('--cache-dir <dir>', 'aligned-face cache (default $FACELENS_CACHE or ~/.cache/facelens/aligned)');
  if (set.batch ?? true) cmd.option('-b, --batch <n>', set.batchDescription ?? 'images per forward batch', intArg('--batch'), DEFAULT_BATCH);
  return cmd;
}

/** The options `addDataOptions` defines, picked from a command's parsed options. */
export function dataOptions(opts: { batch?: number; detect?: boolean; cache: boolean; cacheDir?: string }) {
  return { batch: opts.batch, detect: opts.detect, cache: opts.cache, cacheDir: opts.cacheDir };
}

/**
 * The run options every dataset analysis takes (src/analyses/run-options.ts), from a command's
 * parsed --out / --layers / data options, with the command's model, data and progress listener.
 */
export function runOptions<M, D>(
  opts: { out: string; layers?: string | string[]; batch?: number; detect?: boolean; cache: boolean; cacheDir?: string },
  model: M,
  dataset: D,
  onProgress: OnProgress,
) {
  return { model, dataset, out: opts.out, layers: opts.layers, ...dataOptions(opts), onProgress };
}

// ---------------------------------------------------------------------------------------------
// The model

/** The options `addModelOption` defines. */
export interface ModelOptions {
  model: string;
  weights?: string;
  modelConfig?: string;
  probe?: string[];
}

function collect(v: string, prev: string[] = []): string[] {
  return [...prev, v];
}

export function addModelOption(cmd: Command): Command {
  return cmd
    .option('-m, --model <name>', 'face model: a built-in name, vggface (with --weights), a .onnx file or a TF.js model.json (see `facelens models`)', DEFAULT_MODEL)
    .option('--weights <file.h5>', '--model vggface: Keras .h5 weight file')
    .option('--model-config <file.json>', '.onnx / TF.js .json models: description (input size, preprocessing, alignment, probes); default <model>.facelens.json')
    .option('--probe <name=tensor>', '.onnx / .json models: a probe layer (repeatable; replaces the described or discovered ones)', collect);
}

/** `--probe name=tensor` values -> { name: tensor }. */
export function parseProbeArgs(values: string[] | undefined): Record<string, string> | undefined {
  if (!values || values.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const v of values) {
    const i = v.indexOf('=');
    if (i <= 0 || i === v.length - 1) throw new UserError(`--probe must be name=tensor, got "${v}"`);
    const name = v.slice(0, i).trim();
    if (name in out) throw new UserError(`--probe ${name} given twice`);
    out[name] = v.slice(i + 1).trim();
  }
  return out;
}

/** Loads the model a command's `addModelOption` options name. */
export function modelFromOptions(opts: ModelOptions): Promise<FaceModel> {
  return loadModel(opts.model, { weights: opts.weights, config: opts.modelConfig, probes: parseProbeArgs(opts.probe) });
}
