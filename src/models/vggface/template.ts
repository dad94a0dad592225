import type { AlignmentTemplate } from '../face-model.js';
import { DLIB_150_TEMPLATE } from '../templates.js';

/**
 * VGGFace was trained on loose crops: VGGFace2's faces are the detector box enlarged by 1.3,
 * resized to 256 and centre-cropped to 224 (NOTES.md: resize 256, centre crop 224). So the face
 * box spans 256 / 1.3 = 196.9 px of the 224 crop. The template puts dlib's
 * 5-point mean face (whose unit square is dlib's face box, as in DLIB_150_TEMPLATE) into that box:
 * x' = (x + p) / (1 + 2p) * 224 with p = (224 * 1.3 / 256 - 1) / 2 = 0.06875.
 * This is a choice (the VGGFace papers give no landmark template), not a published geometry.
 */
const P = ((224 * 1.3) / 256 - 1) / 2;
const DLIB_UNIT: [number, number][] = DLIB_150_TEMPLATE.points.map(([x, y]) => [(x / 150) * 1.5 - 0.25, (y / 150) * 1.5 - 0.25]);

export const VGGFACE_224_TEMPLATE: AlignmentTemplate = {
  name: 'vggface-loose224',
  size: 224,
  points: DLIB_UNIT.map(([x, y]) => [((x + P) / (1 + 2 * P)) * 224, ((y + P) / (1 + 2 * P)) * 224]),
  landmarks: DLIB_150_TEMPLATE.landmarks,
  source:
    "facelens' choice: dlib's 5-point mean face (eye corners, nose base) placed in the face box of a VGGFace2-style loose crop (detector box x1.3, resized to 256, centre 224 crop), padding 0.06875",
};
