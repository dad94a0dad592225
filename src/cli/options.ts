/** Options shared by several commands, so every command spells them the same way. */
import type { Command } from 'commander';
import type { FaceModel } from '../models/face-model.js';
import { DEFAULT_MODEL, loadModel } from '../models/registry.js';
import { UserError } from '../core/errors.js';

export interface CommonOptions {
  model: string;
  out: string;
  batch: number;
  detect: boolean;
  cache: boolean;
  cacheDir?: string;
}

export function intArg(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got "${v}"`);
    return n;
  };
}

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

export function addDataOptions(cmd: Command): Command {
  return cmd
    .option('--no-detect', 'treat images as already-aligned crops (resize + centre crop)')
    .option('--no-cache', 'do not read or write the aligned-face cache')
    .option('--cache-dir <dir>', 'aligned-face cache (default $FACELENS_CACHE or ~/.cache/facelens/aligned)')
    .option('-b, --batch <n>', 'images per forward batch', intArg('--batch'), 8);
}

/** The options `addDataOptions` defines, picked from a command's parsed options. */
export function dataOptions(opts: { batch: number; detect: boolean; cache: boolean; cacheDir?: string }) {
  return { batch: opts.batch, detect: opts.detect, cache: opts.cache, cacheDir: opts.cacheDir };
}
