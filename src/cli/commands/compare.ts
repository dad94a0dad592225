import type { Command } from 'commander';
import path from 'node:path';
import { CompareCheckpoint } from '../../analyses/compare/checkpoint.js';
import { compareModels, subsamplePairs } from '../../analyses/compare/compare.js';
import { REDUCTIONS, type Reduction } from '../../analyses/compare/reduce.js';
import { writeCompare } from '../../analyses/compare/write.js';
import { selectItems } from '../../analyses/probes/shared.js';
import { loadModel } from '../../models/registry.js';
import { openDatasetArgs } from '../dataset-arg.js';
import { UserError } from '../../core/errors.js';
import { info, result } from '../log.js';
import { intArg } from '../options.js';
import { progress } from '../progress.js';

function collect(v: string, prev: string[] = []): string[] {
  return [...prev, v];
}

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description("linear CKA (Kornblith et al. 2019) between every probe layer of two models (or of one model's layers), streamed in batches; per-layer verification side by side when the dataset has pairs")
    .argument('<inputs...>', 'a dataset: an LFW folder, identity folder, CSV list or image files')
    .option('-m, --model <name>', 'a model (built-in name, .onnx or TF.js model.json); give it twice to compare two models, once for a model against itself', collect)
    .option('--layers-a <names>', 'probe layers of the first model ("all" or comma-separated)', 'all')
    .option('--layers-b <names>', 'probe layers of the second model', 'all')
    .option('--max-pairs <n>', 'datasets with pairs: keep this many pairs, evenly over folds and same/different, and only their images', intArg('--max-pairs'))
    .option('--limit <n>', 'keep the first n images (after --max-pairs)', intArg('--limit'))
    .option('--reduction <method>', `layers wider than --max-dims: ${REDUCTIONS.join(' | ')} (sketch = count-sketch random projection, pool = adaptive average pooling)`, 'sketch')
    .option('--max-dims <n>', 'reduce layers wider than this many values (memory: max-dims^2 doubles per layer pair)', intArg('--max-dims'), 1024)
    .option('--seed <seed>', 'seed of the random projection', 'facelens')
    .option('--chunk <n>', 'faces streamed through the models per step', intArg('--chunk'), 16)
    .option('--gemm <engine>', 'cross products: ort (float64 Gemm on ONNX Runtime) or js (plain loop)', 'ort')
    .option('--no-detect', 'treat images as already-aligned crops (resize + centre crop)')
    .option('--no-cache', 'do not read or write the aligned-face cache')
    .option('--cache-dir <dir>', 'aligned-face cache (default $FACELENS_CACHE or ~/.cache/facelens/aligned)')
    .option('-b, --batch <n>', 'images per forward batch', intArg('--batch'), 8)
    .option('-o, --out <dir>', 'output folder', 'facelens-out/compare')
    .option('--no-resume', 'start over even when <out>/.checkpoint holds an interrupted run with the same parameters')
    .action(async (inputs: string[], opts) => {
      const names: string[] = opts.model ?? ['dlib-resnet'];
      if (names.length > 2) throw new UserError(`--model: give one or two models (got ${names.length})`);
      if (opts.gemm !== 'ort' && opts.gemm !== 'js') throw new UserError(`--gemm must be ort or js (got "${opts.gemm}")`);
      if (!REDUCTIONS.includes(opts.reduction)) throw new UserError(`--reduction must be one of ${REDUCTIONS.join(', ')} (got "${opts.reduction}")`);
      const models = [];
      for (const n of names) models.push(await loadModel(n));
      let dataset = await openDatasetArgs(inputs);
      if (opts.maxPairs !== undefined) dataset = subsamplePairs(dataset, opts.maxPairs);
      if (opts.limit !== undefined) dataset = { ...dataset, items: selectItems(dataset.items, { limit: opts.limit }) };
      const checkpoint = path.join(opts.out, '.checkpoint');
      if (opts.resume === false) await new CompareCheckpoint(checkpoint, '').clear();
      const bar = progress('faces', dataset.items.length);
      let last = 0;
      const r = await compareModels({
        models,
        dataset,
        layers: [opts.layersA, opts.layersB],
        chunk: opts.chunk,
        batch: opts.batch,
        detect: opts.detect,
        cache: opts.cache,
        cacheDir: opts.cacheDir,
        reduction: opts.reduction as Reduction,
        maxDims: opts.maxDims,
        seed: opts.seed,
        gemm: opts.gemm,
        checkpoint,
        onProgress: (done) => {
          bar.tick(done - last);
          last = done;
        },
      });
      bar.stop();
      const files = await writeCompare(opts.out, r, {
        models: models.map((m) => m.name),
        mode: models.length === 1 ? 'one model: its layers against each other' : 'two models: rows = first model, columns = second',
        dataset: { kind: dataset.kind, root: dataset.root, images: dataset.items.length, pairs: dataset.pairs?.length ?? 0, maxPairs: opts.maxPairs ?? null, limit: opts.limit ?? null },
        alignment: opts.detect === false ? 'none (centre crop)' : Object.fromEntries(models.map((m) => [m.name, m.alignment])),
        undetectedFaces: 'centre crop of the image, for every model (so all models see the same items)',
        cka: 'linear CKA = ||Xc^T Yc||_F^2 / (||Xc^T Xc||_F ||Yc^T Yc||_F), Xc column-centred flattened features (C x H x W order); streamed feature-space cross products in float64',
        ckaDebiased: 'the same ratio with the unbiased HSIC estimator (Song et al. 2012), from the same streamed statistics; less inflated when faces are few next to the layer widths',
        reduction: opts.reduction,
        maxDims: opts.maxDims,
        seed: opts.seed,
        chunk: opts.chunk,
        batch: opts.batch,
        gemm: opts.gemm,
        verification: 'cosine of the same (possibly reduced) features; k-fold accuracy with the threshold chosen on the other folds, ROC AUC (metrics/verification.ts)',
      });
      if (r.resumedItems > 0) info(`resumed an interrupted run: ${r.resumedItems} of ${dataset.items.length} images were already done (${checkpoint})`);
      info(`${r.faces} faces; ${r.undetected.length} without a detected face (centre-cropped), ${r.unreadable.length} unreadable; accumulator ${(r.accumulatorEntries * 8 / 2 ** 20).toFixed(0)} MiB`);
      info(`time: ${Object.entries(r.seconds).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(', ')}`);
      result(`${''.padEnd(24)}${r.cols.map((c) => c.layer.slice(0, 11).padStart(12)).join('')}`);
      r.rows.forEach((a, i) => result(`${`${a.model}:${a.layer}`.slice(0, 23).padEnd(24)}${r.cka[i]!.map((v) => v.toFixed(3).padStart(12)).join('')}`));
      result('debiased:');
      r.rows.forEach((a, i) => result(`${`${a.model}:${a.layer}`.slice(0, 23).padEnd(24)}${r.ckaDebiased[i]!.map((v) => v.toFixed(3).padStart(12)).join('')}`));
      result(files.summary);
    });
}
