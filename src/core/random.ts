/**
 * The seeded random streams of facelens, in one place so that every analysis draws from the same
 * two generators and a seed means the same thing everywhere:
 * - `mulberry32(seed)`: a tiny numeric-seed uniform [0, 1) generator for number streams that must
 *   be identical across runs and platforms (activation maximisation jitter, bench and test data).
 * - `seededStream(key)`: seedrandom's ARC4 stream keyed by a string; the analyses that derive many
 *   independent streams from one seed (`${seed}/draw${d}`, folds, k-means, t-SNE) key it by text.
 */
import seedrandom from 'seedrandom';

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniform [0, 1) stream keyed by `key` (numbers are keyed by their decimal text). */
export function seededStream(key: string | number): () => number {
  return seedrandom(String(key));
}

/**
 * The text key of a user seed for the analyses that key `seededStream`s by text (correspondence
 * masks, pose folds): seed n is `facelens-n` everywhere (CLI, demo, API), so a standalone command
 * with the demo's --seed draws exactly what the demo drew. A string is taken as an explicit key.
 */
export function seedKey(seed: number | string): string {
  return typeof seed === 'number' ? `facelens-${seed}` : seed;
}
