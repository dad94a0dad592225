/**
 * Streams faces through the forward engine in batches. While ONNX Runtime works on batch k
 * (native threads), the JS thread decodes/aligns batch k+1, so detection and inference overlap.
 */
import type { RgbImage } from '../../data/image.js';
import { toInputBatch } from '../../models/preprocess.js';
import type { HostTensor, OrtEngine } from './engine.js';

/** Faces per forward batch unless a command says otherwise (every analysis and the CLI read it here). */
export const DEFAULT_BATCH = 8;

export async function* inBatches<T>(src: AsyncIterable<T> | Iterable<T>, size: number): AsyncGenerator<T[]> {
  let batch: T[] = [];
  for await (const x of src) {
    batch.push(x);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** Slice of one image out of a batched tensor (copy). */
export function sliceImage(t: HostTensor, index: number): Float32Array {
  const per = t.data.length / t.dims[0];
  return t.data.slice(index * per, (index + 1) * per);
}

export async function runBatches<R extends { face: RgbImage }>(
  engine: OrtEngine,
  src: AsyncIterable<R> | Iterable<R>,
  probes: string[],
  batchSize: number,
  onBatch: (records: R[], outputs: Record<string, HostTensor>) => Promise<void> | void,
): Promise<void> {
  let pending: Promise<void> | undefined;
  for await (const records of inBatches(src, batchSize)) {
    const input = toInputBatch(engine.model, records.map((r) => r.face));
    const run = engine.run(input, records.length, probes);
    if (pending) await pending;
    pending = run.then((out) => onBatch(records, out));
  }
  if (pending) await pending;
}
