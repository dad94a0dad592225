/**
 * The explorer's HTTP server (node:http): the client app (/, /app.js, /app.css), the results
 * index (/api/index.json) and read-only files of the results directory (/files/<path>, checked
 * by safe-path.ts). GET and HEAD only; binds 127.0.0.1 unless told otherwise.
 */
import { createReadStream } from 'node:fs';
import { readFile, realpath } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import { clientBundle } from './client-bundle.js';
import { contentType } from './content-types.js';
import { buildResultsIndex } from './results-index.js';
import { resolveInside } from './safe-path.js';
import { faceSweep, layerStats, neuronSweep, sweepFaces, sweepImageFile, sweepLayers } from './sweep-api.js';
import type { FaceModel } from '../models/face-model.js';
import { parseMode, ProjectionService, ProjectionUnavailable } from './projection-service.js';
import { APP_CSS, SHELL_HTML } from './shell.js';

export const DEFAULT_PORT = 8321;
export const DEFAULT_HOST = '127.0.0.1';
export const FILES_PREFIX = '/files/';

export interface ExplorerOptions {
  /** The results directory. */
  root: string;
  host?: string;
  /** 0 = any free port. */
  port?: number;
  /** Where on-demand projections are cached (default `<root>/.facelens-cache/projections`). */
  projectionCache?: string;
  /** The model for on-demand projections instead of the sweep's (tests; the same network). */
  model?: FaceModel;
  /** Use the aligned-face cache for on-demand projections (default true). */
  faceCache?: boolean;
}

export interface Explorer {
  url: string;
  port: number;
  server: http.Server;
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Resource-Policy': 'same-origin',
  // Default for every response (errors, JSON, app.js): nothing may load or run from it.
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
};
/** The app's page: its own script, style and images only. */
const APP_CSP = { 'Content-Security-Policy': "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'" };
/**
 * The results' files (the HTML report, SVG charts, images): no script at all (an SVG or HTML in
 * the results folder cannot run code in the explorer's origin), images and inline styles only.
 */
const FILES_CSP = { 'Content-Security-Policy': "default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; font-src 'self' data:; media-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'none'" };

function send(req: http.IncomingMessage, res: http.ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void {
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': String(buf.length), 'Cache-Control': 'no-store', ...extra });
  res.end(req.method === 'HEAD' ? undefined : buf);
}

const text = (req: http.IncomingMessage, res: http.ServerResponse, status: number, msg: string) => send(req, res, status, 'text/plain; charset=utf-8', `${msg}\n`);

/**
 * Host names the server answers to: loopback names, the address it was told to bind, and for a
 * wildcard bind (0.0.0.0, ::) this machine's name and addresses. Any other Host header (a DNS
 * rebinding page: evil.example resolving to 127.0.0.1) gets 403 on every route.
 */
export function allowedHosts(bindHost: string): Set<string> {
  const hosts = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);
  const bind = bindHost.toLowerCase();
  hosts.add(bind.includes(':') && !bind.startsWith('[') ? `[${bind}]` : bind);
  if (bind === '0.0.0.0' || bind === '::' || bind === '[::]') {
    hosts.add(os.hostname().toLowerCase());
    for (const list of Object.values(os.networkInterfaces())) {
      for (const a of list ?? []) hosts.add(a.family === 'IPv6' ? `[${a.address.toLowerCase()}]` : a.address);
    }
  }
  return hosts;
}

/** True when the request's Host header names an allowed host (and, with a port, this port). */
export function hostAllowed(header: string | undefined, hosts: Set<string>, port: number): boolean {
  if (!header) return false;
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/i.exec(header.trim());
  if (!m) return false;
  if (m[2] !== undefined && Number(m[2]) !== port) return false;
  return hosts.has(m[1]!.toLowerCase().replace(/\.$/, ''));
}

async function handle(root: string, proj: ProjectionService, req: http.IncomingMessage, res: http.ServerResponse, hosts: Set<string>, port: () => number): Promise<void> {
  if (!hostAllowed(req.headers.host, hosts, port())) return text(req, res, 403, 'forbidden: unknown Host header (the explorer answers only to localhost / 127.0.0.1)');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(req, res, 405, 'text/plain; charset=utf-8', 'only GET and HEAD\n', { Allow: 'GET, HEAD' });
    return;
  }
  const raw = req.url ?? '';
  if (!raw.startsWith('/') || raw.startsWith('//')) return text(req, res, 404, 'not found');
  const pathname = raw.split(/[?#]/, 1)[0];
  if (pathname === '/' || pathname === '/index.html') return send(req, res, 200, 'text/html; charset=utf-8', SHELL_HTML, APP_CSP);
  if (pathname === '/app.js') return send(req, res, 200, 'text/javascript; charset=utf-8', await clientBundle());
  // Pages without an icon (the HTML report served from /files/) make the browser ask for one.
  if (pathname === '/favicon.ico') return send(req, res, 204, 'image/x-icon', '');
  if (pathname === '/app.css') return send(req, res, 200, 'text/css; charset=utf-8', APP_CSS);
  if (pathname === '/api/index.json') return send(req, res, 200, 'application/json; charset=utf-8', JSON.stringify(await buildResultsIndex(root)));
  if (pathname.startsWith('/api/sweep/')) return sweepRoute(root, proj, req, res, pathname.slice('/api/sweep/'.length), raw);
  if (!pathname.startsWith(FILES_PREFIX)) return text(req, res, 404, 'not found');
  const r = await resolveInside(root, pathname.slice(FILES_PREFIX.length));
  if (!r.ok) return text(req, res, r.status, r.status === 403 ? 'forbidden' : 'not found');
  res.writeHead(200, { ...SECURITY_HEADERS, ...FILES_CSP, 'Content-Type': contentType(r.file), 'Content-Length': String(r.size), 'Cache-Control': 'no-cache' });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const stream = createReadStream(r.file);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

const json = (req: http.IncomingMessage, res: http.ServerResponse, body: unknown) => send(req, res, 200, 'application/json; charset=utf-8', JSON.stringify(body));

/** The sweep API (sweep-api.ts): every neuron of every swept layer. */
async function sweepRoute(root: string, proj: ProjectionService, req: http.IncomingMessage, res: http.ServerResponse, rest: string, raw: string): Promise<void> {
  let parts: string[];
  try {
    parts = rest.split('/').map(decodeURIComponent);
  } catch {
    return text(req, res, 400, 'bad request');
  }
  const none = () => text(req, res, 404, 'not found');
  if (parts.length === 1 && parts[0] === 'layers') {
    const r = await sweepLayers(root);
    return r ? json(req, res, r) : none();
  }
  if (parts.length === 2 && parts[0] === 'layer') {
    const r = await layerStats(root, parts[1]!);
    return r ? json(req, res, r) : none();
  }
  if (parts.length === 3 && parts[0] === 'neuron' && /^\d+$/.test(parts[2]!)) {
    const top = Number(/[?&]top=(\d+)/.exec(raw)?.[1] ?? 12);
    const r = await neuronSweep(root, parts[1]!, Number(parts[2]), top);
    return r ? json(req, res, r) : none();
  }
  if (parts.length === 1 && parts[0] === 'faces') {
    const r = await sweepFaces(root);
    return r ? json(req, res, r) : none();
  }
  if (parts.length === 2 && parts[0] === 'face' && /^\d+$/.test(parts[1]!)) {
    const top = Number(/[?&]top=(\d+)/.exec(raw)?.[1] ?? 6);
    const by = /[?&]by=relative(&|$)/.test(raw) ? 'relative' : 'value';
    const r = await faceSweep(root, Number(parts[1]), top, by);
    return r ? json(req, res, r) : none();
  }
  // On demand (projection-service.ts): the aligned crop, and one neuron's projection tile.
  if (parts.length === 2 && parts[0] === 'aligned' && /^\d+$/.test(parts[1]!)) {
    return unavailable(req, res, async () => send(req, res, 200, 'image/png', await proj.aligned(Number(parts[1])), { 'Cache-Control': 'max-age=3600' }));
  }
  if (parts.length === 4 && parts[0] === 'projection' && /^\d+$/.test(parts[2]!) && /^\d+$/.test(parts[3]!)) {
    return unavailable(req, res, async () => {
      const mode = parseMode(/[?&]mode=([a-z]+)/.exec(raw)?.[1]);
      const t = await proj.tile(parts[1]!, Number(parts[2]), Number(parts[3]), mode);
      send(req, res, 200, 'image/png', t.png, { 'Cache-Control': 'max-age=3600', 'X-Facelens-Cache': t.cached ? 'hit' : 'miss', 'X-Facelens-Forward-Value': String(t.record.forwardValue) });
    });
  }
  if (parts.length === 2 && parts[0] === 'image' && /^\d+$/.test(parts[1]!)) {
    const file = await sweepImageFile(root, Number(parts[1]));
    if (!file) return none();
    const buf = await readFile(file);
    return send(req, res, 200, contentType(file), buf, { 'Cache-Control': 'max-age=3600' });
  }
  return none();
}

/** Runs an on-demand route; a ProjectionUnavailable becomes its status and one-line reason. */
async function unavailable(req: http.IncomingMessage, res: http.ServerResponse, f: () => Promise<void>): Promise<void> {
  try {
    await f();
  } catch (e) {
    if (e instanceof ProjectionUnavailable) return text(req, res, e.status, e.message);
    throw e;
  }
}

export async function startExplorer(opts: ExplorerOptions): Promise<Explorer> {
  const root = await realpath(opts.root);
  const host = opts.host ?? DEFAULT_HOST;
  const hosts = allowedHosts(host);
  let boundPort = 0;
  const proj = new ProjectionService({ root, ...(opts.projectionCache ? { cacheDir: opts.projectionCache } : {}), ...(opts.model ? { model: opts.model } : {}), ...(opts.faceCache !== undefined ? { faceCache: opts.faceCache } : {}) });
  const server = http.createServer((req, res) => {
    handle(root, proj, req, res, hosts, () => boundPort).catch((e: unknown) => {
      if (!res.headersSent) text(req, res, 500, `internal error: ${(e as Error).message}`);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? DEFAULT_PORT, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  boundPort = port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}/`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : proj.close().then(resolve, reject)));
      }),
  };
}
