/**
 * What the paper (Zhong & Deng, Sec. IV) reports, as data for the report's "paper found" notes,
 * and the mapping of its VGGFace layers (pool1-pool5, fc6, fc7) onto a model's probe layers.
 * The mapping is by relative receptive field (theoretical RF / input side) for spatial layers and
 * by position for vector layers: VGG-16's RFs are pool1 6, pool2 16, pool3 44, pool4 100, pool5
 * 212 px on a 224 px input.
 */

export const VGG_LAYERS = [
  { name: 'pool1', rf: 6 },
  { name: 'pool2', rf: 16 },
  { name: 'pool3', rf: 44 },
  { name: 'pool4', rf: 100 },
  { name: 'pool5', rf: 212 },
] as const;
const VGG_INPUT = 224;

/** Table II: verification accuracy (%) per VGGFace layer. */
export const TABLE_II: { layer: string; lfw: number; cplfw: number }[] = [
  { layer: 'pool1', lfw: 62.93, cplfw: 55.95 },
  { layer: 'pool2', lfw: 64.75, cplfw: 55.83 },
  { layer: 'pool3', lfw: 71.27, cplfw: 56.03 },
  { layer: 'pool4', lfw: 74.28, cplfw: 55.9 },
  { layer: 'pool5', lfw: 93.82, cplfw: 64.42 },
  { layer: 'fc6', lfw: 96.98, cplfw: 77.62 },
  { layer: 'fc7', lfw: 96.73, cplfw: 78.78 },
];

/** Table I: correspondence Delta (mean ± std) per occlusion and VGGFace layer. */
export const TABLE_I: { mask: string; pool1: [number, number]; pool4: [number, number]; fc7: [number, number] }[] = [
  { mask: 'left eye', pool1: [0.094, 0.029], pool4: [0.191, 0.028], fc7: [0.225, 0.031] },
  { mask: 'right eye', pool1: [0.112, 0.033], pool4: [0.197, 0.025], fc7: [0.22, 0.03] },
  { mask: 'nose', pool1: [0.103, 0.037], pool4: [0.181, 0.021], fc7: [0.245, 0.035] },
  { mask: 'mouth', pool1: [0.101, 0.036], pool4: [0.181, 0.024], fc7: [0.212, 0.033] },
  { mask: 'random', pool1: [0.214, 0.044], pool4: [0.186, 0.039], fc7: [0.178, 0.046] },
];

/** Table III: S (eq. 2) among the four pool5 neurons of Fig. 7 (upper triangle). */
export const TABLE_III = { neurons: 4, values: [0.0285, 0, 0.0024, 0.0051, 0.0509, 0.1509], max: 0.1509 };

export interface LayerGeometry {
  name: string;
  /** Theoretical receptive field in input pixels; absent for vector layers. */
  rf?: number;
  /** A vector layer (fc, embedding); layers with neither rf nor vector are not mapped. */
  vector?: boolean;
}

/**
 * The VGGFace layer each probe layer corresponds to. Spatial layers: the mean of two positions on
 * VGG's pool1..pool5 scale, (a) the pool layer with the nearest relative RF (log scale; theoretical
 * RFs of deep ResNets exceed the input early, so RF alone puts most layers at pool5) and (b) the
 * layer's relative depth among the spatial probe layers; rounded, and never before the previous
 * layer's match. Vector layers: fc7 for the last, fc6 for the ones before.
 */
export function vggEquivalents(layers: LayerGeometry[], inputSide: number): Map<string, string> {
  const out = new Map<string, string>();
  const vectors = layers.filter((l) => l.rf === undefined && l.vector === true);
  const spatial = layers.filter((l) => l.rf !== undefined);
  let prev = 0;
  spatial.forEach((l, i) => {
    const rel = Math.log(Math.min(l.rf!, inputSide * 4) / Math.max(1, inputSide));
    let byRf = 0, d = Infinity;
    VGG_LAYERS.forEach((v, j) => {
      const dv = Math.abs(Math.log(v.rf / VGG_INPUT) - rel);
      if (dv < d) {
        d = dv;
        byRf = j;
      }
    });
    const byDepth = spatial.length > 1 ? (i * (VGG_LAYERS.length - 1)) / (spatial.length - 1) : VGG_LAYERS.length - 1;
    const j = Math.max(prev, Math.min(VGG_LAYERS.length - 1, Math.round((byRf + byDepth) / 2)));
    prev = j;
    out.set(l.name, VGG_LAYERS[j]!.name);
  });
  for (const l of vectors) out.set(l.name, l === vectors[vectors.length - 1] ? 'fc7' : 'fc6');
  return out;
}

/** "pool1 ≈ pool2 (RF 11 px = 7% of the input)" style text for a list of layers. */
export function mappingText(layers: LayerGeometry[], inputSide: number): string {
  const m = vggEquivalents(layers, inputSide);
  return layers
    .filter((l) => m.has(l.name))
    .map((l) => `${l.name} ≈ ${m.get(l.name)}${l.rf ? ` (RF ${l.rf} px = ${Math.round((100 * l.rf) / inputSide)}% of the ${inputSide} px input)` : ' (vector)'}`)
    .join('; ');
}
