/**
 * The demo's CFP verification step (given `--cfp DIR` with its Protocol/ folder): per-layer
 * verification on CFP-FF (frontal-frontal) and CFP-FP (frontal-profile) pairs, written to
 * `verify-cfp/FF/` and `verify-cfp/FP/` by `verify`, and the comparison with LFW (the paper's
 * Table II: accuracy falls on cross-pose pairs) in `verify-cfp/summary.json`.
 */
import path from 'node:path';
import { verify, type VerifyResult } from '../analyses/verify.js';
import { UserError } from '../core/errors.js';
import { hasCfpProtocol, readCfpProtocol, type CfpProtocol } from '../data/datasets/cfp-protocol.js';
import { isDir } from '../data/datasets/util.js';
import type { FaceModel } from '../models/face-model.js';
import type { CrossPoseLayer, CrossPoseProtocol, CrossPoseSummary } from '../results/cross-pose.js';
import { summaryHead, writeSummary } from '../results/summary.js';
import type { RunLog } from './run-log.js';

export interface CfpVerifyStepOptions {
  model: FaceModel;
  cfp: string | undefined;
  dir: string;
  batch: number;
  cache: { cache: boolean; cacheDir?: string };
  /** The LFW verification of this run, to compare with (absent: CFP only). */
  lfw?: VerifyResult;
}

type Run = { name: string; dir: string; pairs: number; folds: number; note?: string; layers: VerifyResult['layers'] };

/** The comparison table: layers in the order of the first protocol, one accuracy per protocol (pure). */
export function crossPoseLayers(runs: readonly Run[]): CrossPoseLayer[] {
  const order = [...new Set(runs.flatMap((r) => r.layers.map((l) => l.layer)))];
  return order.map((layer) => ({
    layer,
    accuracy: Object.fromEntries(
      runs.map((r) => {
        const l = r.layers.find((x) => x.layer === layer);
        return [r.name, l ? { mean: l.accuracy_mean, std: l.accuracy_std } : null];
      }),
    ),
  }));
}

export async function runCfpVerifyStep(log: RunLog, o: CfpVerifyStepOptions): Promise<void> {
  const spec = {
    name: 'verify-cfp',
    title: 'per-layer verification on CFP-FF (frontal-frontal) and CFP-FP (frontal-profile) pairs next to LFW (Table II, cross-pose)',
    parameters: { protocols: ['FF', 'FP'], layers: 'all', flip: false },
    output: 'verify-cfp',
  };
  if (!o.cfp) return log.skip(spec, 'no CFP folder given (run with --cfp DIR)');
  const cfp = o.cfp;
  // a folder that is not there is an error (recorded as a failed step); one without Protocol/ is a CFP copy without the pairs
  if ((await isDir(cfp)) && !(await hasCfpProtocol(cfp))) return log.skip(spec, `${cfp} has no Protocol/ folder (CFP-FF / CFP-FP pairs)`);
  await log.run(spec, async () => {
    if (!(await isDir(cfp))) throw new UserError(`CFP folder ${cfp} does not exist`);
    const out = path.join(o.dir, 'verify-cfp');
    const runs: Run[] = [];
    if (o.lfw) runs.push({ name: 'LFW', dir: 'verify', pairs: o.lfw.pairs.used, folds: o.lfw.pairs.folds, layers: o.lfw.layers });
    for (const protocol of ['FF', 'FP'] as CfpProtocol[]) {
      const dataset = await readCfpProtocol(cfp, protocol);
      const r = await verify({ model: o.model, dataset, out: path.join(out, protocol), layers: 'all', batch: o.batch, ...o.cache });
      runs.push({ name: `CFP-${protocol}`, dir: `verify-cfp/${protocol}`, pairs: r.pairs.used, folds: r.pairs.folds, ...(dataset.note ? { note: dataset.note } : {}), layers: r.layers });
    }
    const protocols: CrossPoseProtocol[] = runs.map((r) => ({ name: r.name, dir: r.dir, pairs: r.pairs, folds: r.folds, ...(r.note ? { note: r.note } : {}) }));
    const doc: CrossPoseSummary = { command: 'demo/verify-cfp', protocols, layers: crossPoseLayers(runs) };
    const parameters = { model: o.model.name, cfp: path.resolve(cfp), similarity: 'cosine of flattened layer features', protocol: 'k-fold accuracy, threshold chosen on the other folds' };
    await writeSummary(path.join(out, 'summary.json'), { ...summaryHead(doc.command, parameters), protocols: doc.protocols, layers: doc.layers });
    const last = doc.layers[doc.layers.length - 1]!;
    const pct = (x: { mean: number } | null | undefined) => (x ? `${(100 * x.mean).toFixed(1)}%` : '-');
    return { numbers: { 'FF pairs': runs.find((r) => r.name === 'CFP-FF')!.pairs, 'FP pairs': runs.find((r) => r.name === 'CFP-FP')!.pairs, [`${last.layer} FF`]: pct(last.accuracy['CFP-FF']), [`${last.layer} FP`]: pct(last.accuracy['CFP-FP']) } };
  });
}
