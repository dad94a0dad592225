/** Turns the positional `<inputs...>` of a command into a Dataset. */
import type { Dataset } from '../data/dataset.js';
import { openDataset } from '../data/datasets/index.js';

export async function openDatasetArgs(inputs: string[]): Promise<Dataset> {
  return openDataset(inputs.length === 1 ? inputs[0] : inputs);
}
