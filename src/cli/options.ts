/** Options shared by several commands, so every command spells them the same way. */
import type { Command } from 'commander';
import { DEFAULT_MODEL } from '../models/registry.js';

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

export function addModelOption(cmd: Command): Command {
  return cmd.option('-m, --model <name>', 'face model (see `facelens models`)', DEFAULT_MODEL);
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
