/** Alignment templates by name (for model descriptions), scaled to a model's input size. */
import { UserError } from '../core/errors.js';
import type { AlignmentTemplate } from './face-model.js';
import { DLIB_150_TEMPLATE, scaleTemplate } from './templates.js';
import { VGGFACE_224_TEMPLATE } from './vggface/template.js';

export const NAMED_TEMPLATES: AlignmentTemplate[] = [DLIB_150_TEMPLATE, VGGFACE_224_TEMPLATE];

/** The template called `name` (or an inline one), scaled to a `size` px crop. */
export function templateFor(spec: string | AlignmentTemplate, size: number): AlignmentTemplate {
  const t = typeof spec === 'string' ? NAMED_TEMPLATES.find((q) => q.name === spec) : spec;
  if (!t) throw new UserError(`unknown alignment template "${spec}"; known: ${NAMED_TEMPLATES.map((q) => q.name).join(', ')}`);
  return t.size === size ? t : scaleTemplate(t, size);
}
