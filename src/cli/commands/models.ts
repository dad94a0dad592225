import type { Command } from 'commander';
import { BUILTIN_MODELS, loadModel } from '../../models/registry.js';
import { result } from '../log.js';
import { addModelOption } from '../options.js';

export function registerModels(program: Command): void {
  const cmd = program
    .command('models')
    .description('list the built-in models, or the probe layers of one (--model)')
    .option('--json', 'machine-readable output');
  addModelOption(cmd).action(async (opts: { model: string; json?: boolean }, c: Command) => {
    const explicit = c.getOptionValueSource('model') === 'cli';
    const names = explicit ? [opts.model] : BUILTIN_MODELS.map((m) => m.name);
    const rows = [];
    for (const name of names) {
      const m = await loadModel(name);
      rows.push({
        name: m.name,
        description: m.description,
        input: `${m.inputSize.width}x${m.inputSize.height} ${m.preprocessing.channelOrder}`,
        probes: m.probes.map((p) => ({ name: p.name, kind: p.kind, shape: p.shape, rf: p.rf, note: p.note })),
      });
    }
    if (opts.json) {
      result(JSON.stringify(rows, null, 2));
      return;
    }
    for (const r of rows) {
      result(`${r.name}  (${r.input})  ${r.description}`);
      for (const p of r.probes) {
        const rf = p.rf ? `  rf ${p.rf.size}px stride ${p.rf.stride}` : '';
        result(`  ${p.name.padEnd(12)} ${p.kind.padEnd(9)} [${p.shape.join('x')}]${rf}  ${p.note ?? ''}`);
      }
    }
  });
}
