/**
 * Which data the demo runs on. LFW, in this order: the folder given (`--lfw`), the one in the data
 * folder (`facelens data fetch lfw`), else it is downloaded there (size said first; `--offline`
 * skips this). When that fails (no network: the fetcher gives up within seconds; a bad mirror),
 * the demo runs on the bundled photos and says so in a banner, in the console and in the report.
 * CFP: `--cfp`, else `<data>/cfp` when someone placed it there (it cannot be downloaded).
 *
 * Also: the LFW subset the demo uses (`--lfw-limit`: at most that many images, whole pairs over
 * every fold; 0 = all) and the LFW photos whose faces feed the align / invariance /
 * correspondence steps in place of the bundled ones.
 */
import path from 'node:path';
import type { Dataset, DatasetItem } from '../data/dataset.js';
import { readLfw } from '../data/datasets/lfw.js';
import { subsetLfw } from '../data/datasets/lfw-subset.js';
import { defaultDataDir, downloadSize, formatBytes, LFW } from '../data/fetch/catalog.js';
import { fetchDataset, isInstalled, type FetchOptions, type FetchResult } from '../data/fetch/install.js';

/**
 * Default image cap of the demo's LFW subset: enough for an atlas top-50 over at least 2,000
 * faces (a few of the 2,100 may have no detected face). On full LFW (13,233 images) this keeps
 * `npm start` inside its 15-minute budget on 2 cores (ONNX Runtime detector; the yaw probe shares
 * one distance matrix per layer); `--lfw-limit 0` takes every pair's image.
 */
export const DEFAULT_LFW_LIMIT = 2100;

export interface DemoDataOptions {
  lfw?: string;
  cfp?: string;
  /** Never download. */
  offline?: boolean;
  dataDir?: string;
  baseUrl?: string;
  /** Seconds to wait for a server before falling back (default 8). */
  connectTimeoutSeconds?: number;
  log?: (line: string) => void;
  /** The fetcher (the CLI passes one with progress bars). */
  fetch?: (name: string, opts: FetchOptions) => Promise<FetchResult>;
}

export interface DemoData {
  lfw?: string;
  cfp?: string;
  /** Where LFW came from. */
  lfwSource: 'given' | 'data folder' | 'downloaded' | 'none';
  /** A warning to show in the console and the report (bundled photos used instead of LFW). */
  banner?: string;
}

export async function resolveDemoData(o: DemoDataOptions): Promise<DemoData> {
  const say = o.log ?? (() => {});
  const dataDir = path.resolve(o.dataDir ?? defaultDataDir());
  const cfp = o.cfp ?? ((await isInstalled(dataDir, 'cfp')) ? path.join(dataDir, 'cfp') : undefined);
  const base = cfp ? { cfp } : {};
  if (o.lfw) return { ...base, lfw: path.resolve(o.lfw), lfwSource: 'given' };
  if (await isInstalled(dataDir, 'lfw')) return { ...base, lfw: path.join(dataDir, 'lfw'), lfwSource: 'data folder' };
  const size = formatBytes(downloadSize(LFW));
  if (o.offline) {
    return { ...base, lfwSource: 'none', banner: `LFW is not in ${dataDir} and --offline was given: this run uses the bundled demo photos (22 faces), not LFW. \`facelens data fetch lfw\` downloads it (${size}).` };
  }
  say(`LFW is not in ${dataDir}: downloading it now (${size}, once; --offline skips this, FACELENS_DATA moves the data folder)`);
  try {
    const fetcher = o.fetch ?? fetchDataset;
    const r = await fetcher('lfw', { dataDir, baseUrl: o.baseUrl, connectTimeoutMs: (o.connectTimeoutSeconds ?? 8) * 1000, idleTimeoutMs: 30_000 });
    return { ...base, lfw: r.dir, lfwSource: 'downloaded' };
  } catch (e) {
    const why = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    return { ...base, lfwSource: 'none', banner: `could not download LFW (${why}): this run uses the bundled demo photos (22 faces), not LFW. Run \`facelens data fetch lfw\` (${size}) when online.` };
  }
}

/** The demo's LFW: all pairs' images, or the `limit` subset (see lfw-subset.ts). */
export async function openDemoLfw(dir: string, limit?: number): Promise<Dataset> {
  const ds = await readLfw(dir);
  return limit && limit > 0 ? subsetLfw(ds, limit) : ds;
}

/** `n` LFW photos of distinct people (in id order), whose faces stand in for the bundled photos. */
export function lfwPhotos(ds: Dataset, n: number): DatasetItem[] {
  const seen = new Set<string>();
  const out: DatasetItem[] = [];
  for (const it of ds.items) {
    const who = it.identity ?? it.id;
    if (seen.has(who)) continue;
    seen.add(who);
    // flat ids (`Name_0001.jpg`: unique in LFW), since the align step names its crops after them
    out.push({ ...it, id: path.basename(it.id) });
    if (out.length === n) break;
  }
  return out;
}
