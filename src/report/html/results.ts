/**
 * Read access to a results directory (the layout `facelens demo` writes; every part optional):
 * JSON files that may be absent, the run record, the probe-layer order, and the status of the
 * step that should have produced a part.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { readJson } from '../../io/json.js';
import type { RunRecord, StepRecord } from '../../results/run-record.js';

export class Results {
  private constructor(
    readonly dir: string,
    readonly run: RunRecord | undefined,
    /** Probe layers in model order (from the sweep manifest when there is one). */
    readonly layerOrder: string[],
    /** Probe layers with their receptive fields (from the sweep manifest), and the model's input side. */
    readonly geometry: { name: string; rf?: number; shape?: number[]; vector?: boolean }[] = [],
    readonly inputSide = 0,
  ) {}

  static async open(dir: string): Promise<Results> {
    const abs = path.resolve(dir);
    const run = await readOptional<RunRecord>(path.join(abs, 'run.json'));
    const manifest = await readOptional<{ layers?: { name: string; shape?: number[]; rf?: { size?: number } }[]; model?: { input?: { width?: number } } }>(
      path.join(abs, 'sweep', 'manifest.json'),
    );
    // A hand-edited or foreign manifest must not take the report down: layers only when well-formed.
    const layers = Array.isArray(manifest?.layers) ? manifest.layers.filter((l) => typeof l?.name === 'string') : [];
    const geometry = layers.map((l) => ({ name: l.name, ...(typeof l.rf?.size === 'number' ? { rf: l.rf.size } : {}), ...(Array.isArray(l.shape) ? { shape: l.shape, vector: l.shape.length === 1 } : {}) }));
    // run.json is facelens' own; one without a steps list is not used (sections then read the
    // analyses' own summaries, as for a folder not written by the demo)
    const okRun = run !== null && typeof run === 'object' && Array.isArray((run as RunRecord).steps) ? run : undefined;
    const width = manifest !== null && typeof manifest === 'object' && typeof manifest.model?.input?.width === 'number' ? manifest.model.input.width : 0;
    return new Results(abs, okRun, layers.map((l) => l.name), geometry, width);
  }

  /** The geometry of `names` (those the sweep knows), in the given order. */
  geometryOf(names: string[]): { name: string; rf?: number; vector?: boolean }[] {
    return names.flatMap((n) => this.geometry.filter((g) => g.name === n));
  }

  path(...parts: string[]): string {
    return path.join(this.dir, ...parts);
  }

  async json<T>(...parts: string[]): Promise<T | undefined> {
    return readOptional<T>(this.path(...parts));
  }

  /** Sub-folders of `parts` (e.g. the layers of atlas/), in probe-layer order, then by name. */
  async layersIn(...parts: string[]): Promise<string[]> {
    let names: string[];
    try {
      names = (await readdir(this.path(...parts), { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
    } catch {
      return [];
    }
    return this.sortLayers(names);
  }

  sortLayers(names: string[]): string[] {
    const rank = (n: string) => {
      const i = this.layerOrder.indexOf(n);
      return i < 0 ? Number.MAX_SAFE_INTEGER : i;
    };
    return [...names].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  }

  async files(...parts: string[]): Promise<string[]> {
    try {
      return (await readdir(this.path(...parts), { withFileTypes: true })).filter((d) => d.isFile()).map((d) => d.name).sort();
    } catch {
      return [];
    }
  }

  step(name: string): StepRecord | undefined {
    return this.run?.steps.find((s) => s.name === name);
  }

  /** Steps whose name is `prefix` or starts with `prefix/`. */
  steps(prefix: string): StepRecord[] {
    return this.run?.steps.filter((s) => s.name === prefix || s.name.startsWith(`${prefix}/`)) ?? [];
  }

  /**
   * Why a part has no data: the failed / skipped step's reason from run.json, or `hint` when the
   * run record says nothing about it.
   */
  absence(prefix: string, hint: string): { status: 'absent' | 'failed'; reason: string } {
    const steps = this.steps(prefix);
    const failed = steps.find((s) => s.status === 'failed');
    if (failed) return { status: 'failed', reason: `step ${failed.name}: ${failed.reason ?? 'unknown error'}` };
    const skipped = steps.find((s) => s.status === 'skipped');
    if (skipped) return { status: 'absent', reason: `step ${skipped.name} skipped: ${skipped.reason ?? ''}` };
    return { status: 'absent', reason: hint };
  }

  /** The failed steps among `prefix`'s (for a note in an otherwise shown section). */
  failures(prefix: string): StepRecord[] {
    return this.steps(prefix).filter((s) => s.status === 'failed');
  }
}

/** A JSON file, or undefined when it does not exist or cannot be parsed. */
export async function readOptional<T>(file: string): Promise<T | undefined> {
  try {
    return await readJson<T>(file);
  } catch {
    return undefined;
  }
}
