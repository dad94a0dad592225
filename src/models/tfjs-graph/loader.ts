/**
 * A TF.js graph model (model.json + shards), described like an ONNX model (`--model-config` or
 * the `<model>.facelens.json` sidecar: name, input size, preprocessing, alignment, probes);
 * `--probe` overrides the described probes.
 */
import type { FaceModel } from '../face-model.js';
import { extensionOf, type LoadModelOptions, type ModelLoader } from '../model-loader.js';
import { readOnnxConfig, sidecarConfig } from '../onnx-config.js';
import { templateFor } from '../template-lookup.js';
import { loadTfjsGraphModel, UNIT_RGB } from './load.js';

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

export const tfjsGraphLoader: ModelLoader = {
  format: 'tfjs-graph',
  usage: 'a TF.js model.json',
  accepts: (spec) => extensionOf(spec) === '.json',
  load: loadTfjsGraph,
};
