/**
 * An error caused by the user's input (bad path, bad flag, unreadable file). The CLI prints its
 * message on one line and exits with code 1, without a stack trace unless `--debug`.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}
