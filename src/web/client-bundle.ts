/**
 * The browser client (./client/main.ts, or main.js in a compiled dist/), bundled once per process
 * with esbuild's JS API into one ES module kept in memory.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

let bundle: Promise<string> | undefined;

function entryPoint(): string {
  for (const name of ['main.ts', 'main.js']) {
    const p = fileURLToPath(new URL(`./client/${name}`, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new Error('the explorer client (src/web/client/main.ts) is missing');
}

async function bundleClient(): Promise<string> {
  const r = await build({
    entryPoints: [entryPoint()],
    bundle: true,
    write: false,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    sourcemap: 'inline',
    logLevel: 'silent',
  });
  return r.outputFiles[0].text;
}

export function clientBundle(): Promise<string> {
  bundle ??= bundleClient().catch((e: unknown) => {
    bundle = undefined;
    throw e;
  });
  return bundle;
}
