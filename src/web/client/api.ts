/** Fetching the results index and the results' files (under /files/). */
import type { ResultsIndex } from '../../results/explorer-index.js';

/** URL of a results file from its '/'-separated path relative to the results root. */
export function fileUrl(rel: string): string {
  return '/files/' + rel.split('/').map(encodeURIComponent).join('/');
}

/** Joins a path relative to a results file's folder (as in neuron JSONs) onto that folder. */
export function joinRel(dir: string, rel: string): string {
  const out: string[] = dir === '' ? [] : dir.split('/');
  for (const part of rel.split('/')) {
    if (part === '..') out.pop();
    else if (part !== '.' && part !== '') out.push(part);
  }
  return out.join('/');
}

export function dirOf(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '' : rel.slice(0, i);
}

async function get(url: string): Promise<Response> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: ${r.status} ${r.statusText}`);
  return r;
}

export async function fetchJson<T>(rel: string): Promise<T> {
  return (await (await get(fileUrl(rel))).json()) as T;
}

export async function fetchText(rel: string): Promise<string> {
  return (await get(fileUrl(rel))).text();
}

export async function fetchBytes(rel: string): Promise<ArrayBuffer> {
  return (await get(fileUrl(rel))).arrayBuffer();
}

let index: Promise<ResultsIndex> | undefined;

export function loadIndex(): Promise<ResultsIndex> {
  index ??= get('/api/index.json').then((r) => r.json() as Promise<ResultsIndex>);
  return index;
}
