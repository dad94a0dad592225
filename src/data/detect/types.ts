/** Detector result types (shared by the ONNX path, its worker threads and the face-api reference). */

export type Point = [number, number];

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One detected face, in the pixel coordinates of the image passed to `detectFaces`. */
export interface Detection {
  box: Box;
  /** Detector confidence, 0..1. */
  score: number;
  /** The 68 iBUG/dlib landmarks (0-based order: jaw 0-16, brows 17-26, nose 27-35, eyes 36-47, mouth 48-67). */
  landmarks: Point[];
}

export interface DetectOptions {
  /** Minimum detector confidence (default 0.5, face-api's default). */
  minConfidence?: number;
  /** At most this many faces (default 10). */
  maxResults?: number;
  /** Second pass on a padded canvas when no large face is found (default true; see LARGE_FACE). */
  padRetry?: boolean;
}

