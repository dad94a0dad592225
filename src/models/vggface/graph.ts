/**
 * The ONNX graph of VGGFace (VGG-16) from mapped Keras weights:
 *   input [N,3,224,224] -> 5 blocks of (conv 3x3 pad 1 + relu) x n, maxpool 2x2/2 [pool1..pool5]
 *   -> Flatten -> Gemm + relu [fc6] -> Gemm + relu [fc7] -> Gemm [fc8] (logits, before softmax)
 * Kernels go from Keras HWIO to ONNX OIHW. Keras flattens pool5 channels-last (h, w, c) while
 * the ONNX Flatten of an NCHW map is (c, h, w), so fc6's rows are permuted accordingly; a 7x7
 * conv fc6 has the same (h, w, c) row order once its HWIO kernel is read as [49*C, F].
 */
import { GraphBuilder } from '../../engine/onnx/builder.js';
import { POOL5_SIZE, VGG16_BLOCKS, VGG_INPUT, type VggWeights } from './layout.js';

export const VGG_INPUT_NAME = 'input';

function hwioToOihw(k: Float32Array, kh: number, kw: number, ci: number, co: number): Float32Array {
  const out = new Float32Array(k.length);
  for (let h = 0; h < kh; h++)
    for (let w = 0; w < kw; w++)
      for (let i = 0; i < ci; i++)
        for (let o = 0; o < co; o++) out[((o * ci + i) * kh + h) * kw + w] = k[((h * kw + w) * ci + i) * co + o];
  return out;
}

/** [(h, w, c) rows, F] -> [(c, h, w) rows, F]. */
function channelsLastRowsToChannelsFirst(k: Float32Array, size: number, c: number, f: number): Float32Array {
  const out = new Float32Array(k.length);
  for (let h = 0; h < size; h++)
    for (let w = 0; w < size; w++)
      for (let ch = 0; ch < c; ch++) {
        const src = ((h * size + w) * c + ch) * f;
        const dst = ((ch * size + h) * size + w) * f;
        out.set(k.subarray(src, src + f), dst);
      }
  return out;
}

/** Per-image output shapes of the probe tensors, by name. */
export function vggProbeShapes(w: VggWeights): Record<string, number[]> {
  const shapes: Record<string, number[]> = {};
  let i = 0;
  VGG16_BLOCKS.forEach((n, b) => {
    i += n;
    const size = VGG_INPUT >> (b + 1);
    shapes[`pool${b + 1}`] = [w.convs[i - 1].cout, size, size];
  });
  for (const fc of w.fcs) shapes[fc.name] = [fc.dout];
  return shapes;
}

export function buildVggFaceOnnx(w: VggWeights): Uint8Array {
  const g = new GraphBuilder('vggface');
  let y = g.input(VGG_INPUT_NAME, ['N', 3, VGG_INPUT, VGG_INPUT]);
  let i = 0;
  VGG16_BLOCKS.forEach((n, b) => {
    for (let j = 0; j < n; j++, i++) {
      const c = w.convs[i];
      const W = g.weight(`${c.name}/W`, [c.cout, c.cin, 3, 3], hwioToOihw(c.kernel, 3, 3, c.cin, c.cout));
      const B = g.weight(`${c.name}/B`, [c.cout], c.bias);
      const conv = g.node('Conv', [y, W, B], { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] });
      y = g.node('Relu', [conv], {}, c.name);
    }
    y = g.node('MaxPool', [y], { kernel_shape: [2, 2], strides: [2, 2] }, `pool${b + 1}`);
  });
  y = g.node('Flatten', [y], { axis: 1 });
  const c5 = w.convs[w.convs.length - 1].cout;
  for (const fc of w.fcs) {
    const k = fc.name === 'fc6' ? channelsLastRowsToChannelsFirst(fc.kernel, POOL5_SIZE, c5, fc.dout) : fc.kernel;
    const W = g.weight(`${fc.name}/W`, [fc.din, fc.dout], k);
    const B = g.weight(`${fc.name}/B`, [fc.dout], fc.bias);
    if (fc.name === 'fc8') {
      y = g.node('Gemm', [y, W, B], {}, fc.name);
    } else {
      y = g.node('Relu', [g.node('Gemm', [y, W, B])], {}, fc.name);
    }
  }
  for (const [name, shape] of Object.entries(vggProbeShapes(w))) g.output(name, ['N', ...shape]);
  return g.build();
}
