/**
 * The demo's pose step when no CFP folder is given: the yaw probe (analyses/yaw) on the swept
 * faces, written to `pose/` (the report's pose section reads either kind of summary).
 */
import path from 'node:path';
import { yawProbe } from '../analyses/yaw/yaw-probe.js';
import type { Dataset } from '../data/dataset.js';
import type { FaceModel } from '../models/face-model.js';
import type { RunLog } from './run-log.js';

export interface YawStepOptions {
  model: FaceModel;
  /** The swept dataset (LFW subset, a --dataset, or the demo face crops); undefined: skipped. */
  dataset: Dataset | undefined;
  dir: string;
  seed: number;
  batch: number;
  cache: { cache: boolean; cacheDir?: string };
}

export async function runYawStep(log: RunLog, o: YawStepOptions): Promise<void> {
  const spec = {
    name: 'pose',
    title: 'head pose per layer without CFP: yaw / pitch from the 68 landmarks, k-NN regression and frontal (|yaw| < 15) vs turned (> 30) per layer',
    parameters: { probe: 'yaw', layers: 'all', folds: 10, seed: `facelens-${o.seed}`, metric: 'cosine', frontal: '|yaw| < 15 deg', turned: '|yaw| > 30 deg' },
    output: 'pose',
  };
  if (!o.dataset) {
    await log.skip(spec, `no swept faces (the sweep step ${log.step('sweep')?.status ?? 'did not run'}); give --cfp DIR for the frontal/profile probe`);
    return;
  }
  const dataset = o.dataset;
  await log.run(spec, async () => {
    const r = await yawProbe({ model: o.model, dataset, out: path.join(o.dir, 'pose'), layers: 'all', folds: 10, seed: `facelens-${o.seed}`, metric: 'cosine', batch: o.batch, ...o.cache });
    const first = r.layers[0]!, last = r.layers[r.layers.length - 1]!;
    return {
      numbers: {
        faces: r.faces,
        'median |yaw|': `${r.yawStats.median_abs.toFixed(1)} deg`,
        [`${first.layer} yaw R2`]: first.yaw.nested.r2.toFixed(2),
        [`${last.layer} yaw R2`]: last.yaw.nested.r2.toFixed(2),
      },
      parameters: { dataset: { kind: dataset.kind, root: dataset.root, items: dataset.items.length } },
    };
  });
}
