/**
 * A small face-model-like ONNX graph for the user-model tests (32x32 input):
 *   conv 3x3 [c1] -> residual block (two 3x3 convs + shortcut) [res1] -> maxpool 2x2/2 [pool]
 *   -> conv 3x3/2 [d] -> squeeze-excite branch (GAP, sigmoid) [se = d * s] -> flatten -> gemm [emb]
 * Hand-derived main path / automatic probes: res1 (last 32x32), pool (last 16x16), se (last 8x8), emb.
 */
import { GraphBuilder } from '../../src/engine/onnx/builder.ts';
import { mulberry32 } from '../../src/core/random.ts';

function rand(rng: () => number, n: number, a: number): Float32Array {
  return Float32Array.from({ length: n }, () => (2 * rng() - 1) * a);
}

export function buildSmallOnnx(seed = 3): Uint8Array {
  const rng = mulberry32(seed);
  const g = new GraphBuilder('small');
  const x = g.input('image', ['N', 3, 32, 32]);
  const conv = (inp: string, cin: number, cout: number, stride: number, out?: string) =>
    g.node(
      'Conv',
      [inp, g.weight(g.fresh('W'), [cout, cin, 3, 3], rand(rng, cout * cin * 9, 0.4)), g.weight(g.fresh('B'), [cout], rand(rng, cout, 0.1))],
      { kernel_shape: [3, 3], strides: [stride, stride], pads: [1, 1, 1, 1] },
      out,
    );
  const c1 = g.node('Relu', [conv(x, 3, 4, 1, 'c1_conv')], {}, 'c1');
  const b = g.node('Relu', [conv(c1, 4, 4, 1, 'b_conv')], {}, 'b');
  const b2 = conv(b, 4, 4, 1, 'b2');
  const res1 = g.node('Relu', [g.node('Add', [b2, c1], {}, 'add')], {}, 'res1');
  const pool = g.node('MaxPool', [res1], { kernel_shape: [2, 2], strides: [2, 2] }, 'pool');
  const d = g.node('Relu', [conv(pool, 4, 8, 2, 'd_conv')], {}, 'd');
  const s = g.node('Sigmoid', [g.node('GlobalAveragePool', [d], {}, 'gap')], {}, 'gate');
  const se = g.node('Mul', [d, s], {}, 'se');
  const f = g.node('Flatten', [se], { axis: 1 }, 'flat');
  g.node('Gemm', [f, g.weight('fcW', [8 * 8 * 8, 6], rand(rng, 8 * 8 * 8 * 6, 0.1)), g.weight('fcB', [6], rand(rng, 6, 0.1))], {}, 'emb');
  g.output('emb', ['N', 6]);
  return g.build();
}
