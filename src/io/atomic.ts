/**
 * The one atomic file write of facelens: the bytes go to a hidden temporary sibling, are
 * (optionally) fsynced, and are renamed over the target, so a reader sees the old content or the
 * new one, never a partial file. JSON, NPY, PNG and cache records all write through it.
 *
 * Written by hand: it is write-temp-fsync-rename; the npm options (write-file-atomic, fs-extra)
 * would add a dependency for ~25 lines.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

export interface AtomicWriteOptions {
  /** fsync the temporary file before the rename (default true). */
  sync?: boolean;
  /** Prefix of the error message (`<label>: cannot write <file>: <why>`); without it the error is rethrown as is. */
  label?: string;
}

export async function writeFileAtomic(file: string, data: Uint8Array | string, opts: AtomicWriteOptions = {}): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await fs.mkdir(dir, { recursive: true });
    const fh = await fs.open(tmp, 'w');
    try {
      await fh.writeFile(data);
      if (opts.sync ?? true) await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    if (opts.label === undefined) throw err;
    throw new Error(`${opts.label}: cannot write ${file}: ${(err as Error).message}`, { cause: err });
  }
}
