/** Writes a `maximize` result: final PNG, strip of intermediate steps, activation curve, summary.json. */
import path from 'node:path';
import { writePng } from '../../data/image-io.js';
import { writeJsonAtomic } from '../../io/json.js';
import { lineChart, writeChart } from '../../report/plot.js';
import { stripImage, type MaximizeResult } from './maximize.js';

export interface MaximizeFiles {
  image: string;
  strip: string;
  curve: string;
  summary: string;
}

export async function writeMaximizeOutputs(r: MaximizeResult, out: string, model: string): Promise<MaximizeFiles> {
  const base = `${r.layer}-${r.neuron}`;
  const files: MaximizeFiles = {
    image: path.join(out, `${base}.png`),
    strip: path.join(out, `${base}-steps.png`),
    curve: path.join(out, `${base}-activation`),
    summary: path.join(out, `${base}-summary.json`),
  };
  await writePng(files.image, r.image);
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
  await writeJsonAtomic(files.summary, {
    model,
    layer: r.layer,
    neuron: r.neuron,
    readout: r.readout,
    init: r.init,
    params: r.params,
    schedule:
      'per step: seeded roll jitter, grad of neuron / mean|grad| - tvWeight * grad TV / mean|grad TV|, times stepSize, clip to [0,255]; octaves up-scaled bilinearly',
    initialActivation: r.initialActivation,
    finalActivation: r.finalActivation,
    finalActivationUint8: r.finalActivationUint8,
    activations: r.activations,
    tv: r.tv,
    snapshotSteps: r.snapshots.map((s) => s.step),
    seconds: r.seconds,
    files: { ...files, curve: `${files.curve}.png` },
  });
  return { ...files, curve: `${files.curve}.png` };
}
