/**
 * Maps the weighted layers of a Keras VGGFace file onto the VGG-16 structure, checking every
 * shape. Two layouts exist:
 *  - the Sequential model of deepface / most tutorials (`vgg_face_weights.h5`): 16 Conv2D layers,
 *    fc6 as a 7x7 conv [7,7,C,F], fc7 / fc8 as 1x1 convs [1,1,F,F'];
 *  - keras-vggface's VGG16: conv1_1..conv5_3, then Flatten and Dense fc6 [7*7*C, F], fc7, fc8.
 * Widths come from the weight shapes; only the layer structure is fixed.
 */
import { UserError } from '../../core/errors.js';
import type { KerasLayer, KerasWeight } from './keras-layers.js';

/** Convs per block of VGG-16. */
export const VGG16_BLOCKS = [2, 2, 3, 3, 3];
export const VGG_INPUT = 224;
/** Spatial size of pool5 for a 224 input. */
export const POOL5_SIZE = VGG_INPUT / 32;

export interface VggConv {
  /** Canonical name, conv{block}_{i}. */
  name: string;
  /** Name of the layer in the file. */
  source: string;
  /** Keras kernel [3, 3, cin, cout] (HWIO), row-major. */
  kernel: Float32Array;
  bias: Float32Array;
  cin: number;
  cout: number;
}

export interface VggFc {
  name: 'fc6' | 'fc7' | 'fc8';
  source: string;
  /** Kernel as [din, dout]; for fc6 rows are in Keras's channels-last (h, w, c) order. */
  kernel: Float32Array;
  bias: Float32Array;
  din: number;
  dout: number;
  /** How the file stored it. */
  stored: 'conv' | 'dense';
}

export interface VggWeights {
  convs: VggConv[];
  fcs: VggFc[];
  layout: 'sequential-conv-fc' | 'keras-vggface-dense';
}

export const CONV_NAMES = VGG16_BLOCKS.flatMap((n, b) => Array.from({ length: n }, (_, i) => `conv${b + 1}_${i + 1}`));
const FC_NAMES = ['fc6', 'fc7', 'fc8'] as const;

const fmt = (s: number[]) => `[${s.join(',')}]`;

function split(label: string, layer: KerasLayer): { kernel: KerasWeight; bias: KerasWeight } {
  const kernels = layer.weights.filter((w) => w.shape.length >= 2);
  const biases = layer.weights.filter((w) => w.shape.length === 1);
  if (kernels.length !== 1 || biases.length !== 1 || layer.weights.length !== 2) {
    throw new UserError(
      `${label}: layer ${layer.name}: expected a kernel and a bias, found ${layer.weights.map((w) => `${w.name} ${fmt(w.shape)}`).join(', ') || 'no weights'}`,
    );
  }
  return { kernel: kernels[0], bias: biases[0] };
}

function expectShape(label: string, layer: string, what: string, got: number[], want: number[]): void {
  if (got.length !== want.length || got.some((d, i) => d !== want[i])) {
    throw new UserError(`${label}: layer ${layer}: ${what} shape ${fmt(got)} expected ${fmt(want)}`);
  }
}

/** `label` (the file's name) prefixes every error. */
export function mapVggLayers(label: string, layers: KerasLayer[]): VggWeights {
  const expected = CONV_NAMES.length + FC_NAMES.length;
  const convs: VggConv[] = [];
  let cin = 3;
  for (const [i, name] of CONV_NAMES.entries()) {
    const layer = layers[i];
    if (!layer) {
      throw new UserError(`${label}: missing layer ${name} (the ${i + 1}th of ${expected} weighted layers; the file has ${layers.length})`);
    }
    const { kernel, bias } = split(label, layer);
    const cout = kernel.shape[3] ?? bias.shape[0];
    expectShape(label, layer.name, 'kernel', kernel.shape, [3, 3, cin, cout]);
    expectShape(label, layer.name, 'bias', bias.shape, [cout]);
    convs.push({ name, source: layer.name, kernel: kernel.data, bias: bias.data, cin, cout });
    cin = cout;
  }
  const fcs: VggFc[] = [];
  let din = cin * POOL5_SIZE * POOL5_SIZE;
  let stored: 'conv' | 'dense' | undefined;
  for (const [j, name] of FC_NAMES.entries()) {
    const layer = layers[CONV_NAMES.length + j];
    if (!layer) {
      throw new UserError(`${label}: missing layer ${name} (the ${CONV_NAMES.length + j + 1}th of ${expected} weighted layers; the file has ${layers.length})`);
    }
    const { kernel, bias } = split(label, layer);
    const s = kernel.shape;
    const dout = s[s.length - 1];
    const k = j === 0 ? POOL5_SIZE : 1;
    const cinFc = j === 0 ? cin : din;
    const thisStored = s.length === 4 ? 'conv' : 'dense';
    stored ??= thisStored;
    const want = stored === 'conv' ? [k, k, cinFc, dout] : [din, dout];
    expectShape(label, layer.name, 'kernel', s, want);
    expectShape(label, layer.name, 'bias', bias.shape, [dout]);
    fcs.push({ name, source: layer.name, kernel: kernel.data, bias: bias.data, din, dout, stored });
    din = dout;
  }
  if (layers.length > expected) {
    throw new UserError(
      `${label}: unexpected layer ${layers[expected].name} after fc8 (VGG-16 has ${expected} weighted layers, the file has ${layers.length})`,
    );
  }
  return { convs, fcs, layout: stored === 'conv' ? 'sequential-conv-fc' : 'keras-vggface-dense' };
}
