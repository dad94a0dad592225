import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import seedrandom from 'seedrandom';
import {
  NpyAppender,
  decodeNpy,
  decodeNpyHeader,
  encodeNpy,
  encodeNpyHeader,
  readNpy,
  readNpyHeader,
  writeNpy,
  type NpyDtype,
  type NpyTypedArray,
} from '../../src/io/npy.js';

const DTYPES: NpyDtype[] = ['float32', 'int32', 'uint8'];
// The last shape is empty but long enough that numpy's growth-axis padding moves the header
// from 128 to 192 bytes.
const SHAPES: number[][] = [[], [0], [1], [7], [2, 3], [3, 1, 4], [0, 4, 2], [2, 2, 2, 3], [130, 3], [0, ...new Array<number>(11).fill(10)]];

function product(s: number[]): number {
  return s.reduce((a, b) => a * b, 1);
}

function makeData(dtype: NpyDtype, n: number, seed: string): NpyTypedArray {
  const rng = seedrandom(seed);
  if (dtype === 'float32') {
    const a = Float32Array.from({ length: n }, () => (rng() - 0.5) * 1e3);
    if (n > 3) {
      a[0] = NaN;
      a[1] = -0;
      a[2] = Infinity;
    }
    return a;
  }
  if (dtype === 'int32') return Int32Array.from({ length: n }, () => Math.floor((rng() - 0.5) * 2 ** 32));
  return Uint8Array.from({ length: n }, () => Math.floor(rng() * 256));
}

function bytesOf(a: NpyTypedArray): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function hasNumpy(): boolean {
  const r = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' });
  return r.status === 0;
}
const NUMPY = hasNumpy();
const NO_NUMPY = NUMPY ? false : 'python3 with numpy not available: numpy cross-check skipped';

let dir: string;
before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'facelens-npy-'));
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('npy encode/decode', () => {
  for (const dtype of DTYPES) {
    for (const shape of SHAPES) {
      test(`round trip ${dtype} [${shape.join(', ')}]`, async () => {
        const data = makeData(dtype, product(shape), `${dtype}${shape}`);
        const enc = encodeNpy(data, shape);
        const dec = decodeNpy(enc);
        assert.equal(dec.dtype, dtype);
        assert.deepEqual(dec.shape, shape);
        assert.equal(dec.data.constructor, data.constructor);
        assert.ok(bytesOf(dec.data).equals(bytesOf(data)), 'data bytes differ');
        const file = path.join(dir, `rt-${dtype}-${shape.join('x') || 'scalar'}.npy`);
        await writeNpy(file, data, shape);
        const back = await readNpy(file);
        assert.deepEqual(back.shape, shape);
        assert.ok(bytesOf(back.data).equals(bytesOf(data)));
        assert.ok((await fs.readFile(file)).equals(enc), 'file differs from encodeNpy output');
      });
    }
  }

  test('header follows the NPY 1.0 spec', () => {
    for (const dtype of DTYPES) {
      for (const shape of SHAPES) {
        const buf = encodeNpy(makeData(dtype, product(shape), 'h'), shape);
        assert.deepEqual([...buf.subarray(0, 6)], [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59], 'magic');
        assert.equal(buf[6], 1, 'major version');
        assert.equal(buf[7], 0, 'minor version');
        const hlen = buf.readUInt16LE(8);
        assert.equal((10 + hlen) % 64, 0, 'header not 64-byte aligned');
        assert.equal(buf[10 + hlen - 1], 0x0a, 'header does not end in \\n');
        const text = buf.toString('latin1', 10, 10 + hlen);
        assert.match(text, /^[\x20-\x7e]*\n$/, 'header must be printable ASCII');
        const descr = { float32: '<f4', int32: '<i4', uint8: '|u1' }[dtype];
        const shapeRepr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
        assert.ok(text.startsWith(`{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeRepr}, }`), text);
        assert.equal(buf.length, 10 + hlen + product(shape) * (dtype === 'uint8' ? 1 : 4));
        const h = decodeNpyHeader(buf);
        assert.equal(h.dataOffset, 10 + hlen);
        assert.deepEqual(h.version, [1, 0]);
      }
    }
  });

  test('identical input gives identical bytes; header length does not depend on the row count', () => {
    const a = makeData('float32', 12, 's');
    assert.ok(encodeNpy(a, [3, 4]).equals(encodeNpy(Float32Array.from(a), [3, 4])));
    for (let rank = 0; rank <= 14; rank++) {
      for (const dim of [1, 10, 12345]) {
        const rowShape = new Array<number>(rank).fill(dim);
        const len = encodeNpyHeader('float32', [0, ...rowShape]).length;
        for (const rows of [1, 9, 10, 12345, 2 ** 40, Number.MAX_SAFE_INTEGER]) {
          assert.equal(encodeNpyHeader('float32', [rows, ...rowShape]).length, len, `rows=${rows}, row shape [${rowShape}]`);
        }
      }
    }
    assert.equal(encodeNpyHeader('uint8', [0, ...new Array<number>(11).fill(10)]).length, 192, 'numpy pads this header to 192');
  });

  test('rejects bad input with clear errors', async () => {
    assert.throws(() => encodeNpy(new Float32Array(5), [2, 3]), /holds 6 values, data has 5/);
    assert.throws(() => encodeNpy(new Float64Array(2) as unknown as Float32Array, [2]), /Float32Array, Int32Array or Uint8Array/);
    assert.throws(() => decodeNpy(Buffer.from('not an npy file')), /bad magic/);
    const good = encodeNpy(new Int32Array(6), [2, 3]);
    const file = path.join(dir, 'short.npy');
    await fs.writeFile(file, good.subarray(0, good.length - 1));
    await assert.rejects(readNpy(file), (e: Error) => e.message.includes(file) && /needs 24 data bytes, file has 23/.test(e.message));
    await assert.rejects(readNpy(path.join(dir, 'missing.npy')), /cannot read .*missing\.npy/);
    const f8 = Buffer.from(encodeNpyHeader('float32', [1]).toString('latin1').replace("'<f4'", "'<f8'"), 'latin1');
    assert.throws(() => decodeNpyHeader(f8), /unsupported dtype '<f8'/);
    const fortran = Buffer.from(encodeNpyHeader('float32', [1]).toString('latin1').replace('False', 'True '), 'latin1');
    assert.throws(() => decodeNpyHeader(fortran), /Fortran-order/);
    assert.throws(() => encodeNpyHeader('uint8', [123456], 64), /does not fit in 64 bytes/);
  });
});

describe('NpyAppender', () => {
  for (const dtype of DTYPES) {
    test(`appended file equals a one-shot write byte for byte (${dtype})`, async () => {
      const rowShape = [3, 2];
      const rows = 11;
      const all = makeData(dtype, rows * 6, `app-${dtype}`);
      const oneShot = path.join(dir, `oneshot-${dtype}.npy`);
      await writeNpy(oneShot, all, [rows, ...rowShape]);
      const appended = path.join(dir, `appended-${dtype}.npy`);
      const app = await NpyAppender.create(appended, dtype, rowShape);
      let r = 0;
      for (const k of [1, 3, 0, 5, 2]) {
        await app.append(all.subarray(r * 6, (r + k) * 6));
        r += k;
        assert.equal(app.rows, r);
        // The header on disk always says how many rows are complete.
        assert.deepEqual((await readNpyHeader(appended)).shape, [r, ...rowShape]);
      }
      await app.close();
      await app.close(); // idempotent
      assert.ok((await fs.readFile(appended)).equals(await fs.readFile(oneShot)));
    });
  }

  test('un-awaited appends land in call order; the caller may reuse its buffer', async () => {
    const file = path.join(dir, 'order.npy');
    const app = await NpyAppender.create(file, 'int32', [2]);
    const buf = new Int32Array(2);
    const pending: Promise<void>[] = [];
    for (let i = 0; i < 50; i++) {
      buf[0] = i;
      buf[1] = -i;
      pending.push(app.append(buf));
    }
    await Promise.all(pending);
    await app.close();
    const back = await readNpy(file);
    assert.deepEqual(back.shape, [50, 2]);
    for (let i = 0; i < 50; i++) assert.deepEqual([back.data[2 * i], back.data[2 * i + 1]], [i, 0 - i || 0]);
  });

  for (const dtype of DTYPES) {
    test(`resume after truncation mid-row ends byte-identical (${dtype})`, async () => {
      const rowShape = [5];
      const rows = 9;
      const rowBytes = 5 * (dtype === 'uint8' ? 1 : 4);
      const all = makeData(dtype, rows * 5, `resume-${dtype}`);
      const expected = encodeNpy(all, [rows, ...rowShape]);
      const headerLen = encodeNpyHeader(dtype, [0, 5]).length;
      // Cut points: inside row 4, exactly after row 3, right after the header.
      for (const cut of [headerLen + 4 * rowBytes + 3, headerLen + 3 * rowBytes, headerLen, headerLen + 4 * rowBytes + rowBytes - 1]) {
        const file = path.join(dir, `resume-${dtype}-${cut}.npy`);
        const app = await NpyAppender.create(file, dtype, rowShape);
        await app.append(all.subarray(0, 6 * 5));
        await app.close();
        await fs.truncate(file, cut); // a process killed mid-write
        const resumed = await NpyAppender.open(file);
        const complete = Math.floor((cut - headerLen) / rowBytes);
        assert.equal(resumed.rows, complete, `cut at ${cut}`);
        assert.equal(resumed.dtype, dtype);
        assert.deepEqual(resumed.rowShape, rowShape);
        assert.equal((await fs.stat(file)).size, headerLen + complete * rowBytes, 'partial row not truncated');
        assert.deepEqual((await readNpyHeader(file)).shape, [complete, 5], 'header not rewritten on open');
        await resumed.append(all.subarray(complete * 5));
        await resumed.close();
        assert.ok((await fs.readFile(file)).equals(expected), `cut at ${cut}: resumed file differs`);
      }
    });
  }

  test('resume trusts the data when the header lags behind it', async () => {
    const all = makeData('float32', 4 * 3, 'lag');
    const file = path.join(dir, 'lag.npy');
    const full = encodeNpy(all, [4, 3]);
    // Killed after writing rows 3-4 but before the header update: header says 2 rows.
    const stale = Buffer.concat([encodeNpyHeader('float32', [2, 3]), full.subarray(encodeNpyHeader('float32', [0, 3]).length)]);
    await fs.writeFile(file, stale);
    const app = await NpyAppender.open(file);
    assert.equal(app.rows, 4);
    await app.close();
    assert.ok((await fs.readFile(file)).equals(full));
  });

  test('openOrCreate creates, resumes, and refuses a mismatched file', async () => {
    const file = path.join(dir, 'sub', 'ooc.npy');
    const a = await NpyAppender.openOrCreate(file, 'uint8', [2, 2]);
    await a.append(new Uint8Array([1, 2, 3, 4]));
    await a.close();
    const b = await NpyAppender.openOrCreate(file, 'uint8', [2, 2]);
    assert.equal(b.rows, 1);
    await b.append(new Uint8Array([5, 6, 7, 8]));
    await b.close();
    assert.deepEqual([...(await readNpy(file)).data], [1, 2, 3, 4, 5, 6, 7, 8]);
    await assert.rejects(NpyAppender.openOrCreate(file, 'uint8', [4]), /holds uint8 rows \[2, 2\], expected uint8 rows \[4\]/);
    await assert.rejects(NpyAppender.openOrCreate(file, 'float32', [2, 2]), /expected float32/);
    // Killed between creating the file and writing its header.
    const empty = path.join(dir, 'sub', 'empty.npy');
    await fs.writeFile(empty, '');
    const c = await NpyAppender.openOrCreate(empty, 'int32', [3]);
    assert.equal(c.rows, 0);
    await c.close();
    assert.ok((await fs.readFile(empty)).equals(encodeNpy(new Int32Array(0), [0, 3])));
  });

  test('truncate drops rows back to a known-good count, then appending continues', async () => {
    const all = makeData('int32', 8 * 3, 'trunc');
    const file = path.join(dir, 'trunc.npy');
    const app = await NpyAppender.create(file, 'int32', [3]);
    await app.append(all.subarray(0, 6 * 3));
    await app.truncate(4);
    assert.equal(app.rows, 4);
    assert.deepEqual((await readNpyHeader(file)).shape, [4, 3]);
    assert.equal((await fs.stat(file)).size, encodeNpyHeader('int32', [0, 3]).length + 4 * 12);
    await assert.rejects(app.truncate(5), /cannot truncate 4 rows to 5/);
    await assert.rejects(app.truncate(-1), /bad row count -1/);
    const file2 = path.join(dir, 'trunc2.npy');
    const app2 = await NpyAppender.create(file2, 'int32', [3]);
    await app2.append(all.subarray(0, 6 * 3));
    await app2.truncate(4);
    await app2.append(all.subarray(4 * 3));
    await app2.close();
    assert.ok((await fs.readFile(file2)).equals(encodeNpy(all, [8, 3])));
    await assert.rejects(app2.truncate(0), /truncate after close/);
    await app.close().catch(() => undefined);
  });

  test('append rejects wrong dtype, partial rows, and use after close', async () => {
    const file = path.join(dir, 'bad-append.npy');
    const app = await NpyAppender.create(file, 'float32', [3]);
    await assert.rejects(app.append(new Int32Array(3)), /holds float32, got int32/);
    await assert.rejects(app.append(new Float32Array(4)), /not a whole number of rows of 3/);
    await app.close();
    await assert.rejects(app.append(new Float32Array(3)), /append after close/);
    await assert.rejects(NpyAppender.create(file, 'float32', [0]), /at least one value/);
  });
});

describe('numpy cross-check', () => {
  test('numpy.load reads our files and numpy.save writes the same bytes', { skip: NO_NUMPY }, async () => {
    const files: { file: string; dtype: NpyDtype; shape: number[] }[] = [];
    for (const dtype of DTYPES) {
      for (const shape of SHAPES) {
        const file = path.join(dir, `np-${dtype}-${shape.join('x') || 'scalar'}.npy`);
        await writeNpy(file, makeData(dtype, product(shape), `np${dtype}${shape}`), shape);
        files.push({ file, dtype, shape });
      }
    }
    // A resumed appender file too.
    const resumed = path.join(dir, 'np-resumed.npy');
    const all = makeData('float32', 20 * 4, 'npres');
    const app = await NpyAppender.create(resumed, 'float32', [4]);
    await app.append(all.subarray(0, 40));
    await app.close();
    await fs.truncate(resumed, (await fs.stat(resumed)).size - 6);
    const again = await NpyAppender.open(resumed);
    await again.append(all.subarray(again.rows * 4));
    await again.close();
    files.push({ file: resumed, dtype: 'float32', shape: [20, 4] });

    const script = `
import io, json, sys, numpy as np
out = []
for spec in json.load(sys.stdin):
    a = np.load(spec['file'])
    b = io.BytesIO(); np.save(b, a)
    same = b.getvalue() == open(spec['file'], 'rb').read()
    out.append([str(a.dtype), list(a.shape), same, bool(a.flags['C_CONTIGUOUS'])])
print(json.dumps(out))
`;
    const r = spawnSync('python3', ['-c', script], { input: JSON.stringify(files), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const got = JSON.parse(r.stdout) as [string, number[], boolean, boolean][];
    files.forEach((f, i) => {
      const [dt, shape, same] = got[i]!;
      assert.equal(dt, f.dtype, f.file);
      assert.deepEqual(shape, f.shape, f.file);
      assert.ok(same, `${f.file}: numpy.save of the loaded array gives different bytes`);
    });
  });

  test('we read what numpy.save writes', { skip: NO_NUMPY }, async () => {
    const file = path.join(dir, 'from-numpy-%s.npy');
    const script = `
import numpy as np, sys
p = sys.argv[1]
np.save(p % 'f4', (np.arange(24, dtype=np.float32) / 8 - 1).reshape(2, 3, 4))
np.save(p % 'i4', np.arange(-5, 5, dtype=np.int32))
np.save(p % 'u1', np.arange(256, dtype=np.uint8).reshape(16, 16))
`;
    const r = spawnSync('python3', ['-c', script, file], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const f4 = await readNpy(file.replace('%s', 'f4'));
    assert.deepEqual(f4.shape, [2, 3, 4]);
    assert.deepEqual([...f4.data], Array.from({ length: 24 }, (_, i) => i / 8 - 1));
    const i4 = await readNpy(file.replace('%s', 'i4'));
    assert.equal(i4.dtype, 'int32');
    assert.deepEqual([...i4.data], Array.from({ length: 10 }, (_, i) => i - 5));
    const u1 = await readNpy(file.replace('%s', 'u1'));
    assert.deepEqual(u1.shape, [16, 16]);
    assert.deepEqual([...u1.data], Array.from({ length: 256 }, (_, i) => i));
    // And the appender resumes a numpy-written file.
    const app = await NpyAppender.open(file.replace('%s', 'i4'));
    await app.append(Int32Array.from([5, 6]));
    await app.close();
    assert.deepEqual([...(await readNpy(file.replace('%s', 'i4'))).data], Array.from({ length: 12 }, (_, i) => i - 5));
  });
});
