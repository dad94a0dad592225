/**
 * Resume for `facelens compare`: the streamed state is checkpointed into a folder so an
 * interrupted run continues where it stopped instead of starting over.
 *
 * Layout of the folder:
 *   state.bin      the CKA accumulator's statistics (cka.ts `snapshot`), the number of items
 *                  done, the skipped items and the number of feature chunks; one file, written
 *                  atomically (temp + rename), so it is always a complete checkpoint
 *   kept-NNNN.bin  the reduced features of the faces verification pairs use, added since the
 *                  previous checkpoint (append-only: each chunk is written once, atomically,
 *                  before the state.bin that counts it)
 * A checkpoint is only taken right after the accumulator was flushed, so it holds exactly the
 * faces of items [0, done). Every parameter that changes the result, including the summation
 * order (chunk, flush size, batch), is fingerprinted (SHA-256 of the JSON); a checkpoint with
 * another fingerprint is ignored (and overwritten), so a changed run never reuses it.
 *
 * File format (both kinds): "FLCK" | uint32 LE header length | JSON header | zero padding to 8
 * bytes | the arrays' raw little-endian bytes back to back, lengths and types in the header.
 * Hand-written: a few typed arrays and a JSON header; no package does this better than 40 lines.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import type { SkippedItem } from '../../data/dataset.js';
import { writeFileAtomic } from '../../io/atomic.js';

const MAGIC = 'FLCK';
export const CHECKPOINT_FORMAT = 'facelens-compare-checkpoint/1';

export function fingerprint(parameters: unknown): string {
  return createHash('sha256').update(JSON.stringify(parameters)).digest('hex');
}

type Arr = Float64Array | Float32Array;

function pack(header: Record<string, unknown>, arrays: Arr[]): Buffer {
  const h = Buffer.from(JSON.stringify({ ...header, arrays: arrays.map((a) => ({ type: a instanceof Float64Array ? 'f64' : 'f32', length: a.length })) }), 'utf8');
  const start = Math.ceil((8 + h.length) / 8) * 8;
  const size = start + arrays.reduce((s, a) => s + a.byteLength, 0);
  const out = Buffer.alloc(size);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(h.length, 4);
  h.copy(out, 8);
  let off = start;
  for (const a of arrays) {
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).copy(out, off);
    off += a.byteLength;
  }
  return out;
}

function unpack<H>(buf: Buffer, file: string): { header: H; arrays: Arr[] } {
  if (buf.length < 8 || buf.toString('latin1', 0, 4) !== MAGIC) throw new Error(`${file}: not a compare checkpoint`);
  const len = buf.readUInt32LE(4);
  const header = JSON.parse(buf.toString('utf8', 8, 8 + len)) as H & { arrays: { type: 'f64' | 'f32'; length: number }[] };
  let off = Math.ceil((8 + len) / 8) * 8;
  const arrays = header.arrays.map(({ type, length }) => {
    const bytes = length * (type === 'f64' ? 8 : 4);
    if (off + bytes > buf.length) throw new Error(`${file}: truncated`);
    const copy = new Uint8Array(buf.subarray(off, off + bytes)); // aligned copy
    off += bytes;
    return type === 'f64' ? new Float64Array(copy.buffer) : new Float32Array(copy.buffer);
  });
  return { header, arrays };
}

export interface CompareCheckpointState {
  /** Items [0, done) are in the accumulator. */
  done: number;
  acc: { count: number; arrays: Float64Array[] };
  undetected: SkippedItem[];
  unreadable: SkippedItem[];
  /** Reduced features (one array per slot) of the pair faces, by item id. */
  kept: Map<string, Float32Array[]>;
}

interface StateHeader {
  format: string;
  fingerprint: string;
  done: number;
  count: number;
  undetected: SkippedItem[];
  unreadable: SkippedItem[];
  chunks: number;
}

/** Checkpoints of one run folder; `save` appends the new pair features as one chunk. */
export class CompareCheckpoint {
  private chunks = 0;
  private savedKept = new Set<string>();

  constructor(
    readonly dir: string,
    readonly key: string,
  ) {}

  private statePath(): string {
    return path.join(this.dir, 'state.bin');
  }

  private chunkPath(k: number): string {
    return path.join(this.dir, `kept-${String(k).padStart(4, '0')}.bin`);
  }

  /** The saved state when there is one with this run's fingerprint; otherwise undefined (and stale files are removed). */
  async load(): Promise<CompareCheckpointState | undefined> {
    let buf: Buffer;
    try {
      buf = await readFile(this.statePath());
    } catch {
      return undefined;
    }
    try {
      const { header, arrays } = unpack<StateHeader>(buf, this.statePath());
      if (header.format !== CHECKPOINT_FORMAT || header.fingerprint !== this.key) {
        await this.clear();
        return undefined;
      }
      const kept = new Map<string, Float32Array[]>();
      for (let k = 0; k < header.chunks; k++) {
        const c = unpack<{ ids: string[]; slots: number }>(await readFile(this.chunkPath(k)), this.chunkPath(k));
        c.header.ids.forEach((id, i) => kept.set(id, c.arrays.slice(i * c.header.slots, (i + 1) * c.header.slots) as Float32Array[]));
      }
      this.chunks = header.chunks;
      this.savedKept = new Set(kept.keys());
      return { done: header.done, acc: { count: header.count, arrays: arrays as Float64Array[] }, undetected: header.undetected, unreadable: header.unreadable, kept };
    } catch {
      // A damaged checkpoint is not an error of the run: start over.
      await this.clear();
      return undefined;
    }
  }

  async save(s: CompareCheckpointState): Promise<void> {
    const fresh = [...s.kept.entries()].filter(([id]) => !this.savedKept.has(id));
    if (fresh.length > 0) {
      const slots = fresh[0]![1].length;
      await writeFileAtomic(this.chunkPath(this.chunks), pack({ ids: fresh.map(([id]) => id), slots }, fresh.flatMap(([, a]) => a)));
      this.chunks++;
      for (const [id] of fresh) this.savedKept.add(id);
    }
    const header: StateHeader = { format: CHECKPOINT_FORMAT, fingerprint: this.key, done: s.done, count: s.acc.count, undetected: s.undetected, unreadable: s.unreadable, chunks: this.chunks };
    await writeFileAtomic(this.statePath(), pack({ ...header }, s.acc.arrays));
  }

  /** Removes the checkpoint files (after a finished run, or a stale checkpoint). */
  async clear(): Promise<void> {
    let names: string[] = [];
    try {
      names = await readdir(this.dir);
    } catch {
      return;
    }
    for (const n of names) if (n === 'state.bin' || /^kept-\d{4,}\.bin$/.test(n)) await rm(path.join(this.dir, n), { force: true });
    await rmdir(this.dir).catch(() => undefined);
    this.chunks = 0;
    this.savedKept = new Set();
  }
}
