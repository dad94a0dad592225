/**
 * Opens an HDF5 file with h5wasm after checking, in plain JS, the things HDF5 itself reports only
 * on stderr: that the file exists, carries the HDF5 signature, and is as long as its superblock
 * says (a truncated download is the usual failure with 500 MB weight files).
 */
import fs from 'node:fs';
import path from 'node:path';
import h5wasm from 'h5wasm/node';
import { UserError } from '../../core/errors.js';

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

function readUint(buf: Buffer, at: number, size: number): number {
  let v = 0;
  for (let i = size - 1; i >= 0; i--) v = v * 256 + buf[at + i];
  return v;
}

/**
 * The end-of-file address the superblock records, or undefined when the superblock is a version
 * this check does not know. The superblock sits at offset 0, 512, 1024, 2048, ... (HDF5 spec, "Format Signature").
 */
function superblockEof(head: Buffer, base: number): number | undefined {
  const version = head[base + 8];
  if (version === 0 || version === 1) {
    const sizeOfOffsets = head[base + 13];
    const addrStart = base + (version === 0 ? 24 : 28);
    // base address, free-space info address, end-of-file address
    return readUint(head, addrStart + 2 * sizeOfOffsets, sizeOfOffsets) + readUint(head, addrStart, sizeOfOffsets);
  }
  if (version === 2 || version === 3) {
    const sizeOfOffsets = head[base + 9];
    const addrStart = base + 12;
    return readUint(head, addrStart + 2 * sizeOfOffsets, sizeOfOffsets) + readUint(head, addrStart, sizeOfOffsets);
  }
  return undefined;
}

function findSignature(head: Buffer): number | undefined {
  for (let at = 0; at + 8 <= head.length; at = at === 0 ? 512 : at * 2) {
    if (SIGNATURE.every((b, i) => head[at + i] === b)) return at;
  }
  return undefined;
}

/** Throws a UserError naming the file unless it looks like a complete HDF5 file. */
export function checkHdf5File(file: string): void {
  const label = path.basename(file);
  let size: number;
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) throw new UserError(`${label}: not a file (${file})`);
    size = st.size;
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`${label}: no such file (${file})`);
  }
  const fd = fs.openSync(file, 'r');
  const head = Buffer.alloc(Math.min(size, 8192));
  try {
    fs.readSync(fd, head, 0, head.length, 0);
  } finally {
    fs.closeSync(fd);
  }
  const base = findSignature(head);
  if (base === undefined) throw new UserError(`${label}: not an HDF5 file (no HDF5 signature; ${size} bytes)`);
  if (head.length < base + 64) throw new UserError(`${label}: truncated HDF5 file (${size} bytes, superblock incomplete)`);
  const eof = superblockEof(head, base);
  if (eof !== undefined && eof > size) {
    throw new UserError(`${label}: truncated HDF5 file (${size} bytes, its superblock says ${eof})`);
  }
}

export type H5File = InstanceType<typeof h5wasm.File>;
export type H5Group = InstanceType<typeof h5wasm.Group>;
export type H5Dataset = InstanceType<typeof h5wasm.Dataset>;
export const { Group: H5GroupClass, Dataset: H5DatasetClass } = h5wasm;

/** Opens `file` read-only, after `checkHdf5File`. */
export async function openHdf5(file: string): Promise<H5File> {
  checkHdf5File(file);
  await h5wasm.ready;
  const f = new h5wasm.File(path.resolve(file), 'r');
  try {
    f.keys();
  } catch {
    throw new UserError(`${path.basename(file)}: HDF5 library could not read the file (corrupt?)`);
  }
  return f;
}
