/**
 * Files a model description names (TF.js weight shards, ONNX external data) must lie inside the
 * description's own folder: a model.json from the internet with `"paths": ["../../etc/passwd"]`
 * must not make facelens read (and, through a weight, leak) files elsewhere.
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../core/errors.js';

function inside(p: string, dir: string): boolean {
  return p.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep);
}

/**
 * The absolute path of `ref` (as written in `modelFile`) after checking that it is a relative
 * path that stays inside modelFile's folder, also after resolving symlinks.
 */
export async function modelFileInside(modelFile: string, ref: unknown, what: string): Promise<string> {
  if (typeof ref !== 'string' || ref === '') throw new UserError(`${modelFile}: ${what} is not a file name (${JSON.stringify(ref)})`);
  if (ref.includes('\0')) throw new UserError(`${modelFile}: ${what} ${JSON.stringify(ref)} contains a NUL character`);
  if (path.isAbsolute(ref) || /^[A-Za-z]:/.test(ref) || ref.includes('\\')) {
    throw new UserError(`${modelFile}: ${what} ${JSON.stringify(ref)} must be a relative path inside the model's folder`);
  }
  const dir = path.dirname(path.resolve(modelFile));
  const file = path.resolve(dir, ref);
  if (!inside(file, dir)) throw new UserError(`${modelFile}: ${what} ${JSON.stringify(ref)} lies outside the model's folder; refused`);
  let realDir: string;
  let realFile: string;
  try {
    realDir = await realpath(dir);
    realFile = await realpath(file);
  } catch {
    return file; // missing: the reader reports it by name
  }
  if (!inside(realFile, realDir)) throw new UserError(`${modelFile}: ${what} ${JSON.stringify(ref)} links outside the model's folder; refused`);
  return realFile;
}
