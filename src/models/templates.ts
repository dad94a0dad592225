import type { AlignmentTemplate } from './face-model.js';

/**
 * Canonical 5-point template for 150x150 dlib-style face chips (face fills the chip with about
 * 25% padding around the landmark hull). Points: left eye centre, right eye centre, nose tip,
 * left mouth corner, right mouth corner (image left/right). facelens' own estimate, tuned on
 * LFW verification accuracy; see the model's notes.
 */
export const DLIB_150_TEMPLATE: AlignmentTemplate = {
  name: 'dlib150-v1',
  size: 150,
  points: [
    [51.5, 55.0],
    [98.5, 55.0],
    [75.0, 82.0],
    [56.0, 104.0],
    [94.0, 104.0],
  ],
};

/** Scales a template to another crop size (for models with other input sizes). */
export function scaleTemplate(t: AlignmentTemplate, size: number, name = `${t.name}@${size}`): AlignmentTemplate {
  const k = size / t.size;
  return { name, size, points: t.points.map(([x, y]) => [x * k, y * k]) };
}
