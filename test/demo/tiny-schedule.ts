/** The smallest demo schedule the demo tests run: two layers, one neuron each, 2 AM steps, tiny probes. */
import type { DemoOptions } from '../../src/demo/pipeline.js';

export const TINY_DEMO = {
  layers: ['pool1', 'gap'],
  atlasNeurons: 1,
  amLayers: ['gap'],
  amNeurons: 1,
  am: { steps: 2, octaves: 1, snapshots: 2 },
  invarianceImages: 2,
  invarianceRanges: { translate_y: [0, 20], rotate: [0, 30], scale: [1, 1.2] },
  correspondenceImages: 3,
} satisfies Partial<DemoOptions>;
