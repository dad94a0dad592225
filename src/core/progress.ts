/**
 * The one progress event every long computation reports (sweep, embed, atlas, the layer probes):
 * `done` of `total` units of the named stage are finished (cumulative, so a listener may drop
 * events); `note` is a short human text about the last unit. How it is shown (a bar, a log line,
 * nothing) is the caller's business: analyses never print.
 */
export interface ProgressEvent {
  stage: string;
  done: number;
  total: number;
  note?: string;
}

export type OnProgress = (event: ProgressEvent) => void;
