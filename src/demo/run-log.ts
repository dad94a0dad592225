/**
 * The demo's run record (`run.json`): every step with its parameters, wall time, status and, for
 * a failed or skipped step, the reason. A failing step is recorded and the pipeline goes on; the
 * file is rewritten after each step so an interrupted run still leaves a readable record.
 */
import path from 'node:path';
import { writeJsonAtomic } from '../io/json.js';

import { RUN_FORMAT, type RunRecord, type StepRecord } from '../results/run-record.js';
// run.json's schema lives in src/results/; re-exported for the modules that read it from here.
export { RUN_FORMAT, type RunRecord, type StepRecord, type StepStatus } from '../results/run-record.js';

export interface StepResult {
  numbers?: Record<string, number | string>;
  /** Parameters only known after the step ran (e.g. the neurons a spec resolved to). */
  parameters?: Record<string, unknown>;
}

export interface StepSpec {
  name: string;
  title: string;
  parameters: Record<string, unknown>;
  output?: string;
}

export class RunLog {
  readonly record: RunRecord;
  private readonly t0 = performance.now();

  constructor(
    readonly dir: string,
    init: Omit<RunRecord, 'format' | 'date' | 'status' | 'steps' | 'totalSeconds'>,
    private readonly say: (line: string) => void = () => {},
  ) {
    this.record = { format: RUN_FORMAT, date: new Date().toISOString(), status: 'running', ...init, steps: [], totalSeconds: 0 };
  }

  get file(): string {
    return path.join(this.dir, 'run.json');
  }

  step(name: string): StepRecord | undefined {
    return this.record.steps.find((s) => s.name === name);
  }

  ok(name: string): boolean {
    return this.step(name)?.status === 'ok';
  }

  /** Records a step that was not run, and why. */
  async skip(spec: StepSpec, reason: string): Promise<void> {
    this.record.steps.push({ ...spec, status: 'skipped', reason, seconds: 0 });
    this.say(`- ${spec.name}: skipped (${reason})`);
    await this.save();
  }

  /**
   * Runs one step: times it, records ok or failed (with the error message; the error does not
   * propagate), prints a progress line before and after.
   */
  async run(spec: StepSpec, fn: () => Promise<StepResult | void>): Promise<boolean> {
    const n = this.record.steps.length + 1;
    this.say(`[${n}] ${spec.name}: ${spec.title} ...`);
    const t = performance.now();
    let rec: StepRecord;
    try {
      const r = (await fn()) ?? {};
      const numbers = r.numbers ? Object.fromEntries(Object.entries(r.numbers).map(([k, v]) => [k, typeof v === 'number' && !Number.isFinite(v) ? String(v) : v])) : undefined;
      rec = { ...spec, parameters: { ...spec.parameters, ...r.parameters }, status: 'ok', seconds: (performance.now() - t) / 1000, ...(numbers ? { numbers } : {}) };
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      rec = { ...spec, status: 'failed', reason: msg.split('\n')[0]!, seconds: (performance.now() - t) / 1000 };
    }
    this.record.steps.push(rec);
    const nums = rec.numbers ? ` | ${Object.entries(rec.numbers).map(([k, v]) => `${k} ${v}`).join(', ')}` : '';
    this.say(`    ${rec.status === 'ok' ? 'ok' : `FAILED: ${rec.reason}`} (${rec.seconds.toFixed(1)} s)${nums}`);
    await this.save();
    return rec.status === 'ok';
  }

  async finish(): Promise<RunRecord> {
    this.record.status = 'complete';
    await this.save();
    return this.record;
  }

  async save(): Promise<void> {
    this.record.totalSeconds = (performance.now() - this.t0) / 1000;
    await writeJsonAtomic(this.file, this.record);
  }
}
