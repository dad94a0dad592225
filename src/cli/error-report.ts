/**
 * How the CLI reports an error: one line `facelens: error: <message>`; a stack trace only with
 * --debug. Errors that are the user's input (UserError, commander's usage errors, and the
 * operating system's answers about paths the user gave: ENOENT, EACCES, ...) get no
 * "internal error" line; everything else is a bug and says so.
 */
import { CommanderError } from 'commander';
import { UserError } from '../core/errors.js';

/** errno codes that describe the user's paths or the machine, not a bug. */
const SYSTEM_CODES: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENOTDIR: 'a path component is not a folder',
  EISDIR: 'is a folder, not a file',
  EEXIST: 'already exists',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'file name too long',
  ELOOP: 'too many symbolic links',
  EIO: 'input/output error',
  EADDRNOTAVAIL: 'address not available on this machine',
  ENOTFOUND: 'host name not found',
  EADDRINUSE: 'address already in use',
};

export interface ErrorReport {
  /** What goes to stderr (ends with a newline). */
  text: string;
  /** True when the error is the user's input or the machine's state, not a bug. */
  user: boolean;
}

export function describeError(err: unknown, debug: boolean): ErrorReport {
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (e as NodeJS.ErrnoException).code;
  let message = e.message.split('\n')[0] ?? '';
  // ImageDecodeError (data/image-io.ts; matched by name to keep this module light): a file the
  // user named that is not a readable image.
  let user = e instanceof UserError || e instanceof CommanderError || e.name === 'ImageDecodeError';
  if (!user && typeof code === 'string' && code in SYSTEM_CODES) {
    const p = (e as NodeJS.ErrnoException).path;
    message = p ? `${p}: ${SYSTEM_CODES[code]} (${code})` : `${SYSTEM_CODES[code]} (${code}): ${message}`;
    user = true;
  }
  message = message.replace(/^Error: /, '');
  // One readable line even for a 100 kB path: keep its start and end.
  if (message.length > 400) message = `${message.slice(0, 250)} ... ${message.slice(-120)}`;
  let text = `facelens: error: ${message}\n`;
  if (debug) text += `${e.stack ?? ''}\n`;
  else if (!user) text += '(internal error; run again with --debug for the stack trace)\n';
  return { text, user };
}
