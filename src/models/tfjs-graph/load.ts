/**
 * `loadTfjsGraphModel`: a TF.js graph model (`model.json` + `.bin` shards) as a facelens
 * FaceModel: the graph converted to ONNX (convert.ts), probe layers by TF node name or found
 * automatically (probes.ts), with shapes and receptive fields filled in.
 */
import path from 'node:path';
import { UserError } from '../../core/errors.js';
import type { AlignmentTemplate, FaceModel, Preprocessing, ProbeLayer } from '../face-model.js';
import { receptiveFields } from '../receptive-field.js';
import { onnxDims } from './context.js';
import { convertTfjsGraph, pruneGraph } from './convert.js';
import { autoProbes, namedProbes } from './probes.js';
import { readTfjsGraphFile } from './read.js';

export interface TfjsGraphModelOptions {
  /** Probe layers: user-facing name -> TF node name. Default: automatic (see probes.ts). */
  probes?: Record<string, string>;
  name?: string;
  /** Input side in pixels, for models whose input size is not fixed in the graph. */
  inputSize?: number;
  /** Default: RGB scaled to [0, 1] (mean 0, std 255), as TF.js image models usually expect. */
  preprocessing?: Preprocessing;
  /** Default: the ArcFace 5-point template scaled to the input size. */
  alignment?: AlignmentTemplate;
  description?: string;
}

/** ArcFace / insightface 112x112 five-point template, in cv2 coordinates (pixel centres at integers). */
export const ARCFACE_112_CV2: [number, number][] = [
  [38.2946, 51.6963],
  [73.5318, 51.5014],
  [56.0252, 71.7366],
  [41.5493, 92.3655],
  [70.7299, 92.2041],
];

/**
 * The ArcFace template in facelens' convention (pixel centres at i + 0.5, hence + 0.5), scaled
 * to `size`: left eye, right eye, nose tip, left and right mouth corner.
 */
export function arcfaceTemplate(size = 112): AlignmentTemplate {
  const k = size / 112;
  return {
    name: size === 112 ? 'arcface5-112' : `arcface5-112@${size}`,
    size,
    points: ARCFACE_112_CV2.map(([x, y]) => [(x + 0.5) * k, (y + 0.5) * k]),
    source: 'insightface ArcFace 5-point template for 112x112 crops (eye centres, nose tip, mouth corners)',
  };
}

export const UNIT_RGB: Preprocessing = { mean: [0, 0, 0], std: [255, 255, 255], channelOrder: 'RGB', layout: 'NCHW' };

export async function loadTfjsGraphModel(jsonPath: string, opts: TfjsGraphModelOptions = {}): Promise<FaceModel> {
  const file = await readTfjsGraphFile(jsonPath);
  const name = opts.name ?? path.basename(jsonPath).replace(/\.json$/i, '');
  const c = convertTfjsGraph(file, { inputSize: opts.inputSize, name });
  const [, h, w, ch] = c.inputShape;
  if (ch !== 3) throw new UserError(`${jsonPath}: input "${c.inputName}" has ${ch} channels, an RGB image (3) is expected`);
  const choices = opts.probes && Object.keys(opts.probes).length > 0 ? namedProbes(c, jsonPath, opts.probes) : autoProbes(c);
  const g = c.builder;
  const declared = new Set<string>();
  for (const p of choices) {
    if (declared.has(p.value.onnx)) continue;
    declared.add(p.value.onnx);
    g.output(p.value.onnx, onnxDims(p.value.shape));
  }
  pruneGraph(g);
  const onnx = g.build();
  const rf = receptiveFields(onnx, c.inputName);
  const probes: ProbeLayer[] = choices.map((p) => {
    const s = p.value.shape;
    const shape = s.length === 4 ? [s[3], s[1], s[2]] : s.slice(1);
    const field = s.length === 4 ? rf.get(p.value.onnx) : undefined;
    return { name: p.name, tensor: p.value.onnx, kind: p.kind, shape, note: `TF node ${p.node}`, ...(field ? { rf: field } : {}) };
  });
  return {
    name,
    description: opts.description ?? `TF.js graph model ${jsonPath} (${w}x${h} RGB)`,
    inputSize: { width: w, height: h },
    inputName: c.inputName,
    preprocessing: opts.preprocessing ?? UNIT_RGB,
    probes,
    onnx,
    alignment: opts.alignment ?? arcfaceTemplate(h),
  };
}
