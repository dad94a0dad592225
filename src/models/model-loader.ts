/**
 * The one interface every model format implements (built-in, ONNX file, TF.js graph, Keras .h5);
 * registry.ts is the list of them and asks each in turn whether it takes a `--model` argument.
 */
import path from 'node:path';
import type { FaceModel } from './face-model.js';

export interface LoadModelOptions {
  /** Weight file for `vggface`. */
  weights?: string;
  /** JSON description of a user ONNX model (default: the `<model>.facelens.json` sidecar). */
  config?: string;
  /** Probe layers by name -> tensor / node name; replaces the configured or discovered ones. */
  probes?: Record<string, string>;
}

export interface ModelLoader {
  /** The format, for messages. */
  readonly format: 'builtin' | 'keras-h5' | 'onnx' | 'tfjs-graph';
  /** How a user names such a model (the unknown-model message lists them). */
  readonly usage: string;
  /** Whether this format takes the `--model` argument `spec` (a name or a file path). */
  accepts(spec: string): boolean;
  load(spec: string, opts: LoadModelOptions): Promise<FaceModel>;
}


/** The lower-case extension of a `--model` argument (`.onnx`, `.json`, `.h5`, ...). */
export const extensionOf = (spec: string): string => path.extname(spec).toLowerCase();
