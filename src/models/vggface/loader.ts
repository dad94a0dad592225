/** VGGFace: the architecture is built in, the user brings a Keras .h5 weight file. */
import { UserError } from '../../core/errors.js';
import { extensionOf, type ModelLoader } from '../model-loader.js';

/** Models whose architecture is built in but whose weights the user brings. */
export const WEIGHTS_MODELS = [
  {
    name: 'vggface',
    usage: '--model vggface --weights FILE.h5',
    description: "VGGFace (VGG-16, the paper's model) from a Keras .h5 (deepface's vgg_face_weights.h5 or keras-vggface's VGG16)",
  },
];

/** `--model vggface --weights FILE.h5`, or the .h5 file itself. */
export const kerasH5Loader: ModelLoader = {
  format: 'keras-h5',
  usage: WEIGHTS_MODELS.map((m) => m.usage).join(', '),
  accepts: (spec) => spec === 'vggface' || ['.h5', '.hdf5'].includes(extensionOf(spec)),
  load: async (spec, opts) => {
    const weights = spec === 'vggface' ? opts.weights : spec;
    if (!weights) throw new UserError('--model vggface needs --weights FILE.h5 (a Keras VGGFace weight file)');
    // loaded on demand: h5wasm is only needed for this format
    const { loadVggFace } = await import('./load.js');
    return loadVggFace(weights);
  },
};
