/** An item a run could not use, and why: long runs record these in their outputs and go on. */
export interface SkippedItem {
  id: string;
  path: string;
  reason: string;
}
