/**
 * What every analysis that runs a model over a dataset is given (sweep, verify, invariance, pose,
 * correspondence): the model, the data, where to write, which layers, and the data options.
 */
import type { OnProgress } from '../core/progress.js';
import type { Dataset } from '../data/dataset.js';
import type { FaceModel } from '../models/face-model.js';

export interface RunOptions {
  model: FaceModel;
  dataset: Dataset;
  out: string;
  /** Probe layers ("all" or names; default all). */
  layers?: string | string[];
  /** Faces per forward batch. */
  batch?: number;
  detect?: boolean;
  cache?: boolean;
  cacheDir?: string;
  onProgress?: OnProgress;
}
