/**
 * The run record `run.json` of `facelens demo` (format `facelens-run/1`): every step with its
 * parameters, wall time, status and, for a failed or skipped step, the reason. Written by
 * src/demo/run-log.ts, read by the report and the explorer.
 */
export const RUN_FORMAT = 'facelens-run/1';

export type StepStatus = 'ok' | 'skipped' | 'failed';

export interface StepRecord {
  /** Unique step name, e.g. `sweep`, `atlas/res64`, `maximize/gap`. */
  name: string;
  /** What the step does, one line. */
  title: string;
  status: StepStatus;
  /** Why a step was skipped or failed. */
  reason?: string;
  parameters: Record<string, unknown>;
  /** Folder or file the step wrote, relative to the results directory. */
  output?: string;
  /** A few key numbers for the text summary. */
  numbers?: Record<string, number | string>;
  seconds: number;
}

export interface RunRecord {
  format: typeof RUN_FORMAT;
  command: string;
  date: string;
  status: 'running' | 'complete';
  seed: number;
  model: string;
  datasets: Record<string, unknown>;
  options: Record<string, unknown>;
  steps: StepRecord[];
  totalSeconds: number;
  /** Time budget of the defaults (seconds on 2 cores), for reference. */
  budgetSeconds?: number;
}
