/**
 * The activation sweep (paper experiment 1, for every neuron of every probe layer): one
 * batched ONNX Runtime pass per image; per layer, image and channel the projection value
 * (spatial max) and its argmax cell, streamed to NPY files so memory stays flat in the number
 * of images.
 *
 * Resumable: after each batch the NPY rows are written first, then one journal line per item
 * (row or skip, in dataset order). A rerun after any kill truncates every NPY to the rows the
 * journal confirms and continues with the next item. Batches are always formed from whole
 * groups of `batch` rows counted from row 0, so the resumed run feeds ONNX Runtime exactly the
 * same batches as an uninterrupted one and the files end byte-identical.
 */
import type { RunOptions } from '../run-options.js';
import { appendFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { UserError } from '../../core/errors.js';
import type { Dataset, DatasetItem, SkippedItem } from '../../data/dataset.js';
import { alignedFaces } from '../../data/faces.js';
import { runBatches, DEFAULT_BATCH } from '../../engine/ort/batch-runner.js';
import { OrtEngine } from '../../engine/ort/engine.js';
import { NpyAppender } from '../../io/npy.js';
import { readJson, writeJsonAtomic } from '../../io/json.js';
import { assertSomethingUsable } from '../../core/validate.js';
import { selectProbes, type FaceModel } from '../../models/face-model.js';
import { datasetFingerprint } from '../../cluster/shard.js';
import { spatialMax } from './reduce.js';
import { SWEEP_FORMAT, shardRange, sweepFiles, type SweepItem, type SweepLayerInfo, type SweepManifest } from '../../results/sweep.js';

export interface SweepOptions extends RunOptions {
  shard?: { index: number; count: number };
  /** Reuse an engine (else one is created and released). */
  engine?: OrtEngine;
}

export interface SweepResult {
  dir: string;
  manifest: SweepManifest;
  rows: number;
  skipped: number;
  /** Items already done by an earlier, interrupted run. */
  resumedFrom: number;
  alreadyComplete: boolean;
  seconds: number;
}

type JournalEntry = { i: number; id: string; row: number } | { i: number; id: string; skip: string; path: string };

function layerInfos(model: FaceModel, spec: SweepOptions['layers']): SweepLayerInfo[] {
  return selectProbes(model, spec).map((p) => ({
    name: p.name,
    kind: p.kind,
    shape: p.shape,
    channels: p.shape[0],
    spatial: p.shape.length === 3,
    ...(p.rf ? { rf: p.rf } : {}),
  }));
}

async function readJournal(file: string): Promise<JournalEntry[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return [];
  }
  const out: JournalEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line) as JournalEntry);
    } catch {
      break; // a line cut by a kill: everything from here is redone
    }
  }
  // Keep only the contiguous prefix 0..k-1 (defensive: the writer only ever appends in order).
  let k = 0;
  while (k < out.length && out[k].i === k) k++;
  return out.slice(0, k);
}

function sameParameters(a: SweepManifest, b: SweepManifest): boolean {
  const strip = (m: SweepManifest) => JSON.stringify({ ...m, status: undefined });
  return strip(a) === strip(b);
}

export async function sweep(opts: SweepOptions): Promise<SweepResult> {
  const t0 = performance.now();
  const batch = opts.batch ?? DEFAULT_BATCH;
  const detect = opts.detect ?? true;
  const files = sweepFiles(opts.out);
  const layers = layerInfos(opts.model, opts.layers);
  const shard = opts.shard ?? { index: 0, count: 1 };
  if (!(shard.count >= 1 && shard.index >= 0 && shard.index < shard.count)) {
    throw new UserError(`--shard ${shard.index}/${shard.count}: need 0 <= i < n`);
  }
  const all = opts.dataset.items;
  const range = shardRange(all.length, shard.index, shard.count);
  const items = all.slice(range.start, range.end);
  const manifest: SweepManifest = {
    format: SWEEP_FORMAT,
    status: 'running',
    model: {
      name: opts.model.name,
      ...(opts.model.spec ? { spec: opts.model.spec } : {}),
      input: opts.model.inputSize,
      preprocessing: opts.model.preprocessing,
      alignment: detect ? opts.model.alignment : 'none (centre crop)',
    },
    dataset: { kind: opts.dataset.kind, root: opts.dataset.root, items: all.length, fingerprint: datasetFingerprint(all.map((it) => it.id)) },
    shard: { index: shard.index, count: shard.count, ...range },
    layers,
    parameters: {
      detect,
      batch,
      projectionValue: 'max over spatial positions of the channel map (vector layers: the value)',
      argmax: 'flat index h * W + w of the first maximum in row-major order',
    },
  };

  // An existing sweep in `out`: finished -> nothing to do; same parameters -> resume; else refuse.
  let journal: JournalEntry[] = [];
  let existing: SweepManifest | undefined;
  try {
    existing = await readJson<SweepManifest>(files.manifest);
  } catch {
    existing = undefined;
  }
  if (existing) {
    if (!sameParameters(existing, manifest)) {
      throw new UserError(`${opts.out} holds a different sweep (other model, layers, dataset, shard or batch); use another --out`);
    }
    if (existing.status === 'complete') {
      const done = await readJson<SweepItem[]>(files.items);
      const skipped = await readJson<SkippedItem[]>(files.skipped);
      return { dir: opts.out, manifest: existing, rows: done.length, skipped: skipped.length, resumedFrom: items.length, alreadyComplete: true, seconds: 0 };
    }
    journal = await readJournal(files.journal);
  } else {
    await rm(files.journal, { force: true });
  }
  await mkdir(opts.out, { recursive: true });
  await writeJsonAtomic(files.manifest, manifest);

  const rowsDone = journal.filter((e) => 'row' in e).length;
  const writers = new Map<string, { values: NpyAppender; argmax?: NpyAppender }>();
  for (const l of layers) {
    const values = await NpyAppender.openOrCreate(files.values(l.name), 'float32', [l.channels]);
    const argmax = l.spatial ? await NpyAppender.openOrCreate(files.argmax(l.name), 'int32', [l.channels]) : undefined;
    for (const w of [values, argmax]) {
      if (!w) continue;
      if (w.rows < rowsDone) throw new Error(`${w.path} has ${w.rows} rows but the journal confirms ${rowsDone}; delete ${opts.out} and rerun`);
      await w.truncate(rowsDone);
    }
    writers.set(l.name, { values, argmax });
  }
  // Rewrite the journal as exactly its valid prefix (drops a line cut by a kill).
  await writeJsonl(files.journal, journal, false);
  await appendFile(files.runLog, JSON.stringify({ event: journal.length > 0 ? 'resume' : 'start', at: new Date().toISOString(), itemsDone: journal.length }) + '\n');

  const start = journal.length;
  const index = new Map<string, number>();
  items.forEach((it, i) => index.set(it.id, i));
  let nextRow = rowsDone;
  let done = start;
  const pendingSkips: JournalEntry[] = [];
  const total = items.length;
  opts.onProgress?.({ stage: 'sweep', done, total });

  const faces = alignedFaces(items.slice(start), opts.model.alignment, {
    detect,
    cache: opts.cache ?? true,
    cacheDir: opts.cacheDir,
    onSkip: (s) => {
      pendingSkips.push({ i: index.get(s.id)!, id: s.id, skip: s.reason, path: s.path });
    },
  });
  const probeNames = layers.map((l) => l.name);
  const engine = opts.engine ?? (await OrtEngine.create(opts.model));
  await runBatches(engine, faces, probeNames, batch, async (records, out) => {
    const n = records.length;
    for (const l of layers) {
      const t = out[l.name];
      const w = writers.get(l.name)!;
      if (l.spatial) {
        const vals = new Float32Array(n * l.channels);
        const args = new Int32Array(n * l.channels);
        spatialMax(t.data, n, l.channels, l.shape[1] * l.shape[2], vals, args);
        await w.values.append(vals);
        await w.argmax!.append(args);
      } else {
        await w.values.append(t.data.slice(0, n * l.channels));
      }
    }
    const entries: JournalEntry[] = records.map((r) => ({ i: index.get(r.item.id)!, id: r.item.id, row: nextRow++ }));
    const last = entries[entries.length - 1].i;
    const skipsBefore = pendingSkips.filter((s) => s.i < last);
    pendingSkips.splice(0, skipsBefore.length);
    const lines = [...skipsBefore, ...entries].sort((a, b) => a.i - b.i);
    await writeJsonl(files.journal, lines, true);
    done += lines.length;
    opts.onProgress?.({ stage: 'sweep', done, total });
  });
  if (pendingSkips.length > 0) {
    await writeJsonl(files.journal, pendingSkips, true);
    done += pendingSkips.length;
    opts.onProgress?.({ stage: 'sweep', done, total });
  }
  if (!opts.engine) await engine.release();
  for (const w of writers.values()) {
    await w.values.close();
    await w.argmax?.close();
  }

  // Finish: items + skipped from the journal, manifest complete, journal removed.
  const final = await readJournal(files.journal);
  if (final.length !== items.length) throw new Error(`sweep: journal has ${final.length} of ${items.length} items`);
  const byId = new Map<string, DatasetItem>(items.map((it) => [it.id, it]));
  const sweepItems: SweepItem[] = [];
  const skipped: SkippedItem[] = [];
  for (const e of final) {
    const it = byId.get(e.id)!;
    if ('row' in e) sweepItems.push({ row: e.row, id: it.id, ...(it.identity ? { identity: it.identity } : {}), ...(it.label ? { label: it.label } : {}) });
    else skipped.push({ id: e.id, path: e.path, reason: e.skip });
  }
  assertSomethingUsable(items.length, sweepItems.length, skipped);
  await writeJsonAtomic(files.items, sweepItems);
  await writeJsonAtomic(files.skipped, skipped);
  const complete: SweepManifest = { ...manifest, status: 'complete' };
  await writeJsonAtomic(files.manifest, complete);
  await rm(files.journal, { force: true });
  const seconds = (performance.now() - t0) / 1000;
  await appendFile(files.runLog, JSON.stringify({ event: 'complete', at: new Date().toISOString(), seconds, rows: sweepItems.length, skipped: skipped.length }) + '\n');
  return { dir: opts.out, manifest: complete, rows: sweepItems.length, skipped: skipped.length, resumedFrom: start, alreadyComplete: false, seconds };
}

async function writeJsonl(file: string, entries: JournalEntry[], append: boolean): Promise<void> {
  const text = entries.map((e) => JSON.stringify(e) + '\n').join('');
  if (append) await appendFile(file, text);
  else await writeFile(file, text);
}
