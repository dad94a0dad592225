import type { Command } from 'commander';
import type { FaceModel, ProbeLayer } from '../../models/face-model.js';
import { onnxProbeCandidates } from '../../models/onnx-file.js';
import { BUILTIN_MODELS, fileLoaderFor, loadModel, MODEL_FILE_USAGE, WEIGHTS_MODELS } from '../../models/registry.js';
import { DEVICES, deviceStatus } from '../../engine/ort/device.js';
import { UserError } from '../../core/errors.js';
import { result } from '../log.js';
import { addModelOption, modelFromOptions, parseProbeArgs, type ModelOptions } from '../options.js';

interface ProbeRow {
  name: string;
  tensor: string;
  kind: string;
  shape: number[];
  rf?: ProbeLayer['rf'];
  note?: string;
  /** Only for candidate lists: chosen by automatic discovery. */
  picked?: boolean;
}

interface ModelRow {
  name: string;
  description: string;
  input: string;
  probes: ProbeRow[];
}

function modelRow(m: FaceModel): ModelRow {
  const { mean, std, channelOrder } = m.preprocessing;
  return {
    name: m.name,
    description: m.description,
    input: `${m.inputSize.width}x${m.inputSize.height} ${channelOrder}, (x - [${mean.join(', ')}]) / [${std.join(', ')}]`,
    probes: m.probes.map((p) => ({ name: p.name, tensor: p.tensor, kind: p.kind, shape: p.shape, rf: p.rf, note: p.note })),
  };
}

function probeLine(p: ProbeRow): string {
  const rf = p.rf ? `rf ${p.rf.size}px stride ${p.rf.stride} offset ${p.rf.offset}` : '';
  const mark = p.picked === undefined ? '' : p.picked ? '* ' : '  ';
  return `  ${mark}${p.name.padEnd(14)} ${p.tensor.padEnd(28)} ${p.kind.padEnd(9)} ${`[${p.shape.join('x')}]`.padEnd(14)} ${rf.padEnd(36)} ${p.note ?? ''}`.trimEnd();
}

/** A model file argument (any format of MODEL_LOADERS); an ONNX file lists its probe candidates. */
async function describeFile(file: string, opts: ModelOptions): Promise<ModelRow> {
  const loader = fileLoaderFor(file);
  if (!loader) throw new UserError(`facelens models: ${file}: expected a model file (${MODEL_FILE_USAGE})`);
  if (loader.format === 'onnx' && !parseProbeArgs(opts.probe)) {
    const m = await loadModel(file, { config: opts.modelConfig });
    const cands = await onnxProbeCandidates(file, { config: opts.modelConfig });
    return { ...modelRow(m), probes: cands.map((c) => ({ name: c.picked ? c.name : '-', tensor: c.tensor, kind: c.kind, shape: c.shape, rf: c.rf, note: c.note, picked: c.picked })) };
  }
  return modelRow(await loadModel(file, { config: opts.modelConfig, probes: parseProbeArgs(opts.probe) }));
}

export function registerModels(program: Command): void {
  const cmd = program
    .command('models [file]')
    .description('list the built-in models, or the probe layers of one (--model), or the probe candidates of a model file (.onnx, .h5, .json)')
    .option('--json', 'machine-readable output')
    .option('--devices', 'list the devices ONNX Runtime can run on here (for --device), and what a missing one lacks');
  addModelOption(cmd).action(async (file: string | undefined, opts: ModelOptions & { json?: boolean; devices?: boolean }, c: Command) => {
    if (opts.devices) {
      const all = await Promise.all(DEVICES.map(deviceStatus));
      if (opts.json) result(JSON.stringify(all, null, 2));
      else for (const d of all) result(`${d.device.padEnd(5)} ${d.available ? 'available  ' : 'unavailable'}  ${d.detail}`);
      return;
    }
    const explicit = c.getOptionValueSource('model') === 'cli';
    const rows: ModelRow[] = [];
    if (file) rows.push(await describeFile(file, opts));
    else if (explicit) rows.push(modelRow(await modelFromOptions(opts)));
    else {
      for (const b of BUILTIN_MODELS) {
        try {
          rows.push(modelRow(await b.load()));
        } catch (e) {
          // An optional built-in whose package is not installed: listed with its install line.
          if (!(b.optionalPackage && e instanceof UserError)) throw e;
          rows.push({ name: b.name, description: b.description, input: `not installed: npm install ${b.optionalPackage}`, probes: [] });
        }
      }
    }
    const more = !file && !explicit ? WEIGHTS_MODELS : [];
    if (opts.json) {
      result(JSON.stringify(file || explicit ? rows : { builtin: rows, withWeights: more }, null, 2));
      return;
    }
    for (const r of rows) {
      result(`${r.name}  (${r.input})  ${r.description}`);
      if (r.probes.some((p) => p.picked !== undefined)) result('  probe candidates (* = picked automatically; use others with --probe name=tensor):');
      for (const p of r.probes) result(probeLine(p));
    }
    for (const w of more) result(`${w.name}  (${w.usage})  ${w.description}`);
  });
}
