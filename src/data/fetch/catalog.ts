/**
 * The datasets `facelens data fetch` knows: where each file comes from, its size and SHA-256, and
 * the folder layout it is installed into. LFW comes from the figshare mirror scikit-learn's
 * `fetch_lfw_pairs` uses (the funneled images and the View-2 pairs.txt).
 */
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../../core/errors.js';

export interface RemoteFile {
  /** File name on a mirror given by a base URL: `<base>/<name>`. */
  name: string;
  /** Default URL. */
  url: string;
  size?: number;
  sha256: string;
  /**
   * What the installer does with it: `extract-images` unpacks a .tgz whose single top folder
   * holds `<Name>/<image>` into `images/`; `copy` places the file at `target`.
   */
  role: 'extract-images' | 'copy';
  /** For `copy`: path inside the dataset folder. */
  target?: string;
}

export interface DatasetSpec {
  /** Folder name under the data directory, and the CLI name. */
  name: string;
  title: string;
  files: RemoteFile[];
  /** How the facelens reader sees the installed folder. */
  layout: string;
}

export const LFW: DatasetSpec = {
  name: 'lfw',
  title: 'Labeled Faces in the Wild, funneled (13,233 images, 5,749 people) + View-2 pairs (10 folds x 600)',
  layout: 'images/<Name>/<Name>_NNNN.jpg + pairs.txt (the facelens LFW reader)',
  files: [
    {
      name: 'lfw-funneled.tgz',
      url: 'https://ndownloader.figshare.com/files/5976015',
      size: 243_346_528,
      sha256: 'b47c8422c8cded889dc5a13418c4bc2abbda121092b3533a83306f90d900100a',
      role: 'extract-images',
    },
    {
      name: 'pairs.txt',
      url: 'https://ndownloader.figshare.com/files/5976006',
      sha256: 'ea42330c62c92989f9d7c03237ed5d591365e89b3e649747777b70e692dc1592',
      role: 'copy',
      target: 'pairs.txt',
    },
  ],
};

export const CATALOG: readonly DatasetSpec[] = [LFW];

/** Datasets facelens reads from the data folder but cannot download (licence forms). */
export const MANUAL_DATASETS: readonly { name: string; title: string; layout: string }[] = [
  { name: 'cfp', title: 'Celebrities in Frontal-Profile (registration at cfpw.io; place it here by hand)', layout: 'images/<NNN>/{frontal,profile}/<NN>.jpg [+ Protocol/]' },
];

export function datasetSpec(name: string): DatasetSpec | undefined {
  return CATALOG.find((d) => d.name === name.toLowerCase());
}

/** `$FACELENS_DATA`, default `~/.cache/facelens/datasets`. */
export function defaultDataDir(): string {
  const env = process.env.FACELENS_DATA;
  return path.resolve(env && env.trim() !== '' ? env : path.join(os.homedir(), '.cache', 'facelens', 'datasets'));
}

/** Why `url` cannot be a mirror base URL (an http(s) URL), or undefined when it can. */
export function baseUrlProblem(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `is not a URL (expected http://host/path or https://...), got "${url}"`;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `must be an http or https URL, got "${url}"`;
  return undefined;
}

/** `$FACELENS_DATA_BASE_URL` (checked), else undefined (the default URLs); `--base-url` overrides it. */
export function defaultBaseUrl(): string | undefined {
  const env = process.env.FACELENS_DATA_BASE_URL?.trim();
  if (!env) return undefined;
  const problem = baseUrlProblem(env);
  if (problem) throw new UserError(`$FACELENS_DATA_BASE_URL ${problem}`);
  return env;
}

/** The URL of `file`: `<base>/<name>` with a base URL, else its default URL. */
export function fileUrl(file: RemoteFile, baseUrl?: string): string {
  return baseUrl ? `${baseUrl.replace(/\/+$/, '')}/${file.name}` : file.url;
}

/** Total download size in bytes (files of unknown size count 0), e.g. for "243 MB to download". */
export function downloadSize(spec: DatasetSpec): number {
  return spec.files.reduce((s, f) => s + (f.size ?? 0), 0);
}

export function formatBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} B`;
}
