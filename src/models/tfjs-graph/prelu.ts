/**
 * PReLU as the TF -> TF.js converters leave it: relu(x) + c * (x - |x|) (c = alpha / 2, from
 * TF-slim style `prelu`). Recognised and replaced by one Prelu node (alpha = 2c), so the ONNX
 * graph has a real PRelu: the receptive-field walk and the deconvnet / guided-backprop rules
 * treat it as the rectifier it is, and no Abs/Sub branch appears. When the first term is x itself
 * (the converter fused the Relu into the op producing x), x + c * (x - |x|) = PRelu(x, 1 + 2c).
 * Nodes of the original pattern stay in the list (unused ones are pruned after conversion).
 */
import type { ConstValue, TfNode } from './tf-node.js';
import { inputNode } from './tf-node.js';

function ins(n: TfNode): string[] {
  return (n.input ?? []).map(inputNode).filter((s): s is string => s !== undefined);
}

export function fusePrelu(nodes: TfNode[], weights: Map<string, ConstValue>): TfNode[] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const isOp = (name: string | undefined, op: string) => (name ? byName.get(name)?.op === op : false);
  return nodes.map((add) => {
    if (add.op !== 'Add' && add.op !== 'AddV2') return add;
    const [a, b] = ins(add);
    for (const [p, q] of [[a, b], [b, a]]) {
      const mul = byName.get(q);
      if (!mul || mul.op !== 'Mul') continue;
      const [m0, m1] = ins(mul);
      const [sName, cName] = isOp(m1, 'Const') ? [m0, m1] : [m1, m0];
      const c = weights.get(cName);
      const sub = byName.get(sName);
      if (!c || c.dtype !== 'float32' || !isOp(cName, 'Const') || !sub || sub.op !== 'Sub') continue;
      const [x, absName] = ins(sub);
      const abs = byName.get(absName);
      if (!abs || abs.op !== 'Abs' || ins(abs)[0] !== x) continue;
      const pNode = byName.get(p);
      let offset: number;
      if (pNode?.op === 'Relu' && ins(pNode)[0] === x) offset = 0;
      else if (p === x) offset = 1;
      else continue;
      const alphaName = `${add.name}/fused_prelu_alpha`;
      weights.set(alphaName, { shape: c.shape, dtype: 'float32', data: c.data.map((v) => offset + 2 * v) as Float32Array });
      return [{ name: alphaName, op: 'Const' }, { name: add.name, op: 'Prelu', input: [x, alphaName] }];
    }
    return add;
  }).flat();
}
