import type { Command } from 'commander';
import { verify, verifyFeatures } from '../../analyses/verify.js';
import { readFeatureStore } from '../../analyses/feature-store.js';
import { addShardOptions, shardFromOptions } from '../shard-args.js';
import { readFile } from 'node:fs/promises';
import { openDataset } from '../../data/datasets/index.js';
import { looksLikePairList, readPairList } from '../../data/datasets/pair-list.js';
import { readCfpProtocol, type CfpProtocol } from '../../data/datasets/cfp-protocol.js';
import { parseIdentities } from '../../analyses/probes/shared.js';
import { UserError } from '../../core/errors.js';
import { info, result } from '../log.js';
import { addDataOptions, addLayersOption, addModelOption, addOutOption, modelFromOptions, runOptions } from '../options.js';
import { progressBars } from '../progress.js';

export function registerVerify(program: Command): void {
  const cmd = program
    .command('verify')
    .description('per-layer face verification on a pairs protocol (paper Table II): k-fold accuracy, AUC, TAR@FAR=1e-3')
    .argument('[dataset]', 'an LFW folder (images/ + pairs.txt), or a CFP folder with --protocol FP|FF')
    .option('--pairs <file>', 'pairs file: LFW pairs.txt, or the CPLFW/CALFW list (`path label` lines, two per pair); default <dataset>/pairs.txt')
    .option('--images <dir>', 'image folder for --pairs (LFW layout <Name>/<Name>_NNNN.jpg)')
    .option('--protocol <name>', 'CFP folder: FP (frontal-profile) or FF (frontal-frontal) pairs of its Protocol/ (one split per fold)')
    .option('--identities <list>', 'with --protocol: keep pairs whose two identities are in this list, e.g. 001-025')
    .option('--flip', 'add the horizontally mirrored image (features concatenated)')
    .option('--features <dir>', 'take the features from a feature folder (the `facelens merge` of `verify --shard` runs) instead of computing them');
  addLayersOption(cmd);
  addOutOption(cmd, 'facelens-out/verify');
  addShardOptions(cmd);
  addModelOption(cmd);
  addDataOptions(cmd).action(async (datasetArg: string | undefined, opts) => {
    const model = await modelFromOptions(opts);
    const where = datasetArg ?? opts.images;
    if (!where && !opts.pairs) throw new UserError('give an LFW folder, or --pairs FILE [--images DIR]');
    if (opts.identities !== undefined && opts.protocol === undefined) throw new UserError('--identities needs --protocol FP|FF (it selects CFP pairs)');
    if (opts.protocol !== undefined && !/^(FP|FF)$/i.test(opts.protocol)) throw new UserError(`--protocol must be FP or FF (got "${opts.protocol}")`);
    const isPairList = opts.pairs && looksLikePairList(await readFile(opts.pairs, 'utf8').catch(() => ''));
    const dataset = opts.protocol
      ? await readCfpProtocol(where ?? '', String(opts.protocol).toUpperCase() as CfpProtocol, opts.identities ? { identities: { test: parseIdentities(opts.identities), label: opts.identities } } : {})
      : isPairList
        ? await readPairList(opts.pairs, where)
        : await openDataset(where ?? opts.pairs, opts.pairs ? { pairsFile: opts.pairs } : {});
    if (dataset.note) info(dataset.note);
    const bars = progressBars();
    const { shard, out } = shardFromOptions(opts);
    if (shard && opts.features) throw new UserError('--shard computes features; --features reads them: give one');
    const run = { ...runOptions(opts, model, dataset, bars.onProgress), out, flip: opts.flip };
    if (shard) {
      // Sharded: only the feature step, for this shard's images; metrics need all of them.
      const f = await verifyFeatures({ ...run, shard });
      bars.stop();
      info(`features of ${f.rows} images (${f.unreadable} unreadable), shard ${shard.index} of ${shard.count}; when all shards are done: facelens merge <shards> --out M, then facelens verify ... --features M`);
      result(f.dir);
      return;
    }
    const features = opts.features ? await readFeatureStore(opts.features) : undefined;
    const r = await verify({ ...run, features });
    bars.stop();
    info(`${r.pairs.used} pairs in ${r.pairs.folds} folds (${r.pairs.dropped} dropped); ${r.undetected.length} images had no detected face (centre-cropped)`);
    info(`time: align ${r.seconds.align.toFixed(1)} s, features ${r.seconds.features.toFixed(1)} s, metrics ${r.seconds.metrics.toFixed(1)} s`);
    for (const l of r.layers) {
      result(`${l.layer.padEnd(12)} ${(100 * l.accuracy_mean).toFixed(2)} ± ${(100 * l.accuracy_std).toFixed(2)} %   AUC ${l.auc.toFixed(4)}   TAR@1e-3 ${l['tar_at_far_1e-3'].toFixed(4)}`);
    }
    result(r.files.summary);
  });
}
