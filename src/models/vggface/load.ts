/** `--model vggface --weights FILE.h5`: the paper's model from a Keras HDF5 weight file. */
import path from 'node:path';
import type { FaceModel, ProbeLayer } from '../face-model.js';
import { receptiveFields } from '../receptive-field.js';
import { buildVggFaceOnnx, vggProbeShapes, VGG_INPUT_NAME } from './graph.js';
import { readKerasLayers } from './keras-layers.js';
import { mapVggLayers, VGG_INPUT } from './layout.js';
import { VGGFACE_224_TEMPLATE } from './template.js';

/** NOTES.md: RGB means subtracted, BGR channel order, no scaling. */
export const VGGFACE_MEAN_RGB: [number, number, number] = [129.1863, 104.7624, 93.594];

const NOTES: Record<string, string> = {
  pool1: 'block 1 (2 conv 3x3) + max-pool 2x2',
  pool2: 'block 2 (2 conv 3x3) + max-pool 2x2',
  pool3: 'block 3 (3 conv 3x3) + max-pool 2x2',
  pool4: 'block 4 (3 conv 3x3) + max-pool 2x2',
  pool5: 'block 5 (3 conv 3x3) + max-pool 2x2',
  fc6: 'fully connected, after ReLU',
  fc7: 'fully connected, after ReLU (the paper\'s face descriptor)',
  fc8: 'identity logits (before softmax)',
};

export async function loadVggFace(weightsFile: string): Promise<FaceModel> {
  const label = path.basename(weightsFile);
  const weights = mapVggLayers(label, await readKerasLayers(weightsFile));
  const onnx = buildVggFaceOnnx(weights);
  const rf = receptiveFields(onnx, VGG_INPUT_NAME);
  const probes: ProbeLayer[] = Object.entries(vggProbeShapes(weights)).map(([name, shape]) => ({
    name,
    tensor: name,
    kind: name.startsWith('pool') ? 'pool' : 'fc',
    shape,
    note: NOTES[name],
    ...(shape.length === 3 ? { rf: rf.get(name) } : {}),
  }));
  const widths = weights.convs.map((c) => c.cout);
  return {
    name: 'vggface',
    description: `VGGFace (VGG-16) from ${label} (${weights.layout} layout; conv widths ${[...new Set(widths)].join('/')}, fc ${weights.fcs.map((f) => f.dout).join('/')}), 224x224 BGR minus mean`,
    inputSize: { width: VGG_INPUT, height: VGG_INPUT },
    inputName: VGG_INPUT_NAME,
    preprocessing: { mean: VGGFACE_MEAN_RGB, std: [1, 1, 1], channelOrder: 'BGR', layout: 'NCHW' },
    probes,
    onnx,
    alignment: VGGFACE_224_TEMPLATE,
  };
}
