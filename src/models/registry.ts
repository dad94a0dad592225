/**
 * Resolution of a user's `--model` argument through the list of model formats (one ModelLoader
 * each): a built-in name | `vggface` (with `weights`: a Keras .h5) or a Keras `.h5` file |
 * a `.onnx` file (user model) | a `.json` file (TF.js graph model).
 */
import path from 'node:path';
import { UserError } from '../core/errors.js';
import { builtinLoader } from './builtin/loader.js';
import type { FaceModel, ModelSpec } from './face-model.js';
import { extensionOf, type LoadModelOptions, type ModelLoader } from './model-loader.js';
import { onnxLoader } from './onnx-loader.js';
import { tfjsGraphLoader } from './tfjs-graph/loader.js';
import { kerasH5Loader } from './vggface/loader.js';

export { BUILTIN_MODELS, type BuiltinModel } from './builtin/loader.js';
export { WEIGHTS_MODELS } from './vggface/loader.js';
export type { LoadModelOptions, ModelLoader } from './model-loader.js';

/** The model formats, asked in this order whether they take a `--model` argument. */
export const MODEL_LOADERS: readonly ModelLoader[] = [builtinLoader, kerasH5Loader, onnxLoader, tfjsGraphLoader];

export const DEFAULT_MODEL = 'dlib-resnet';

/** The loader that takes `file` as a model file (by its extension), or undefined. */
export function fileLoaderFor(file: string): ModelLoader | undefined {
  if (extensionOf(file) === '') return undefined;
  return MODEL_LOADERS.find((l) => l.format !== 'builtin' && l.accepts(file));
}

/** How the model files facelens reads are named, for messages. */
export const MODEL_FILE_USAGE = MODEL_LOADERS.filter((l) => l.format !== 'builtin' && l.format !== 'keras-h5').map((l) => l.usage).concat('a Keras .h5/.hdf5 weight file').join(', ');

async function resolve(spec: string, opts: LoadModelOptions): Promise<FaceModel> {
  const loader = MODEL_LOADERS.find((l) => l.accepts(spec));
  if (loader) return loader.load(spec, opts);
  const [first, ...rest] = MODEL_LOADERS.map((l) => l.usage);
  throw new UserError(`unknown model "${spec}"; ${first}; or ${rest.join(', ')}`);
}

const cache = new Map<string, Promise<FaceModel>>();

/** The arguments of a `loadModel` call with file paths made absolute (built-in names stay). */
function modelSpec(spec: string, opts: LoadModelOptions): ModelSpec {
  const isFile = fileLoaderFor(spec) !== undefined;
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
