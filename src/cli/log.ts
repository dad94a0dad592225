/** Human-facing messages of the CLI go to stderr; results (paths, tables) go to stdout. */
export function info(msg: string): void {
  process.stderr.write(`${msg}\n`);
}

export function result(msg: string): void {
  process.stdout.write(`${msg}\n`);
}
