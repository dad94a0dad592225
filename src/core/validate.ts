/**
 * Up-front checks of option values that would otherwise fail deep inside an analysis (a raw
 * RangeError, an allocation of terabytes, a minutes-long run that ends in an out-of-memory
 * kill): one-line UserErrors that name the option and the limit.
 */
import { UserError } from './errors.js';

/** The most memory one command may plan to use (the hardening brief: peak < 2 GB). */
export const MEMORY_BUDGET_BYTES = 1.5 * 1024 ** 3;

const gb = (b: number) => `${(b / 1024 ** 3).toFixed(b < 1024 ** 3 ? 2 : 1)} GB`;

/** Throws when `bytes` (what the options imply) exceeds the memory budget. */
export function assertMemory(what: string, bytes: number, hint: string): void {
  if (!Number.isFinite(bytes) || bytes > MEMORY_BUDGET_BYTES) {
    throw new UserError(`${what} would need ${Number.isFinite(bytes) ? gb(bytes) : 'unbounded'} of memory (limit ${gb(MEMORY_BUDGET_BYTES)}); ${hint}`);
  }
}

export function assertIntInRange(flag: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) throw new UserError(`${flag} must be an integer in ${min}..${max}, got ${v}`);
}

/** Largest atlas tile half (px): a 2 x 4096^2 RGBA tile is already 128 MB. */
export const MAX_ATLAS_TILE = 2048;
/** Largest extra margin (cells) around the atlas' t-SNE window; no layer input map is wider. */
export const MAX_ATLAS_MARGIN = 64;

/**
 * The atlas of `neurons` neurons with top-`n` samples, tiles of 2*tile x tile pixels: each mosaic
 * holds n tiles (RGB) and is composed as RGBA; `margin` widens the t-SNE window of each sample
 * (at least (1 + 2 margin)^2 cells of up to 512 channels, float32).
 */
export function checkAtlasOptions(o: { n: number; tile: number; margin: number }): void {
  assertIntInRange('--tile', o.tile, 1, MAX_ATLAS_TILE);
  assertIntInRange('--margin', o.margin, 0, MAX_ATLAS_MARGIN);
  const mosaicPixels = o.n * 2 * o.tile * o.tile;
  assertMemory(`--tile ${o.tile} with --n ${o.n}`, mosaicPixels * (3 + 4 + 4), 'use a smaller --tile or --n');
  const side = 1 + 2 * o.margin;
  assertMemory(`--margin ${o.margin} with --n ${o.n}`, o.n * side * side * 512 * 4, 'use a smaller --margin or --n');
}

/**
 * A comma-separated list option: trimmed entries, empty entries refused (an empty list is an
 * error, never "nothing"), duplicates dropped (first occurrence kept).
 */
export function parseNameList(flag: string, value: string): string[] {
  if (typeof value !== 'string' || value.trim() === '') throw new UserError(`${flag} is empty; give one or more comma-separated names`);
  const names = value.split(',').map((s) => s.trim());
  if (names.some((s) => s === '')) throw new UserError(`${flag} "${value}" has an empty entry`);
  return [...new Set(names)];
}

/**
 * A run over `total` inputs that could use none of them is an error, not an empty result: the
 * message names the first skipped item and why (first line of the reason).
 */
export function assertSomethingUsable(total: number, used: number, skipped: readonly { id: string; reason: string }[]): void {
  if (used > 0 || total === 0) return;
  const first = skipped[0];
  const why = first ? `; e.g. ${first.id}: ${first.reason.split('\n')[0]}` : '';
  throw new UserError(`no usable image: all ${total} input image(s) were skipped${why}`);
}
