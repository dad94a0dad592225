/** `facelens align`: writes every aligned crop as PNG (mirroring the dataset's ids) + a summary. */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { writeSummary } from '../results/summary.js';
import type { AlignmentTemplate } from '../models/face-model.js';
import type { Dataset, SkippedItem } from './dataset.js';
import { alignedFaces } from './faces.js';
import { writePng } from './image-io.js';

export interface ExportAlignedOptions {
  dataset: Dataset;
  template: AlignmentTemplate;
  out: string;
  detect?: boolean;
  cache?: boolean;
  cacheDir?: string;
  /** Called with the number of items finished since the last call. */
  onProgress?: (n: number) => void;
}

export interface ExportAlignedResult {
  aligned: number;
  skipped: SkippedItem[];
  summaryPath: string;
}

export async function exportAligned(opts: ExportAlignedOptions): Promise<ExportAlignedResult> {
  const skipped: SkippedItem[] = [];
  const faces: { id: string; file: string; landmarks?: [number, number][]; score?: number }[] = [];
  const stream = alignedFaces(opts.dataset.items, opts.template, {
    detect: opts.detect ?? true,
    cache: opts.cache ?? true,
    cacheDir: opts.cacheDir,
    onSkip: (s) => {
      skipped.push(s);
      opts.onProgress?.(1);
    },
  });
  for await (const f of stream) {
    const file = f.item.id.replace(/\.[^./]+$/, '') + '.png';
    const target = path.join(opts.out, file);
    await mkdir(path.dirname(target), { recursive: true });
    await writePng(target, f.face);
    faces.push({ id: f.item.id, file, landmarks: f.landmarks, score: f.score });
    opts.onProgress?.(1);
  }
  const summaryPath = path.join(opts.out, 'summary.json');
  await writeSummary(summaryPath, {
    command: 'align',
    date: new Date().toISOString(),
    dataset: { kind: opts.dataset.kind, root: opts.dataset.root, items: opts.dataset.items.length },
    template: opts.detect === false ? 'none (centre crop)' : opts.template,
    aligned: faces.length,
    skipped,
    faces,
  });
  return { aligned: faces.length, skipped, summaryPath };
}
