/** Activations, alone or fused into TF's _FusedConv2D / _FusedMatMul, as ONNX nodes. */
import type { ConvertContext } from './context.js';
import { transposeConst } from './context.js';
import type { ConstValue, TfNode } from './tf-node.js';
import { attrFloat } from './tf-node.js';

export const ACTIVATIONS = new Set(['Relu', 'Relu6', 'Prelu', 'LeakyRelu', 'Sigmoid', 'Tanh']);

/** Per-channel PReLU slopes for a tensor of rank `rank` (NCHW layout for rank 4). */
function slopeInit(cx: ConvertContext, node: TfNode, alpha: ConstValue, rank: number): string {
  if (rank === 4 && alpha.shape.length >= 1) {
    const a4 = { ...alpha, shape: [...new Array<number>(4 - alpha.shape.length).fill(1), ...alpha.shape] };
    const t = transposeConst(a4, [0, 3, 1, 2]);
    // Drop the leading batch dimension: ONNX PRelu slopes broadcast to [C, H, W].
    return cx.floatInit(node, 'slope', t.shape.slice(1), t.data);
  }
  return cx.floatInit(node, 'slope', alpha.shape, alpha.data);
}

/**
 * Emits activation `act` on ONNX tensor `x` (of TF rank `rank`), output named `out`.
 * `alpha` is the Prelu slope argument.
 */
export function emitActivation(cx: ConvertContext, node: TfNode, act: string, x: string, rank: number, out: string, alpha?: ConstValue): string {
  const g = cx.g;
  switch (act) {
    case 'Relu':
    case 'Sigmoid':
    case 'Tanh':
      return g.node(act, [x], {}, out);
    case 'Relu6':
      return g.node('Clip', [x, cx.floatInit(node, 'min', [], [0]), cx.floatInit(node, 'max', [], [6])], {}, out);
    case 'LeakyRelu':
      return g.node('LeakyRelu', [x], { alpha: attrFloat(node, 'leakyrelu_alpha') ?? attrFloat(node, 'alpha') ?? 0.2 }, out);
    case 'Prelu':
      if (!alpha) throw cx.fail(node, 'Prelu needs a constant slope');
      return g.node('PRelu', [x, slopeInit(cx, node, alpha, rank)], {}, out);
    default:
      throw cx.fail(node, `unsupported fused activation ${act}`);
  }
}
