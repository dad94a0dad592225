/**
 * Installing a catalog dataset into the data folder, all or nothing:
 *   1. download every file into `<data>/.downloads/<dataset>/` (resumable, checksum verified);
 *   2. build the dataset in `<data>/.<dataset>.tmp-<pid>` (the tarball extracted with the `tar`
 *      package, `strip: 1` so its single top folder - `lfw_funneled/` for LFW - becomes
 *      `images/`; the other files copied to their place), check it opens with the facelens
 *      reader, and write `facelens-dataset.json` (sources, digests, date);
 *   3. rename the temporary folder to `<data>/<dataset>` (atomic on one file system).
 * A killed run leaves at most a `.part` download (resumed next time) and a temporary folder
 * (deleted next time); never a half dataset under the real name.
 */
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import { UserError } from '../../core/errors.js';
import { writeJsonAtomic } from '../../io/json.js';
import { openDataset } from '../datasets/index.js';
import { CATALOG, datasetSpec, fileUrl, MANUAL_DATASETS, type DatasetSpec } from './catalog.js';
import { downloadFile, type DownloadOptions } from './download.js';

export const MARKER = 'facelens-dataset.json';

export interface FetchOptions extends Omit<DownloadOptions, 'onProgress'> {
  /** Data folder (default: catalog.defaultDataDir()). */
  dataDir: string;
  /** Mirror: files are fetched from `<baseUrl>/<file name>`. */
  baseUrl?: string;
  /** Keep the downloaded archives after installing (default: delete them). */
  keepDownloads?: boolean;
  /** Download progress per file: (file name, bytes so far, total bytes). */
  onDownload?: (file: string, done: number, total: number | undefined) => void;
  /** Extraction progress: (archive bytes read, archive size). */
  onExtract?: (done: number, total: number) => void;
  /** One-line status messages. */
  log?: (line: string) => void;
}

export interface FetchResult {
  name: string;
  dir: string;
  /** `present`: it was already installed, nothing was fetched. */
  status: 'installed' | 'present';
  images?: number;
  pairs?: number;
  files: { name: string; url: string; bytes: number; sha256: string; resumed: number; cached: boolean }[];
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/** True when `<data>/<name>` was installed by facelens (marker) or looks like a usable copy. */
export async function isInstalled(dataDir: string, name: string): Promise<boolean> {
  const dir = path.join(dataDir, name);
  if (await exists(path.join(dir, MARKER))) return true;
  if (name === 'lfw') return (await exists(path.join(dir, 'pairs.txt'))) && (await exists(path.join(dir, 'images')));
  if (name === 'cfp') return exists(path.join(dir, 'images'));
  return false;
}

async function extractArchive(archive: string, into: string, onExtract?: (done: number, total: number) => void): Promise<void> {
  await mkdir(into, { recursive: true });
  const total = (await stat(archive)).size;
  let done = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _e, cb) {
      done += chunk.length;
      onExtract?.(done, total);
      cb(null, chunk);
    },
  });
  try {
    // strict: a damaged archive is an error, not a warning; the tar package refuses absolute and
    // `..` paths on its own.
    await pipeline(createReadStream(archive), counter, tar.x({ cwd: into, strip: 1, strict: true }));
  } catch (e) {
    throw new UserError(`cannot extract ${archive}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Removes temporary folders that killed runs of `name` left behind. */
async function cleanTemps(dataDir: string, name: string): Promise<void> {
  for (const e of await readdir(dataDir).catch(() => [] as string[])) {
    if (e.startsWith(`.${name}.tmp-`)) await rm(path.join(dataDir, e), { recursive: true, force: true });
  }
}

/** Downloads and installs `spec` (or the catalog entry of that name) into `opts.dataDir`. */
export async function fetchDataset(which: string | DatasetSpec, opts: FetchOptions): Promise<FetchResult> {
  const spec = typeof which === 'string' ? datasetSpec(which) : which;
  if (!spec) {
    const manual = MANUAL_DATASETS.find((d) => d.name === String(which).toLowerCase());
    if (manual) throw new UserError(`${manual.name} cannot be downloaded automatically: ${manual.title}`);
    throw new UserError(`unknown dataset "${String(which)}" (known: ${CATALOG.map((d) => d.name).join(', ')})`);
  }
  const dataDir = path.resolve(opts.dataDir);
  const dir = path.join(dataDir, spec.name);
  if (await isInstalled(dataDir, spec.name)) return { name: spec.name, dir, status: 'present', files: [] };
  if (await exists(dir)) throw new UserError(`${dir} exists but is not a complete ${spec.name} dataset; move it away and run again`);
  await mkdir(dataDir, { recursive: true });
  await cleanTemps(dataDir, spec.name);

  const dl = path.join(dataDir, '.downloads', spec.name);
  await mkdir(dl, { recursive: true });
  const files: FetchResult['files'] = [];
  for (const f of spec.files) {
    const url = fileUrl(f, opts.baseUrl);
    opts.log?.(`downloading ${f.name} from ${url}`);
    const r = await downloadFile(
      { url, dest: path.join(dl, f.name), sha256: f.sha256, ...(f.size !== undefined ? { size: f.size } : {}) },
      { ...opts, onProgress: (d, t) => opts.onDownload?.(f.name, d, t) },
    );
    files.push({ name: f.name, url, bytes: r.bytes, sha256: r.sha256, resumed: r.resumed, cached: r.cached });
  }

  const tmp = path.join(dataDir, `.${spec.name}.tmp-${process.pid}-${Date.now()}`);
  try {
    for (const f of spec.files) {
      const src = path.join(dl, f.name);
      if (f.role === 'extract-images') {
        opts.log?.(`extracting ${f.name}`);
        await extractArchive(src, path.join(tmp, 'images'), opts.onExtract);
      } else {
        const target = path.join(tmp, f.target ?? f.name);
        await mkdir(path.dirname(target), { recursive: true });
        await copyFile(src, target);
      }
    }
    // The installed folder must open with the reader (for LFW: every pair's image present).
    const ds = await openDataset(tmp);
    await writeJsonAtomic(path.join(tmp, MARKER), {
      dataset: spec.name,
      title: spec.title,
      layout: spec.layout,
      installed: new Date().toISOString(),
      files: files.map(({ name, url, bytes, sha256 }) => ({ name, url, bytes, sha256 })),
    });
    await rename(tmp, dir);
    if (!opts.keepDownloads) await rm(dl, { recursive: true, force: true });
    return { name: spec.name, dir, status: 'installed', images: ds.items.length, pairs: ds.pairs?.length, files };
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

export interface DatasetListing {
  name: string;
  title: string;
  dir: string;
  present: boolean;
  downloadable: boolean;
  /** Bytes of partial or kept downloads. */
  partialBytes: number;
  /** Person / identity folders under images/ (when present). */
  identities?: number;
}

/** What the data folder holds: every catalog and manual dataset, present or not. */
export async function listDatasets(dataDir: string): Promise<DatasetListing[]> {
  const out: DatasetListing[] = [];
  const all = [...CATALOG.map((d) => ({ ...d, downloadable: true })), ...MANUAL_DATASETS.map((d) => ({ ...d, downloadable: false }))];
  for (const d of all) {
    const dir = path.join(dataDir, d.name);
    const present = await isInstalled(dataDir, d.name);
    let partialBytes = 0;
    for (const f of await readdir(path.join(dataDir, '.downloads', d.name)).catch(() => [] as string[])) {
      partialBytes += (await stat(path.join(dataDir, '.downloads', d.name, f))).size;
    }
    const identities = present ? (await readdir(path.join(dir, 'images'), { withFileTypes: true }).catch(() => [])).filter((e) => e.isDirectory()).length : undefined;
    out.push({ name: d.name, title: d.title, dir, present, downloadable: d.downloadable, partialBytes, ...(identities !== undefined ? { identities } : {}) });
  }
  return out;
}
