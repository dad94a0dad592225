/** A user's ONNX model file (described by --model-config or its `<model>.facelens.json` sidecar). */
import { extensionOf, type ModelLoader } from './model-loader.js';

export const onnxLoader: ModelLoader = {
  format: 'onnx',
  usage: 'a .onnx file',
  accepts: (spec) => extensionOf(spec) === '.onnx',
  load: async (spec, opts) => {
    // loaded on demand: the dry run and probe discovery are only needed for this format
    const { loadOnnxFile } = await import('./onnx-file.js');
    return loadOnnxFile(spec, { config: opts.config, probes: opts.probes });
  },
};
