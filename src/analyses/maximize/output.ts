/**
 * Writes a `maximize` result: final PNG, strip of intermediate steps, activation curve,
 * summary.json; optionally registers the images in the neuron's atlas JSON so the report and
 * the explorer show them on the neuron's page.
 */
import path from 'node:path';
import { writePng } from '../../data/image-io.js';
import { writeJsonAtomic } from '../../io/json.js';
import { writeSummary } from '../../results/summary.js';
import type { AtlasMaximizeEntry } from '../../results/neuron-atlas.js';
import { atlasNeuronFile, readNeuronAtlas } from './facets.js';
import { lineChart, writeChart } from '../../figures/plot.js';
import { stripImage, type MaximizeResult } from './maximize.js';

export interface MaximizeFiles {
  image: string;
  strip: string;
  curve: string;
  summary: string;
}

export interface WriteMaximizeOptions {
  /** Atlas folder of the layer: the result is added to (or replaces the same facet in) neuron-K.json. */
  atlasDir?: string;
}

/** File stem of one AM result: `<layer>-<neuron>` or `<layer>-<neuron>-facet<j>`. */
export function maximizeStem(r: Pick<MaximizeResult, 'layer' | 'neuron' | 'facet'>): string {
  return `${r.layer}-${r.neuron}${r.facet === null || r.facet === undefined ? '' : `-facet${r.facet}`}`;
}

export async function writeMaximizeOutputs(r: MaximizeResult, out: string, model: string, opts: WriteMaximizeOptions = {}): Promise<MaximizeFiles> {
  const base = maximizeStem(r);
  const files: MaximizeFiles = {
    image: path.join(out, `${base}.png`),
    strip: path.join(out, `${base}-steps.png`),
    curve: path.join(out, `${base}-activation`),
    summary: path.join(out, `${base}-summary.json`),
  };
  await writePng(files.image, r.image);
  // The starting image, so a reader can compare init and result (`<stem>-init.png`).
  const initFile = path.join(out, `${base}-init.png`);
  if (r.initImage) await writePng(initFile, r.initImage);
  await writePng(files.strip, stripImage(r.snapshots.map((s) => s.image)));
  const rows = r.activations.map((a, step) => ({ step, value: a, series: 'activation' }));
  await writeChart(
    lineChart({
      title: `${model} ${r.layer} #${r.neuron}: activation during maximisation`,
      rows,
      x: { field: 'step', title: 'step' },
      y: { field: 'value', title: r.readout },
      series: { field: 'series', title: '' },
      points: false,
    }),
    files.curve,
  );
  await writeSummary(files.summary, {
    model,
    layer: r.layer,
    neuron: r.neuron,
    facet: r.facet ?? null,
    readout: r.readout,
    init: r.init,
    params: r.params,
    schedule:
      `per step: seeded roll jitter, grad of neuron / mean|grad| - tvWeight * grad TV / mean|grad TV|, times stepSize, clip to [0,255]; octaves up-scaled bilinearly; stopping: ${r.plateau.rule}`,
    initialActivation: r.initialActivation,
    finalActivation: r.finalActivation,
    finalActivationUint8: r.finalActivationUint8,
    activations: r.activations,
    plateau: r.plateau,
    tv: r.tv,
    snapshotSteps: r.snapshots.map((s) => s.step),
    seconds: r.seconds,
    files: { ...files, curve: `${files.curve}.png`, ...(r.initImage ? { init: initFile } : {}) },
  });
  const written = { ...files, curve: `${files.curve}.png` };
  if (opts.atlasDir) await registerInAtlas(opts.atlasDir, r, written);
  return written;
}

/** Adds an AM result to the neuron's atlas JSON (same facet replaced), paths relative to it. */
export async function registerInAtlas(atlasDir: string, r: MaximizeResult, files: MaximizeFiles): Promise<void> {
  const file = atlasNeuronFile(atlasDir, r.neuron);
  const doc = await readNeuronAtlas(atlasDir, r.layer, r.neuron);
  const rel = (p: string) => path.relative(path.dirname(file), path.resolve(p)).split(path.sep).join('/');
  const entry: AtlasMaximizeEntry = {
    facet: r.facet ?? null,
    init: r.init,
    image: rel(files.image),
    strip: rel(files.strip),
    curve: rel(files.curve),
    summary: rel(files.summary),
    initialActivation: r.initialActivation,
    finalActivation: r.finalActivation,
    // (results made before the stopping rule, or by hand, have no plateau record)
    ...(r.plateau ? { plateauStep: r.plateau.step, steps: r.activations.length - 1 } : {}),
  };
  const others = (doc.maximize ?? []).filter((e) => e.facet !== entry.facet);
  doc.maximize = [...others, entry].sort((a, b) => (a.facet ?? -1) - (b.facet ?? -1));
  await writeJsonAtomic(file, doc);
}
