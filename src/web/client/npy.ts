/** Reads a little-endian float32/float64 NPY file (C order), as written by src/io/npy.ts. */
export interface NpyArray {
  shape: number[];
  data: Float32Array | Float64Array;
}

export function parseNpy(buf: ArrayBuffer): NpyArray {
  const bytes = new Uint8Array(buf);
  if (bytes[0] !== 0x93 || String.fromCharCode(...bytes.subarray(1, 6)) !== 'NUMPY') throw new Error('not an NPY file');
  const major = bytes[6];
  const view = new DataView(buf);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const shape = (/'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (/'fortran_order':\s*True/.test(header)) throw new Error('Fortran-order NPY is not supported');
  const offset = start + headerLen;
  const count = shape.reduce((a, b) => a * b, 1);
  const body = buf.slice(offset, offset + count * (descr === '<f8' ? 8 : 4));
  if (descr === '<f4') return { shape, data: new Float32Array(body) };
  if (descr === '<f8') return { shape, data: new Float64Array(body) };
  throw new Error(`NPY dtype ${descr} is not supported`);
}
