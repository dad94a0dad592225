import type { Command } from 'commander';
import { defaultBaseUrl, defaultDataDir, downloadSize, formatBytes, CATALOG } from '../../data/fetch/catalog.js';
import { fetchDataset, listDatasets, type FetchOptions, type FetchResult } from '../../data/fetch/install.js';
import { info, result } from '../log.js';
import { byteProgress } from '../byte-progress.js';
import { addBaseUrlOption, positiveNumber } from '../options.js';

/** `fetchDataset` with byte progress bars (size, speed, ETA) on stderr. */
export async function fetchWithProgress(name: string, opts: Omit<FetchOptions, 'onDownload' | 'onExtract' | 'log'>): Promise<FetchResult> {
  let bar: ReturnType<typeof byteProgress> | undefined;
  let barFor = '';
  const stop = () => {
    bar?.stop();
    bar = undefined;
  };
  try {
    return await fetchDataset(name, {
      ...opts,
      log: (l) => {
        stop();
        info(l);
      },
      onDownload: (file, done, total) => {
        if (barFor !== file || !bar) {
          stop();
          barFor = file;
          bar = byteProgress(file, total ?? 0, done);
        }
        bar.update(done);
      },
      onExtract: (done, total) => {
        if (barFor !== 'extract' || !bar) {
          stop();
          barFor = 'extract';
          bar = byteProgress('extract', total, done);
        }
        bar.update(done);
      },
    });
  } finally {
    stop();
  }
}

export function registerData(program: Command): void {
  const data = program.command('data').description(`datasets in the data folder ($FACELENS_DATA, default ~/.cache/facelens/datasets): fetch, list`);
  const fetch = data
    .command('fetch')
    .description('download and install a dataset (resumable, SHA-256 verified, installed atomically)')
    .argument('<dataset>', `dataset name: ${CATALOG.map((d) => `${d.name} (${formatBytes(downloadSize(d))})`).join(', ')}`)
    .option('--data-dir <dir>', 'data folder (default $FACELENS_DATA or ~/.cache/facelens/datasets)')
    .option('--keep-downloads', 'keep the downloaded archives after installing')
    .option('--timeout <s>', 'seconds to wait for a server answer or for the next bytes', positiveNumber('--timeout'), 30);
  addBaseUrlOption(fetch, 'mirror: fetch <url>/<file name> instead of the default URLs (or $FACELENS_DATA_BASE_URL)')
    .action(async (name: string, opts) => {
      const dataDir = opts.dataDir ?? defaultDataDir();
      const ms = (opts.timeout as number) * 1000;
      const r = await fetchWithProgress(name, { dataDir, baseUrl: opts.baseUrl ?? defaultBaseUrl(), keepDownloads: Boolean(opts.keepDownloads), connectTimeoutMs: Math.min(ms, 15_000), idleTimeoutMs: ms });
      if (r.status === 'present') info(`${r.name} is already installed`);
      else info(`installed ${r.name}: ${r.images} images, ${r.pairs ?? 0} pairs`);
      result(r.dir);
    });
  data
    .command('list')
    .description('which datasets are in the data folder, and where')
    .option('--data-dir <dir>', 'data folder (default $FACELENS_DATA or ~/.cache/facelens/datasets)')
    .action(async (opts) => {
      const dataDir = opts.dataDir ?? defaultDataDir();
      result(`data folder: ${dataDir}`);
      for (const d of await listDatasets(dataDir)) {
        const spec = CATALOG.find((c) => c.name === d.name);
        const state = d.present
          ? `present   ${d.dir}${d.identities !== undefined ? ` (${d.identities} identities)` : ''}`
          : d.downloadable
            ? `absent    facelens data fetch ${d.name} (${formatBytes(spec ? downloadSize(spec) : 0)})${d.partialBytes ? `; ${formatBytes(d.partialBytes)} partly downloaded` : ''}`
            : `absent    place it at ${d.dir}`;
        result(`${d.name.padEnd(5)} ${state}`);
        result(`      ${d.title}`);
      }
    });
}
