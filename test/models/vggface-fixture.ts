/**
 * Writes small random-weight VGGFace Keras .h5 files with h5wasm, in the two layouts facelens
 * reads: the Sequential save_weights() file of deepface (fc layers as 7x7 / 1x1 Conv2D, weights at
 * the root, layers named conv2d_N / zero_padding2d_N / ...) and keras-vggface's model.save() file
 * (weights under /model_weights, conv1_1..conv5_3, Flatten, Dense fc6..fc8, activation layers).
 */
import h5wasm from 'h5wasm/node';
import { mulberry32 } from '../../src/core/random.ts';

export type FixtureLayout = 'sequential' | 'keras-vggface';

export interface WrittenLayer {
  /** Canonical role: conv1_1 .. conv5_3, fc6, fc7, fc8. */
  role: string;
  /** Keras kernel shape as written. */
  shape: number[];
  kernel: Float32Array;
  bias: Float32Array;
}

export interface FixtureOptions {
  layout: FixtureLayout;
  widths?: number[];
  fc?: [number, number, number];
  seed?: number;
  /** Changes the kernel shape written for one role (to provoke errors). */
  overrideShape?: { role: string; shape: number[] };
  /** Roles to leave out of the file. */
  omit?: string[];
}

const BLOCKS = [2, 2, 3, 3, 3];

function uniform(rng: () => number, n: number, a: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (2 * rng() - 1) * a;
  return out;
}

/** The layers (roles, shapes, random values) of a narrow VGG-16, before any file layout. */
export function randomVggLayers(o: FixtureOptions): WrittenLayer[] {
  const widths = o.widths ?? [4, 8, 8, 16, 16];
  const [f6, f7, f8] = o.fc ?? [32, 32, 10];
  const rng = mulberry32(o.seed ?? 7);
  const layers: WrittenLayer[] = [];
  let cin = 3;
  BLOCKS.forEach((n, b) => {
    for (let i = 0; i < n; i++) {
      const cout = widths[b];
      layers.push({ role: `conv${b + 1}_${i + 1}`, shape: [3, 3, cin, cout], kernel: new Float32Array(), bias: new Float32Array(cout) });
      cin = cout;
    }
  });
  const conv = o.layout === 'sequential';
  layers.push({ role: 'fc6', shape: conv ? [7, 7, cin, f6] : [49 * cin, f6], kernel: new Float32Array(), bias: new Float32Array(f6) });
  layers.push({ role: 'fc7', shape: conv ? [1, 1, f6, f7] : [f6, f7], kernel: new Float32Array(), bias: new Float32Array(f7) });
  layers.push({ role: 'fc8', shape: conv ? [1, 1, f7, f8] : [f7, f8], kernel: new Float32Array(), bias: new Float32Array(f8) });
  for (const l of layers) {
    if (o.overrideShape?.role === l.role) l.shape = o.overrideShape.shape;
    const n = l.shape.reduce((a, b) => a * b, 1);
    const fanIn = n / l.shape[l.shape.length - 1];
    l.kernel = uniform(rng, n, Math.sqrt(6 / fanIn));
    l.bias = uniform(rng, l.bias.length, 0.05);
  }
  return layers.filter((l) => !o.omit?.includes(l.role));
}

type Group = InstanceType<typeof h5wasm.Group>;

function writeLayer(parent: Group, name: string, l: WrittenLayer | undefined): void {
  const g = parent.create_group(name);
  if (!l) {
    g.create_attribute('weight_names', [] as string[]);
    return;
  }
  g.create_attribute('weight_names', [`${name}/kernel:0`, `${name}/bias:0`]);
  const inner = g.get(name) instanceof h5wasm.Group ? (g.get(name) as Group) : g.create_group(name);
  inner.create_dataset({ name: 'kernel:0', data: l.kernel, shape: l.shape, dtype: '<f' });
  inner.create_dataset({ name: 'bias:0', data: l.bias, shape: [l.bias.length], dtype: '<f' });
}

/** Writes the file; returns the layers written, in model order. */
export async function writeVggH5(file: string, o: FixtureOptions): Promise<WrittenLayer[]> {
  await h5wasm.ready;
  const layers = randomVggLayers(o);
  const byRole = new Map(layers.map((l) => [l.role, l]));
  const f = new h5wasm.File(file, 'w');
  try {
    // [layer name in the file, role or undefined for weightless layers]
    const plan: [string, string | undefined][] = [];
    if (o.layout === 'sequential') {
      let conv = 0;
      let k = 0;
      BLOCKS.forEach((n, b) => {
        for (let i = 0; i < n; i++) {
          plan.push([`zero_padding2d_${++k}`, undefined]);
          plan.push([`conv2d_${++conv}`, `conv${b + 1}_${i + 1}`]);
        }
        plan.push([`max_pooling2d_${b + 1}`, undefined]);
      });
      plan.push([`conv2d_${++conv}`, 'fc6'], ['dropout_1', undefined], [`conv2d_${++conv}`, 'fc7'], ['dropout_2', undefined]);
      plan.push([`conv2d_${++conv}`, 'fc8'], ['flatten_1', undefined], ['activation_1', undefined]);
      f.create_attribute('keras_version', '2.2.4');
      f.create_attribute('backend', 'tensorflow');
      f.create_attribute('layer_names', plan.map(([n]) => n));
      for (const [name, role] of plan) writeLayer(f, name, role ? byRole.get(role) : undefined);
    } else {
      plan.push(['input_1', undefined]);
      BLOCKS.forEach((n, b) => {
        for (let i = 0; i < n; i++) plan.push([`conv${b + 1}_${i + 1}`, `conv${b + 1}_${i + 1}`]);
        plan.push([`pool${b + 1}`, undefined]);
      });
      plan.push(['flatten', undefined], ['fc6', 'fc6'], ['fc6/relu', undefined], ['fc7', 'fc7'], ['fc7/relu', undefined]);
      plan.push(['fc8', 'fc8'], ['fc8/softmax', undefined]);
      f.create_attribute('model_config', JSON.stringify({ class_name: 'Model', config: { name: 'vggface_vgg16' } }));
      const mw = f.create_group('model_weights');
      mw.create_attribute('layer_names', plan.map(([n]) => n));
      for (const [name, role] of plan) writeLayer(mw, name, role ? byRole.get(role) : undefined);
    }
  } finally {
    f.close();
  }
  return layers;
}
