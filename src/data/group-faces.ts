/**
 * Every face of group photos (the demo photos show ~25 people each), aligned to a template.
 * Unlike `alignedFaces`, which takes the one main face per image, this yields all of them, with
 * ids `<image id>#<k>` (k in detection-score order).
 */
import type { AlignmentTemplate } from '../models/face-model.js';
import { alignFace } from './align.js';
import type { DatasetItem, SkippedItem } from './dataset.js';
import { detectFaces, type Point } from './detector.js';
import type { RgbImage } from './image.js';
import { decodeImage, ImageDecodeError } from './image-io.js';

export interface GroupFace {
  item: DatasetItem;
  face: RgbImage;
  landmarks: Point[];
  score: number;
}

export interface GroupOptions {
  minConfidence?: number;
  maxFacesPerImage?: number;
  onSkip?: (s: SkippedItem) => void;
}

export async function* groupFaces(
  items: DatasetItem[],
  template: AlignmentTemplate,
  opts: GroupOptions = {},
): AsyncGenerator<GroupFace> {
  for (const item of items) {
    let img: RgbImage;
    try {
      img = await decodeImage(item.path);
    } catch (e) {
      opts.onSkip?.({ id: item.id, path: item.path, reason: `decode error: ${e instanceof ImageDecodeError ? e.reason : (e as Error).message}` });
      continue;
    }
    const dets = await detectFaces(img, {
      minConfidence: opts.minConfidence ?? 0.5,
      maxResults: opts.maxFacesPerImage ?? 100,
      // The padded second pass helps single frame-filling faces, not group photos.
      padRetry: false,
    });
    if (dets.length === 0) {
      opts.onSkip?.({ id: item.id, path: item.path, reason: 'no face detected' });
      continue;
    }
    for (const [k, d] of dets.entries()) {
      const { face, landmarks } = alignFace(img, d.landmarks, template);
      yield { item: { ...item, id: `${item.id}#${k}` }, face, landmarks, score: d.score };
    }
  }
}
