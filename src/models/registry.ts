/** Built-in models by name, and resolution of a user's `--model` argument. */
import { UserError } from '../cli/errors.js';
import type { FaceModel } from './face-model.js';
import { loadDlibResnet } from './builtin/dlib-resnet.js';

export interface BuiltinModel {
  name: string;
  description: string;
  load: () => Promise<FaceModel>;
}

export const BUILTIN_MODELS: BuiltinModel[] = [
  {
    name: 'dlib-resnet',
    description: "dlib ResNet-34-like face recogniser, weights from @vladmandic/face-api (150 px, 128-d)",
    load: loadDlibResnet,
  },
];

export const DEFAULT_MODEL = 'dlib-resnet';

const cache = new Map<string, Promise<FaceModel>>();

export function loadModel(spec: string = DEFAULT_MODEL): Promise<FaceModel> {
  const builtin = BUILTIN_MODELS.find((m) => m.name === spec);
  if (!builtin) {
    throw new UserError(
      `unknown model "${spec}"; built-in models: ${BUILTIN_MODELS.map((m) => m.name).join(', ')}`,
    );
  }
  let p = cache.get(spec);
  if (!p) {
    p = builtin.load();
    cache.set(spec, p);
  }
  return p;
}
