/**
 * The CFP verification protocol (Sengupta et al., WACV 2016): CFP-FF (frontal-frontal) and CFP-FP
 * (frontal-profile) pairs, read from the dataset's `Protocol/` folder:
 *   Pair_list_F.txt, Pair_list_P.txt   lines `k <path>`: image index k -> image; paths are the
 *                                      original dataset's (`../Data/Images/001/frontal/01.jpg`), so
 *                                      they are matched on their last three parts `NNN/pose/NN.jpg`;
 *   Split/<FP|FF>/<NN>/same.txt, diff.txt   lines `i,j`: i indexes the F list, j the P list (FP) or
 *                                      the F list (FF).
 * The full protocol has 10 splits, scored as 10-fold accuracy with one split per fold (threshold
 * chosen on the other nine). With fewer than 2 splits present (e.g. only split 01), the pairs of
 * the split are dealt into `subfolds` folds (default 10; same and diff lines round-robin in file
 * order, so every fold gets the same share of each) and the dataset's `note` says so.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../../core/errors.js';
import type { Dataset, DatasetItem, Pair } from '../dataset.js';
import { readCfp } from './cfp.js';
import { isDir, isFile, listDir } from './util.js';

export type CfpProtocol = 'FP' | 'FF';

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read CFP ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** Parses a `k path` list into index -> `NNN/pose/NN.jpg`. */
export function parseCfpPairList(text: string, file: string): Map<number, string> {
  const out = new Map<number, string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const l = raw.trim();
    if (l === '') return;
    const m = /^(\d+)\s+(\S+)$/.exec(l);
    if (!m) throw new UserError(`${file}:${i + 1}: expected "<index> <image path>", got "${l}"`);
    const parts = m[2]!.replace(/\\/g, '/').split('/').filter(Boolean);
    if (parts.length < 3) throw new UserError(`${file}:${i + 1}: image path "${m[2]}" has no <id>/<pose>/<file> part`);
    const k = Number(m[1]);
    if (out.has(k)) throw new UserError(`${file}:${i + 1}: index ${k} listed twice`);
    out.set(k, parts.slice(-3).join('/'));
  });
  if (out.size === 0) throw new UserError(`${file}: empty image list`);
  return out;
}

/** Parses `i,j` lines of a split file. */
export function parseCfpSplit(text: string, file: string): { i: number; j: number; line: number }[] {
  const out: { i: number; j: number; line: number }[] = [];
  text.split(/\r?\n/).forEach((raw, k) => {
    const l = raw.trim();
    if (l === '') return;
    const m = /^(\d+)\s*,\s*(\d+)$/.exec(l);
    if (!m) throw new UserError(`${file}:${k + 1}: expected "i,j" (two image indices), got "${l}"`);
    out.push({ i: Number(m[1]), j: Number(m[2]), line: k + 1 });
  });
  if (out.length === 0) throw new UserError(`${file}: no pairs`);
  return out;
}

/** True when `root/Protocol/Split` exists. */
export async function hasCfpProtocol(root: string): Promise<boolean> {
  return isDir(path.join(root, 'Protocol', 'Split'));
}

export interface CfpProtocolOptions {
  /** Folds to deal a lone split into (default 10). */
  subfolds?: number;
  /** Keep only pairs whose two identities pass this test (a smaller run). */
  identities?: { test: (identity: string) => boolean; label: string };
}

/** Reads CFP-FP or CFP-FF: the images of the pairs, the pairs, and their folds. */
export async function readCfpProtocol(root: string, protocol: CfpProtocol, opts: CfpProtocolOptions = {}): Promise<Dataset> {
  root = path.resolve(root);
  const proto = path.join(root, 'Protocol');
  if (!(await isDir(proto))) throw new UserError(`no CFP protocol folder ${proto} (need Protocol/Pair_list_F.txt, Pair_list_P.txt, Split/${protocol}/NN/)`);
  const all = await readCfp(root);
  const byId = new Map(all.items.map((it) => [it.id, it]));
  const lists: Record<'F' | 'P', Map<number, string>> = {
    F: parseCfpPairList(await readText(path.join(proto, 'Pair_list_F.txt'), 'pair list'), path.join(proto, 'Pair_list_F.txt')),
    P: protocol === 'FP' ? parseCfpPairList(await readText(path.join(proto, 'Pair_list_P.txt'), 'pair list'), path.join(proto, 'Pair_list_P.txt')) : new Map(),
  };
  const splitRoot = path.join(proto, 'Split', protocol);
  if (!(await isDir(splitRoot))) throw new UserError(`no ${protocol} splits: ${splitRoot} is missing`);
  const splits = (await listDir(splitRoot)).dirs.filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(a) - Number(b));
  if (splits.length === 0) throw new UserError(`no split folders (01, 02, ...) in ${splitRoot}`);

  const items = new Map<string, DatasetItem>();
  const pairs: Pair[] = [];
  const subfolds = opts.subfolds ?? 10;
  const lone = splits.length < 2;
  let total = 0;
  for (const [s, split] of splits.entries()) {
    for (const kind of ['same', 'diff'] as const) {
      const file = path.join(splitRoot, split, `${kind}.txt`);
      if (!(await isFile(file))) throw new UserError(`missing CFP split file ${file}`);
      const lines = parseCfpSplit(await readText(file, 'split file'), file);
      lines.forEach(({ i, j, line }, k) => {
        const a = lists.F.get(i);
        const b = (protocol === 'FP' ? lists.P : lists.F).get(j);
        if (a === undefined) throw new UserError(`${file}:${line}: index ${i} is not in Pair_list_F.txt`);
        if (b === undefined) throw new UserError(`${file}:${line}: index ${j} is not in Pair_list_${protocol === 'FP' ? 'P' : 'F'}.txt`);
        total++;
        if (opts.identities && !(opts.identities.test(a.split('/')[0]!) && opts.identities.test(b.split('/')[0]!))) return;
        for (const id of [a, b]) {
          const it = byId.get(id);
          if (!it) throw new UserError(`${file}:${line}: image ${path.join(root, 'images', id)} not found`);
          items.set(id, it);
        }
        pairs.push({ a, b, same: kind === 'same', fold: lone ? k % subfolds : s });
      });
    }
  }
  if (pairs.length === 0) throw new UserError(`CFP-${protocol}: no pairs left with identities ${opts.identities?.label}`);
  const folds = lone ? Math.min(subfolds, pairs.length) : splits.length;
  const kept = opts.identities ? `; identities ${opts.identities.label}: ${pairs.length} of ${total} pairs (${pairs.filter((p) => p.same).length} same)` : '';
  const note = lone
    ? `CFP-${protocol}: only split ${splits[0]} present, so its ${pairs.length} pairs are dealt into ${folds} folds (same/diff lines round-robin); the published protocol uses 10 splits, one per fold`
    : `CFP-${protocol}: ${splits.length} splits, one per fold`;
  const noteAll = note + kept;
  return {
    kind: 'cfp',
    root,
    items: [...items.values()].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0)),
    pairs,
    folds,
    note: noteAll,
  };
}
