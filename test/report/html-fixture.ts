/** A hand-written results directory for the report tests (JSON as the analyses write it, small PNGs). */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { writeNpy } from '../../src/io/npy.ts';

export const EVIL = '<script>alert("x")</script>';

async function png(file: string, w: number, h: number, shade = 120): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await sharp({ create: { width: w, height: h, channels: 3, background: { r: shade, g: 80, b: 200 - shade / 2 } } }).png().toFile(file);
}

async function json(file: string, value: unknown): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(value, null, 2));
}

const step = (name: string, status: 'ok' | 'failed' | 'skipped', reason?: string) => ({ name, title: name, status, ...(reason ? { reason } : {}), parameters: {}, seconds: 1.5 });

export interface FixtureOptions {
  /** Leave out run.json. */
  noRun?: boolean;
}

/** Writes the fixture; returns its folder. */
export async function writeFixture(opts: FixtureOptions = {}): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'facelens-report-'));
  const J = (...p: string[]) => path.join(dir, ...p);
  if (!opts.noRun) {
    await json(J('run.json'), {
      format: 'facelens-run/1',
      command: 'demo',
      date: '2026-01-01T00:00:00.000Z',
      status: 'complete',
      seed: 7,
      model: 'dlib-resnet',
      datasets: { demo: { photos: ['a.jpg'] } },
      options: { atlasNeurons: 2 },
      steps: [
        step('align', 'ok'),
        step('sweep', 'ok'),
        step('atlas/pool1', 'ok'),
        step('atlas/res64', 'failed', `projection blew up ${EVIL}`),
        step('invariance', 'ok'),
        step('correspondence', 'ok'),
        step('maximize/pool1', 'ok'),
        step('similarity/pool1', 'ok'),
        step('verify', 'ok'),
        step('pose', 'failed', 'CFP folder has no profile images'),
      ],
      totalSeconds: 15,
    });
  }
  await png(J('faces', 'aligned-faces.png'), 300, 60);
  await json(J('sweep', 'manifest.json'), { layers: [{ name: 'pool1' }, { name: 'res64' }, { name: 'gap' }, { name: 'embedding' }] });

  // Atlas: pool1 with two neurons; neuron 3 has an AM entry (paths relative to its JSON).
  await json(J('atlas', 'pool1', 'summary.json'), {
    model: 'dlib-resnet',
    layer: { name: 'pool1', shape: [32, 35, 35], rf: { size: 11, stride: 4 } },
    neurons: [3, 5],
    neuronSelection: 'top-variance:2',
    n: 4,
    mode: 'deconv',
    dataset: { kind: 'images', items: 8 },
    layout: { tsne: { seed: 7 } },
  });
  for (const k of [3, 5]) {
    await png(J('atlas', 'pool1', `neuron-${k}.png`), 256, 128, 40 * k);
    await json(J('atlas', 'pool1', `neuron-${k}.json`), {
      format: 'facelens-atlas/1',
      layer: 'pool1',
      neuron: k,
      mode: 'deconv',
      n: 4,
      png: `neuron-${k}.png`,
      similar: [{ neuron: 9, s: 0.8123 }],
      samples: [{ rank: 1, id: `face-${k}.png`, value: 12.5 + k, tsne: [0, 0] }],
      ...(k === 3
        ? {
            maximize: [
              {
                facet: 0,
                init: `cluster ${EVIL}`,
                image: '../../maximize/pool1/pool1-3-facet0.png',
                strip: '../../maximize/pool1/pool1-3-facet0-steps.png',
                curve: '../../maximize/pool1/pool1-3-facet0-activation.png',
                summary: '../../maximize/pool1/pool1-3-facet0-summary.json',
                initialActivation: 1.25,
                finalActivation: 4.5,
              },
            ],
          }
        : {}),
    });
  }
  await png(J('maximize', 'pool1', 'pool1-3-facet0.png'), 150, 150);
  await png(J('maximize', 'pool1', 'pool1-3-facet0-steps.png'), 600, 150);
  await png(J('maximize', 'pool1', 'pool1-3-facet0-activation.png'), 400, 300);
  await json(J('maximize', 'pool1', 'pool1-3-facet0-summary.json'), { layer: 'pool1', neuron: 3, facet: 0, readout: 'centre cell', params: { steps: 50, octaves: 2, seed: 7, stop: 'plateau' }, initialActivation: 1.25, finalActivation: 4.5, activations: [1.25, 2, 3.5, 4.4, 4.5, 4.5], plateau: { step: 4, rule: 'per octave: stop after step t >= 2 when best(t) - best(t - 2) <= 0.01 * rise', octaves: [{ octave: 0, steps: 2, plateaued: true }, { octave: 1, steps: 3, plateaued: true }] } });
  // An AM result only in maximize/<layer>/ (not registered in an atlas JSON).
  await png(J('maximize', 'gap', 'gap-1.png'), 150, 150);
  await png(J('maximize', 'gap', 'gap-1-steps.png'), 600, 150);
  await png(J('maximize', 'gap', 'gap-1-activation.png'), 400, 300);
  await json(J('maximize', 'gap', 'gap-1-summary.json'), { layer: 'gap', neuron: 1, facet: null, init: 'noise', params: { steps: 3 }, initialActivation: 0.5, finalActivation: 2, activations: [0.5, 1, 1.5, 2], plateau: { step: null, rule: 'per octave: ... at most 3 steps', octaves: [{ octave: 0, steps: 3, plateaued: false }] } });

  await json(J('invariance', 'summary.json'), {
    parameters: { model: 'dlib-resnet', layers: ['pool1', 'gap'], transforms: { rotate: { values: [-60, 0, 60], unit: 'deg' } }, borderFill: 'replicate' },
    images: [{ id: 'a.png' }, { id: 'b.png' }],
    transforms: [{ transform: 'rotate', unit: 'deg', values: [-60, 0, 60], layers: [{ layer: 'pool1', mean: [0.4, 0, 0.5] }, { layer: 'gap', mean: [0.1, 0, 0.1] }] }],
    betweenImages: [{ layer: 'pool1', mean: 0.5 }, { layer: 'gap', mean: 0.4 }],
  });
  await json(J('correspondence', 'summary.json'), {
    parameters: { model: 'dlib-resnet', maskShape: 'square 20 px', fill: 'grey', randomMasks: { draws: 5, seed: 'facelens-7', placement: 'shared' } },
    images: ['a.png', 'b.png', 'c.png'],
    rows: ['left_eye', 'right_eye', 'nose', 'mouth', 'random', 'random#0'].map((mask, i) => ({
      mask,
      layers: [
        // pool1: 95% of the eps entries are 0 (zero-dominated); excluding them, parts are above random.
        { layer: 'pool1', delta_mean: 0.1 + i / 100, delta_std: 0.01, exclude_mean: mask.startsWith('random') ? 0.25 : 0.3 + i / 100, exclude_std: 0.02, zeroFraction: 0.95 },
        { layer: 'gap', delta_mean: mask === 'random' || mask === 'random#0' ? 0.4567 : 0.2 + i / 100, delta_std: 0.02 },
      ],
    })),
  });
  await json(J('verify', 'summary.json'), {
    parameters: { model: 'dlib-resnet', dataset: { kind: 'lfw', root: '/data/lfw' }, protocol: '2-fold' },
    pairs: { used: 1200, dropped: 0, folds: 2 },
    layers: [
      { layer: 'pool1', dims: 39200, accuracy_mean: 0.618, accuracy_std: 0.012, auc: 0.65, 'tar_at_far_1e-3': 0.01 },
      { layer: EVIL, dims: 64, accuracy_mean: 0.8, accuracy_std: 0.02, auc: 0.9, 'tar_at_far_1e-3': 0.2 },
      { layer: 'gap', dims: 256, accuracy_mean: 0.986, accuracy_std: 0.004, auc: 0.998, 'tar_at_far_1e-3': 0.9 },
    ],
  });
  await png(J('similarity', 'pool1', 'pool1.similarity.png'), 300, 260);
  // The matrix of pool1 (3 neurons, inside [0, 1]); the embedding has none (summary fallback).
  await writeNpy(J('similarity', 'pool1', 'pool1.similarity.npy'), Float32Array.from([1, 0.99, 0.2, 0.99, 1, 0.3, 0.2, 0.3, 1]), [3, 3]);
  await json(J('similarity', 'pool1', 'summary.json'), {
    parameters: { model: 'dlib-resnet', n: 4 },
    layer: 'pool1',
    neurons: 32,
    images: 8,
    n: 4,
    meanOffDiagonal: 0.4321,
    redundant: [{ i: 1, j: 2, s: 0.99 }],
    independent: [{ neuron: 7, meanSimilarity: 0.1 }],
    dead: [],
  });
  // A layer with signed units (no ReLU): eq. 2 leaves [0, 1].
  await png(J('similarity', 'embedding', 'embedding.similarity.png'), 300, 260);
  await json(J('similarity', 'embedding', 'summary.json'), {
    layer: 'embedding',
    neurons: 128,
    images: 8,
    n: 4,
    meanOffDiagonal: 0.48,
    redundant: [{ i: 3, j: 4, s: 20.36 }],
    independent: [{ neuron: 9, meanSimilarity: -13.8 }],
    dead: [],
  });
  return dir;
}
