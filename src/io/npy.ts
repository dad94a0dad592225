/**
 * NPY (NumPy array file) reader and writer, plus a resumable streaming writer.
 *
 * Why hand-written: `npyjs` (1.2.0, the maintained npm option, not installed; read from its
 * published dist) parses NPY and has a one-shot `dump`, but (a) `dump` aligns the header to 8
 * bytes, not the 64 the format asks for since NumPy 1.16, and writes a compact dict, so its
 * files differ from numpy.save's; (b) it has no streaming/append writer, no in-place header
 * rewrite and no recovery of a file cut short by a killed process, which long feature-
 * extraction runs need; (c) it pulls in `cross-fetch`. The format is small and fully specified
 * (numpy.lib.format), so this file is cheaper than a dependency plus the missing half.
 *
 * Files are written exactly as `numpy.save` (NumPy >= 1.23) writes them: format 1.0, header dict
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`, then, for arrays of rank >= 1,
 * spare spaces so that the first dimension can grow to 21 digits and be rewritten in place
 * (numpy's GROWTH_AXIS_MAX_DIGITS), then spaces up to a multiple of 64 bytes and '\n'. The
 * header length therefore does not depend on the row count, which is what lets NpyAppender
 * rewrite it in place; and the output is byte-identical to numpy.save for the same array.
 *
 * Supported dtypes: float32 ('<f4'), int32 ('<i4'), uint8 ('|u1'); C order only. Data are
 * little-endian; this module refuses to run on a big-endian host rather than swap bytes.
 */
import { endianness } from 'node:os';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { writeFileAtomic } from './atomic.js';
import { UserError } from '../core/errors.js';

export type NpyDtype = 'float32' | 'int32' | 'uint8';
export type NpyTypedArray = Float32Array | Int32Array | Uint8Array;

/** A C-order array. `data.length === product(shape)` (1 for shape []). */
export interface NpyArray<T extends NpyTypedArray = NpyTypedArray> {
  dtype: NpyDtype;
  shape: number[];
  data: T;
}

/** What an NPY header says, and where the data start. */
export interface NpyHeader {
  dtype: NpyDtype;
  shape: number[];
  /** Byte offset of the first data byte (= total header length incl. magic). */
  dataOffset: number;
  /** Format version, e.g. [1, 0]. */
  version: [number, number];
}

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY
const ARRAY_ALIGN = 64;
/** numpy.lib.format.GROWTH_AXIS_MAX_DIGITS: room left so the growth axis can reach 21 digits. */
const GROWTH_AXIS_MAX_DIGITS = 21;

const DESCR: Record<NpyDtype, string> = { float32: '<f4', int32: '<i4', uint8: '|u1' };
const ITEMSIZE: Record<NpyDtype, number> = { float32: 4, int32: 4, uint8: 1 };
const DTYPE_OF_DESCR: Record<string, NpyDtype> = {
  '<f4': 'float32',
  '<i4': 'int32',
  '|u1': 'uint8',
  '<u1': 'uint8',
  '>u1': 'uint8',
};

function assertLittleEndianHost(): void {
  if (endianness() !== 'LE') throw new Error('npy: big-endian hosts are not supported');
}

export function dtypeOf(data: NpyTypedArray): NpyDtype {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint8Array) return 'uint8';
  throw new TypeError('npy: data must be a Float32Array, Int32Array or Uint8Array');
}

export function itemSize(dtype: NpyDtype): number {
  return ITEMSIZE[dtype];
}

function allocate(dtype: NpyDtype, length: number): NpyTypedArray {
  if (dtype === 'float32') return new Float32Array(length);
  if (dtype === 'int32') return new Int32Array(length);
  return new Uint8Array(length);
}

function checkShape(shape: readonly number[], what: string): void {
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new RangeError(`${what}: bad dimension ${d} in shape [${shape.join(', ')}]`);
  }
}

function product(dims: readonly number[]): number {
  let p = 1;
  for (const d of dims) p *= d;
  return p;
}

/** Python's repr of a tuple of ints: (), (3,), (2, 3). */
function pyShape(shape: readonly number[]): string {
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(', ')})`;
}

/**
 * The full header (magic + version + length + dict + padding + '\n') exactly as numpy.save
 * writes it. With `totalLength`, pad to that length instead (used to rewrite a header in place
 * in a file written by another writer); throws if the header does not fit.
 */
export function encodeNpyHeader(dtype: NpyDtype, shape: readonly number[], totalLength?: number): Buffer {
  checkShape(shape, 'npy header');
  let dict = `{'descr': '${DESCR[dtype]}', 'fortran_order': False, 'shape': ${pyShape(shape)}, }`;
  if (shape.length > 0) dict += ' '.repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length));
  const prefixLen = MAGIC.length + 2 + 2; // magic, version, uint16 header length
  const hlen = dict.length + 1; // + '\n'
  let padlen: number;
  if (totalLength === undefined) {
    padlen = ARRAY_ALIGN - ((prefixLen + hlen) % ARRAY_ALIGN); // 1..64, as numpy
  } else {
    padlen = totalLength - prefixLen - hlen;
    if (padlen < 0) throw new RangeError(`npy: header for shape ${pyShape(shape)} does not fit in ${totalLength} bytes`);
  }
  const headerLen = hlen + padlen;
  if (headerLen > 0xffff) throw new RangeError('npy: header longer than 65535 bytes (format 2.0 not supported for writing)');
  const out = Buffer.alloc(prefixLen + headerLen, 0x20);
  MAGIC.copy(out, 0);
  out[6] = 1;
  out[7] = 0;
  out.writeUInt16LE(headerLen, 8);
  out.write(dict, prefixLen, 'latin1');
  out[out.length - 1] = 0x0a;
  return out;
}

/** Parse the header at the start of `buf` (needs only the header bytes). */
export function decodeNpyHeader(buf: Uint8Array, source = 'buffer'): NpyHeader {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 10 || !b.subarray(0, 6).equals(MAGIC)) throw new UserError(`npy: ${source} is not an NPY file (bad magic)`);
  const major = b[6]!;
  const minor = b[7]!;
  let hlen: number;
  let start: number;
  if (major === 1) {
    hlen = b.readUInt16LE(8);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (b.length < 12) throw new UserError(`npy: ${source}: truncated header`);
    hlen = b.readUInt32LE(8);
    start = 12;
  } else {
    throw new UserError(`npy: ${source}: unsupported format version ${major}.${minor}`);
  }
  if (b.length < start + hlen) throw new UserError(`npy: ${source}: truncated header (${b.length} of ${start + hlen} bytes)`);
  const text = b.toString(major === 3 ? 'utf8' : 'latin1', start, start + hlen);
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]+)['"]/.exec(text)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new UserError(`npy: ${source}: cannot parse header ${JSON.stringify(text.trim())}`);
  }
  const dtype = DTYPE_OF_DESCR[descr];
  if (dtype === undefined) throw new UserError(`npy: ${source}: unsupported dtype '${descr}' (supported: <f4, <i4, |u1)`);
  if (fortran === 'True') throw new UserError(`npy: ${source}: Fortran-order arrays are not supported`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const v = Number(s.replace(/L$/, ''));
      if (!Number.isSafeInteger(v) || v < 0) throw new UserError(`npy: ${source}: bad shape (${shapeText})`);
      return v;
    });
  return { dtype, shape, dataOffset: start + hlen, version: [major, minor] };
}

/** Encode an array as NPY bytes (identical input -> identical bytes, = numpy.save output). */
export function encodeNpy(data: NpyTypedArray, shape: readonly number[]): Buffer {
  assertLittleEndianHost();
  const dtype = dtypeOf(data);
  checkShape(shape, 'encodeNpy');
  if (product(shape) !== data.length) {
    throw new RangeError(`encodeNpy: shape [${shape.join(', ')}] holds ${product(shape)} values, data has ${data.length}`);
  }
  const header = encodeNpyHeader(dtype, shape);
  return Buffer.concat([header, Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}

/** Decode NPY bytes. The returned data are a fresh, aligned copy. */
export function decodeNpy(buf: Uint8Array, source = 'buffer'): NpyArray {
  assertLittleEndianHost();
  const h = decodeNpyHeader(buf, source);
  const count = product(h.shape);
  const nbytes = count * ITEMSIZE[h.dtype];
  const have = buf.byteLength - h.dataOffset;
  if (have !== nbytes) {
    throw new UserError(`npy: ${source}: shape [${h.shape.join(', ')}] needs ${nbytes} data bytes, file has ${have}`);
  }
  const data = allocate(h.dtype, count);
  new Uint8Array(data.buffer).set(buf.subarray(h.dataOffset, h.dataOffset + nbytes));
  return { dtype: h.dtype, shape: h.shape, data };
}

/** Write an array as an NPY file (temp file + rename, so readers never see a partial file). */
export async function writeNpy(file: string, data: NpyTypedArray, shape: readonly number[]): Promise<void> {
  await writeFileAtomic(file, encodeNpy(data, shape), { label: 'npy' });
}

export async function readNpy(file: string): Promise<NpyArray> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (err) {
    throw new UserError(`npy: cannot read ${file}: ${errnoLine(err)}`);
  }
  return decodeNpy(bytes, file);
}

/** Read only the header of an NPY file (shape and dtype without loading the data). */
export async function readNpyHeader(file: string): Promise<NpyHeader> {
  const fh = await fs.open(file, 'r');
  try {
    const first = Buffer.alloc(12);
    const { bytesRead } = await fh.read(first, 0, 12, 0);
    const b = first.subarray(0, bytesRead);
    if (bytesRead < 10 || !b.subarray(0, 6).equals(MAGIC)) throw new UserError(`npy: ${file} is not an NPY file (bad magic)`);
    const total = b[6] === 1 ? 10 + b.readUInt16LE(8) : 12 + (bytesRead >= 12 ? b.readUInt32LE(8) : 0);
    const head = Buffer.alloc(total);
    const r = await fh.read(head, 0, total, 0);
    return decodeNpyHeader(head.subarray(0, r.bytesRead), file);
  } finally {
    await fh.close();
  }
}

/**
 * Streaming NPY writer whose first dimension grows: `create` writes a header for 0 rows,
 * `append` adds whole rows, and the header is rewritten in place with the row count after every
 * append (so even a killed process leaves a file numpy.load can read, possibly short of the
 * last rows) and on `close`. The header is numpy's, whose length does not depend on the row
 * count (see the module comment), so a closed file is byte-identical to `writeNpy` of the same
 * rows.
 *
 * Resume: `open(path)` takes an existing file, possibly cut mid-row by a killed process,
 * truncates it to the last complete row (the row count comes from the file size, not the
 * header, since the header may lag the data by one append), rewrites the header and returns an
 * appender whose `rows` is that count. Rows are trusted as written; a file cut by power loss
 * rather than a kill may hold unwritten (zero) blocks, which this does not detect.
 *
 * Calls are serialised internally, so un-awaited appends still land in call order.
 */
export class NpyAppender {
  readonly rowSize: number;
  readonly rowBytes: number;
  private queue: Promise<void> = Promise.resolve();
  private closed = false;
  private failed: unknown = undefined;

  private constructor(
    readonly path: string,
    private fh: fs.FileHandle,
    readonly dtype: NpyDtype,
    readonly rowShape: readonly number[],
    private readonly headerLength: number,
    private nrows: number,
  ) {
    this.rowSize = product(rowShape);
    this.rowBytes = this.rowSize * ITEMSIZE[dtype];
  }

  /** Rows written so far (complete rows only). */
  get rows(): number {
    return this.nrows;
  }

  get shape(): number[] {
    return [this.nrows, ...this.rowShape];
  }

  /** Create (or overwrite) `file` with 0 rows of shape `rowShape`. */
  static async create(file: string, dtype: NpyDtype, rowShape: readonly number[]): Promise<NpyAppender> {
    assertLittleEndianHost();
    checkShape(rowShape, 'NpyAppender.create');
    if (product(rowShape) === 0) throw new RangeError('NpyAppender.create: rows must hold at least one value');
    await fs.mkdir(path.dirname(file), { recursive: true });
    const header = encodeNpyHeader(dtype, [0, ...rowShape]);
    const fh = await fs.open(file, 'w+');
    try {
      await fh.write(header, 0, header.length, 0);
    } catch (err) {
      await fh.close();
      throw err;
    }
    return new NpyAppender(file, fh, dtype, [...rowShape], header.length, 0);
  }

  /** Resume an existing file (see the class comment). */
  static async open(file: string): Promise<NpyAppender> {
    assertLittleEndianHost();
    const header = await readNpyHeader(file);
    if (header.shape.length === 0) throw new UserError(`npy: ${file}: a 0-d array cannot be appended to`);
    const rowShape = header.shape.slice(1);
    const rowBytes = product(rowShape) * ITEMSIZE[header.dtype];
    if (rowBytes === 0) throw new UserError(`npy: ${file}: rows of shape [${rowShape.join(', ')}] hold no values`);
    const fh = await fs.open(file, 'r+');
    try {
      const { size } = await fh.stat();
      const rows = Math.floor((size - header.dataOffset) / rowBytes);
      await fh.truncate(header.dataOffset + rows * rowBytes);
      const app = new NpyAppender(file, fh, header.dtype, rowShape, header.dataOffset, rows);
      await app.writeHeader();
      return app;
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  /**
   * Resume `file` if it exists (checking it holds `dtype` rows of `rowShape`), else create it.
   */
  static async openOrCreate(file: string, dtype: NpyDtype, rowShape: readonly number[]): Promise<NpyAppender> {
    let exists = true;
    try {
      await fs.access(file);
    } catch {
      exists = false;
    }
    // A 0-byte file is one whose creator died before writing the header: start afresh.
    if (!exists || (await fs.stat(file)).size === 0) return NpyAppender.create(file, dtype, rowShape);
    const app = await NpyAppender.open(file);
    if (app.dtype !== dtype || app.rowShape.length !== rowShape.length || app.rowShape.some((d, i) => d !== rowShape[i])) {
      const found = `${app.dtype} rows [${app.rowShape.join(', ')}]`;
      await app.close();
      throw new UserError(`npy: ${file} holds ${found}, expected ${dtype} rows [${rowShape.join(', ')}]`);
    }
    return app;
  }

  private enqueue<T>(op: () => Promise<T>): Promise<T> {
    const run = this.queue.then(() => {
      if (this.failed !== undefined) throw this.failed;
      return op();
    });
    this.queue = run.then(
      () => undefined,
      (err: unknown) => {
        this.failed ??= err;
      },
    );
    return run;
  }

  private async writeHeader(): Promise<void> {
    const header = encodeNpyHeader(this.dtype, [this.nrows, ...this.rowShape], this.headerLength);
    await this.fh.write(header, 0, header.length, 0);
  }

  /** Append `data.length / rowSize` whole rows (C order). */
  append(data: NpyTypedArray): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`npy: ${this.path}: append after close`));
    if (dtypeOf(data) !== this.dtype) {
      return Promise.reject(new TypeError(`npy: ${this.path} holds ${this.dtype}, got ${dtypeOf(data)}`));
    }
    if (data.length % this.rowSize !== 0) {
      return Promise.reject(new RangeError(`npy: ${this.path}: ${data.length} values is not a whole number of rows of ${this.rowSize}`));
    }
    // Copy now so the caller may reuse its buffer before the write happens.
    const bytes = Buffer.from(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    const k = data.length / this.rowSize;
    return this.enqueue(async () => {
      const pos = this.headerLength + this.nrows * this.rowBytes;
      let off = 0;
      while (off < bytes.length) {
        const { bytesWritten } = await this.fh.write(bytes, off, bytes.length - off, pos + off);
        off += bytesWritten;
      }
      this.nrows += k;
      await this.writeHeader();
    });
  }

  /**
   * Drop rows beyond the first `rows` (resume to a known-good count, e.g. the rows a journal
   * confirms when several files are written side by side).
   */
  truncate(rows: number): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`npy: ${this.path}: truncate after close`));
    if (!Number.isInteger(rows) || rows < 0) return Promise.reject(new RangeError(`npy: ${this.path}: bad row count ${rows}`));
    return this.enqueue(async () => {
      if (rows > this.nrows) {
        throw new RangeError(`npy: ${this.path}: cannot truncate ${this.nrows} rows to ${rows}`);
      }
      await this.fh.truncate(this.headerLength + rows * this.rowBytes);
      this.nrows = rows;
      await this.writeHeader();
    });
  }

  /** Flush data and header to disk (fsync). */
  sync(): Promise<void> {
    return this.enqueue(() => this.fh.sync());
  }

  /** Write the final header, fsync and close. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return this.queue;
    this.closed = true;
    try {
      await this.enqueue(async () => {
        await this.writeHeader();
        await this.fh.sync();
      });
    } finally {
      await this.fh.close();
    }
  }
}

/** `ENOENT` etc. as a short phrase (no repeated path). */
function errnoLine(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const words: Record<string, string> = { ENOENT: 'no such file', EACCES: 'permission denied', EISDIR: 'is a folder', ENOSPC: 'no space left', EROFS: 'read-only file system' };
  return e?.code && words[e.code] ? `${words[e.code]} (${e.code})` : (e?.message ?? String(err));
}
