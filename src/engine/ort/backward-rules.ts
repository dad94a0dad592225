/**
 * The per-op backward rules of the ONNX Runtime backward graphs (the backward counterpart of the
 * forward op table `OPS` in tfjs/ops.ts): for each ONNX op, how to emit the vector-Jacobian
 * product of one forward node, given the gradient of its first output. ort/backward.ts walks the
 * input -> probe path in reverse and calls the rule of each node; an op without a rule, or a rule
 * that meets a configuration it does not cover, raises UnsupportedOpError (the caller then falls
 * back to TfGraph).
 *
 * Conv -> flipped-kernel Conv (stride 1, group 1, when its pads are valid) or ConvTranspose with
 * the same weights; MaxPool -> MaxPool with Indices, then MaxUnpool (non-overlapping windows) or
 * ScatterElements(add) (overlapping windows: a cell that wins two windows gets both gradients);
 * ORT's MaxPool picks the first maximum of a window in row-major order, as TfGraph's MaxPoolGrad
 * does. Rectifiers (and Clip, see `clip`) follow tfjs/relu-rules.ts; every other op (the linear
 * ones, Mul / Div, the smooth activations Sigmoid / Softmax / Sqrt, and the element-wise units
 * Tanh ... Reciprocal, see `chain`) uses its true local derivative under all three rules, as
 * TfGraph's tf.grad does.
 */
import { attrFloat, attrInt, attrInts, attrString, resolvePads, tensorValues, type NodeProto, type TensorProto } from '../onnx/proto.js';
import type { Gen, UnsupportedOpError } from './backward-gen.js';
import type { ReluRule } from '../tfjs/relu-rules.js';

/** What a rule sees: the node, its gradient, and the generator's state. */
export interface BackwardContext {
  readonly g: Gen;
  readonly node: NodeProto;
  readonly op: string;
  /** The node's inputs; `x` = ins[0]. */
  readonly ins: string[];
  readonly x: string;
  /** The node's first output and its gradient. */
  readonly out: string;
  readonly gy: string;
  readonly rule: ReluRule;
  /** Conv backward: flipped-kernel Conv where possible ('auto'), or always ConvTranspose. */
  readonly conv: 'auto' | 'transpose';
  /** The node's copy in the emitted forward graph (MaxPool adds its Indices output there). */
  readonly forward: NodeProto;
  /** The model's default-domain opset (the semantics of the forward node). */
  readonly opset: number;
  /** Whether a value depends on the differentiated input. */
  depends(v: string): boolean;
  /** Static (batch-1) shape of a forward value. */
  shape(v: string): number[];
  /** The initializer or Constant-node tensor of that name, if it is one. */
  constant(name: string | undefined | null): TensorProto | undefined;
  /** Adds a gradient contribution to `v` (ignored when `v` does not depend on the input). */
  addGrad(v: string, gv: string): void;
  unsupported(detail?: string): UnsupportedOpError;
}

export type BackwardRule = (cx: BackwardContext) => void;

const prod = (a: number[]) => a.reduce((x, y) => x * y, 1);

/** Explicit [begin..., end...] pads of a Conv / pool node (auto_pad resolved with the input shape). */
function explicitPads(n: NodeProto, inHW: number[], k: number[], s: number[], d: number[]): number[] {
  return resolvePads(n, inHW, k.map((ki, i) => (ki - 1) * d[i] + 1), s);
}

/** Kernel, strides and dilations of a 2-D pooling node. */
function poolWindow(cx: BackwardContext) {
  const n = cx.node;
  const k = attrInts(n, 'kernel_shape')!;
  const s = attrInts(n, 'strides') ?? k.map(() => 1);
  const d = attrInts(n, 'dilations') ?? k.map(() => 1);
  if (k.length !== 2) throw cx.unsupported('only 2-D pooling');
  return { k, s, d };
}

/** ConvTranspose's output_padding that gives back the input size `xs` from the output size `ys`. */
function outputPadding(xs: number[], ys: number[], k: number[], s: number[], d: number[], pads: number[]): number[] {
  return [0, 1].map((a) => xs[a + 2] - ((ys[a + 2] - 1) * s[a] + (k[a] - 1) * d[a] + 1 - pads[a] - pads[a + 2]));
}

const badOutputPadding = (outPad: number[], s: number[], d: number[]) => outPad.some((p, a) => p < 0 || p >= Math.max(s[a], d[a]));

/** Sums gv over the axes where `inShape` was broadcast to `outShape`. */
function unbroadcast(g: Gen, gv: string, inShape: number[], outShape: number[]): string {
  if (inShape.length === outShape.length && inShape.every((d, i) => d === outShape[i])) return gv;
  const off = outShape.length - inShape.length;
  const axes: number[] = [];
  outShape.forEach((d, i) => {
    const di = i < off ? 1 : inShape[i - off];
    if (di === 1 && d !== 1) axes.push(i);
  });
  let r = axes.length ? g.one('ReduceSum', [gv, g.ints(axes)], { keepdims: 1 }) : gv;
  if (off !== 0) r = g.one('Reshape', [r, g.ints([-1, ...inShape.slice(1)])]);
  return r;
}

/**
 * Rectifier backward; `slope` = undefined (ReLU), a number, or a slope tensor name. The mask
 * x > 0 is read from `m` (ReLU: its output, since y > 0 iff x > 0, which leaves ORT free to fuse
 * the forward Conv + Relu).
 */
function rectifier(cx: BackwardContext, m: string, slope: number | string | undefined): string {
  const { g, gy: gv, rule } = cx;
  const pos = g.one('Greater', [m, g.zero]);
  const deriv = (): string => {
    const s = typeof slope === 'number' ? g.scalar(slope) : slope!;
    return g.one('Where', [pos, g.scalar(1), s]);
  };
  if (rule === 'gradient') return slope === undefined ? g.one('Where', [pos, gv, g.zero]) : g.one('Mul', [gv, deriv()]);
  if (rule === 'deconv') {
    if (slope === undefined) return g.one('Relu', [gv]);
    if (typeof slope === 'number') return g.one('LeakyRelu', [gv], { alpha: slope });
    return g.one('PRelu', [gv, slope]);
  }
  const r = g.one('Relu', [gv]);
  return slope === undefined ? g.one('Where', [pos, r, g.zero]) : g.one('Mul', [r, deriv()]);
}

/** The value of input `v` (called `name` in errors), which must be a constant scalar (one element). */
function constantScalar(cx: BackwardContext, v: string, name: string): number {
  if (cx.depends(v)) throw cx.unsupported(`input-dependent ${name}`);
  const t = cx.constant(v);
  if (!t) throw cx.unsupported(`${name} not constant`);
  const vals = tensorValues(t);
  if (vals.length !== 1) throw cx.unsupported(`${name} is not a scalar`);
  return Number(vals[0]);
}

/**
 * Clip's constant bounds: inputs 1 and 2 (opset >= 11) or the attributes min / max (older opsets).
 * undefined = unbounded: absent, an empty input name, or an infinite value (the TF.js converter
 * writes Maximum / Minimum with a scalar as Clip with -inf / +inf).
 */
function clipBounds(cx: BackwardContext): { lo?: number; hi?: number } {
  const bound = (k: 1 | 2, name: 'min' | 'max'): number | undefined => {
    const v = cx.ins[k];
    const b = v ? constantScalar(cx, v, name) : attrFloat(cx.node, name);
    return b !== undefined && Number.isFinite(b) ? b : undefined;
  };
  return { lo: bound(1, 'min'), hi: bound(2, 'max') };
}

/** Boolean mask lo < v < hi (a bound left undefined is not checked); undefined when neither bound is given. */
function strictlyInside(g: Gen, v: string, lo: number | undefined, hi: number | undefined): string | undefined {
  const conds: string[] = [];
  if (lo !== undefined) conds.push(g.one('Greater', [v, lo === 0 ? g.zero : g.scalar(lo, 'bound')]));
  if (hi !== undefined) conds.push(g.one('Less', [v, g.scalar(hi, 'bound')]));
  return conds.length === 2 ? g.one('And', conds) : conds[0];
}

/**
 * Clip(x, lo, hi) backward (either bound may be absent). With inside = lo < x < hi (strict: at
 * x == lo or x == hi the unit counts as clipped and passes 0, as ReLU passes 0 at x == 0):
 * - 'gradient': dx = dy * inside (the true gradient off the two kinks);
 * - 'deconv':   dx = relu(dy) when there is a lower bound, else dy: the lower bound is treated
 *               as the ReLU of Zeiler & Fergus' deconvnet (backward signal rectified, no forward
 *               mask); the upper bound, which deconvnets do not have, is ignored like the mask;
 * - 'guided':   dx = (deconv signal) * inside: the forward mask AND the rectified signal, as
 *               guided backprop is for ReLU.
 * Zeiler & Fergus and Springenberg et al. define the rules for ReLU only; these are facelens'
 * extension to clipped units such as ReLU6 (a modelling choice, the same in tfjs/relu-rules.ts).
 * The mask is read from the output: lo < y < hi iff lo < x < hi, which leaves ORT free to fuse
 * the forward Conv + Clip.
 */
const clip: BackwardRule = (cx) => {
  const { g, out, gy, rule } = cx;
  const { lo, hi } = clipBounds(cx);
  const signal = rule !== 'gradient' && lo !== undefined ? g.one('Relu', [gy]) : gy;
  const inside = rule === 'deconv' ? undefined : strictlyInside(g, out, lo, hi);
  cx.addGrad(cx.x, inside ? g.one('Where', [inside, signal, g.zero]) : signal);
};

/** dx = dy * f', with `deriv` emitting the local derivative f' of a unary element-wise op. */
const chain = (deriv: (cx: BackwardContext) => string): BackwardRule => (cx) => cx.addGrad(cx.x, cx.g.one('Mul', [cx.gy, deriv(cx)]));

/**
 * Sigmoid backward: dx = dy * y * (1 - y), with y read from the output. A smooth unit: the true
 * local derivative under all three rules ('deconv' and 'guided' change rectifiers only).
 */
const sigmoid = chain(({ g, out: y }) => g.one('Mul', [y, g.one('Sub', [g.scalar(1, 'one'), y])]));

/**
 * Softmax backward (opset >= 13: softmax along `axis`, default -1): dx = y * (dy - sum(dy * y,
 * axis)), with y read from the output. Opsets < 13 normalise over the input coerced to 2-D at
 * `axis` (default 1), a different function: not covered (the caller falls back to TfGraph).
 * As for Sigmoid, the true local derivative under all three rules.
 */
const softmax: BackwardRule = (cx) => {
  const { g, x, out: y, gy } = cx;
  if (cx.opset < 13) throw cx.unsupported(`opset ${cx.opset} (softmax of the input coerced to 2-D)`);
  const axis = attrInt(cx.node, 'axis') ?? -1;
  const dot = g.one('ReduceSum', [g.one('Mul', [gy, y]), g.ints([axis])], { keepdims: 1 });
  cx.addGrad(x, g.one('Mul', [y, g.one('Sub', [gy, dot])]));
};

/** Sqrt backward: dx = dy / (2 y), with y read from the output (true derivative under all three rules). */
const sqrt: BackwardRule = ({ g, x, out: y, gy, addGrad }) => addGrad(x, g.one('Div', [gy, g.one('Add', [y, y])]));

/*
 * The other element-wise units (Tanh, Exp, Log, Neg, Abs, Softplus, HardSigmoid, HardSwish, Pow
 * with a constant exponent, Erf, Reciprocal), as found in MobileNetV3 / EfficientNet / GhostNet /
 * ViT exports: like Sigmoid and Sqrt above, each uses its true local derivative under all three
 * rules ('deconv' and 'guided' change rectifiers only). The derivative is read from the output y
 * where that is exact and cheaper (Tanh, Exp, HardSigmoid, Reciprocal), else from the input x.
 * At a kink the strict convention of the ReLU and Clip rules holds: Abs passes 0 at x == 0 (the
 * derivative of Sign), and a hard-sigmoid gate counts as saturated at its breakpoints (slope 0
 * there), so HardSigmoid passes 0 and HardSwish passes 0 at x == -3 and dy at x == 3.
 */


/** The slope of a hard-sigmoid gate h = max(0, min(1, alpha x + beta)): alpha strictly inside 0 < h < 1, else 0. */
function hardGateSlope(g: Gen, h: string, alpha: number): string {
  return g.one('Where', [strictlyInside(g, h, 0, 1)!, g.scalar(alpha, 'alpha'), g.zero]);
}

/** Tanh: dx = dy (1 - y^2). */
const tanh = chain(({ g, out: y }) => g.one('Sub', [g.scalar(1, 'one'), g.one('Mul', [y, y])]));

/** Exp: dx = dy y. */
const exp = chain(({ out: y }) => y);

/** Log: dx = dy / x. */
const log: BackwardRule = ({ g, x, gy, addGrad }) => addGrad(x, g.one('Div', [gy, x]));

/** Abs: dx = dy sign(x) (0 at x == 0). */
const abs = chain(({ g, x }) => g.one('Sign', [x]));

/** Softplus, y = log(1 + e^x): dx = dy sigmoid(x) (from x: 1 - e^-y loses precision for small y). */
const softplus = chain(({ g, x }) => g.one('Sigmoid', [x]));

/** HardSigmoid, y = max(0, min(1, alpha x + beta)) (alpha 0.2, beta 0.5 by default): dx = dy alpha inside 0 < y < 1. */
const hardSigmoid = chain(({ g, node, out: y }) => hardGateSlope(g, y, attrFloat(node, 'alpha') ?? 0.2));

/**
 * HardSwish (opset 14), y = x h(x) with the hard-sigmoid gate h = HardSigmoid(x; 1/6, 1/2):
 * dx = dy (h + x h'), i.e. 0 for x <= -3, (2x + 3) / 6 inside, 1 for x >= 3.
 */
const hardSwish = chain(({ g, x }) => {
  const h = g.one('HardSigmoid', [x], { alpha: 1 / 6, beta: 0.5 });
  return g.one('Add', [h, g.one('Mul', [x, hardGateSlope(g, h, 1 / 6)])]);
});

/**
 * Pow(x, p) with a constant scalar exponent p: dx = dy p x^(p-1) (0 for p = 0). An exponent that
 * depends on the input, or is not a constant scalar, is not covered.
 */
const pow: BackwardRule = (cx) => {
  const { g, x, gy } = cx;
  const p = constantScalar(cx, cx.ins[1], 'exponent');
  const power = () => (p === 2 ? x : g.one('Pow', [x, g.scalar(p - 1, 'exponent')]));
  cx.addGrad(x, g.one('Mul', [gy, p === 0 ? g.zero : g.one('Mul', [power(), g.scalar(p, 'exponent')])]));
};

/** Erf: dx = dy 2/sqrt(pi) e^(-x^2). */
const erf = chain(({ g, x }) => g.one('Mul', [g.one('Exp', [g.one('Neg', [g.one('Mul', [x, x])])]), g.scalar(2 / Math.sqrt(Math.PI))]));

/** Reciprocal, y = 1 / x: dx = -dy y^2. */
const reciprocal = chain(({ g, out: y }) => g.one('Neg', [g.one('Mul', [y, y])]));

const passThrough: BackwardRule = (cx) => cx.addGrad(cx.x, cx.gy);

const reshapeBack: BackwardRule = ({ g, x, gy, addGrad }) => addGrad(x, g.one('Reshape', [gy, g.one('Shape', [x])]));

const conv: BackwardRule = (cx) => {
  const { g, node: n, ins, x, out, gy } = cx;
  if (cx.depends(ins[1])) throw cx.unsupported('input-dependent weights');
  const xs = cx.shape(x);
  const ys = cx.shape(out);
  const wt = cx.constant(ins[1]);
  const k = attrInts(n, 'kernel_shape') ?? (wt ? (wt.dims ?? []).slice(2).map(Number) : undefined);
  if (!k || k.length !== 2) throw cx.unsupported('only 2-D convolutions');
  const s = attrInts(n, 'strides') ?? [1, 1];
  const d = attrInts(n, 'dilations') ?? [1, 1];
  const group = attrInt(n, 'group') ?? 1;
  const pads = explicitPads(n, xs.slice(2), k, s, d);
  const flipPads = [0, 1].flatMap((e) => [0, 1].map((a) => d[a] * (k[a] - 1) - pads[a + 2 * e]));
  if (cx.conv === 'auto' && wt && group === 1 && s.every((v) => v === 1) && flipPads.every((p) => p >= 0)) {
    const w = tensorValues(wt) as Float32Array;
    const [co, ci, kh, kw] = (wt.dims ?? []).map(Number);
    const f = new Float32Array(w.length);
    for (let o = 0; o < co; o++)
      for (let c = 0; c < ci; c++)
        for (let h = 0; h < kh; h++)
          for (let q = 0; q < kw; q++) f[((c * co + o) * kh + h) * kw + q] = w[((o * ci + c) * kh + (kh - 1 - h)) * kw + (kw - 1 - q)];
    const fw = g.floats([ci, co, kh, kw], f, 'wflip');
    cx.addGrad(x, g.one('Conv', [gy, fw], { kernel_shape: k, strides: [1, 1], dilations: d, pads: flipPads }));
  } else {
    const outPad = outputPadding(xs, ys, k, s, d, pads);
    if (badOutputPadding(outPad, s, d)) throw cx.unsupported(`output_padding ${outPad}`);
    cx.addGrad(x, g.one('ConvTranspose', [gy, ins[1]], { kernel_shape: k, strides: s, dilations: d, pads, group, output_padding: outPad }));
  }
};

const maxPool: BackwardRule = (cx) => {
  const { g, node: n, x, out, gy, forward: fwd } = cx;
  const { k, s, d } = poolWindow(cx);
  if ((attrInt(n, 'storage_order') ?? 0) !== 0) throw cx.unsupported('storage_order 1');
  const idx = fwd.output && fwd.output.length > 1 && fwd.output[1] ? fwd.output[1] : g.fresh('switches');
  fwd.output = [out, idx];
  const pads = explicitPads(n, cx.shape(x).slice(2), k, s, d);
  const overlap = k.some((kk, a) => (kk - 1) * d[a] + 1 > s[a]) || pads.some((p) => p !== 0);
  if (!overlap) {
    cx.addGrad(x, g.one('MaxUnpool', [gy, idx, g.one('Shape', [x])], { kernel_shape: k, strides: s }));
  } else {
    const size = g.one('Reshape', [g.one('Size', [x]), g.ints([1])]);
    const zeros = g.one('ConstantOfShape', [size]);
    const flat = g.one('ScatterElements', [zeros, g.one('Reshape', [idx, g.ints([-1])]), g.one('Reshape', [gy, g.ints([-1])])], {
      axis: 0,
      reduction: 'add',
    });
    cx.addGrad(x, g.one('Reshape', [flat, g.one('Shape', [x])]));
  }
};

const averagePool: BackwardRule = (cx) => {
  const { g, node: n, x, out, gy } = cx;
  const { k, s, d } = poolWindow(cx);
  const xs = cx.shape(x);
  const ys = cx.shape(out);
  const pads = explicitPads(n, xs.slice(2), k, s, d);
  if (pads.some((p) => p !== 0) && (attrInt(n, 'count_include_pad') ?? 0) === 0) throw cx.unsupported('padding without count_include_pad');
  const C = xs[1];
  const w = g.floats([C, 1, k[0], k[1]], new Float32Array(C * k[0] * k[1]).fill(1 / (k[0] * k[1])), 'avgw');
  const outPad = outputPadding(xs, ys, k, s, d, pads);
  if (badOutputPadding(outPad, s, d)) throw cx.unsupported(`ceil_mode / output_padding ${outPad}`);
  cx.addGrad(x, g.one('ConvTranspose', [gy, w], { kernel_shape: k, strides: s, dilations: d, pads, group: C, output_padding: outPad }));
};

const globalAveragePool: BackwardRule = ({ g, x, gy, shape, addGrad }) => {
  const xs = shape(x);
  const scale = g.scalar(1 / prod(xs.slice(2)));
  addGrad(x, g.one('Mul', [g.one('Expand', [gy, g.one('Shape', [x])]), scale]));
};

const reduce: BackwardRule = (cx) => {
  const { g, node: n, op, ins, x, gy } = cx;
  const xs = cx.shape(x);
  let axes = attrInts(n, 'axes');
  if (!axes && ins[1]) {
    const t = cx.constant(ins[1]);
    if (!t) throw cx.unsupported('axes not constant');
    axes = Array.from(tensorValues(t) as number[]);
  }
  axes = (axes ?? xs.map((_, a) => a)).map((a) => (a < 0 ? a + xs.length : a)).sort((a, b) => a - b);
  if (axes.length === 0 && (attrInt(n, 'noop_with_empty_axes') ?? 0) === 1) {
    cx.addGrad(x, gy);
    return;
  }
  let gv = gy;
  if ((attrInt(n, 'keepdims') ?? 1) === 0) gv = g.one('Unsqueeze', [gv, g.ints(axes)]);
  gv = g.one('Expand', [gv, g.one('Shape', [x])]);
  if (op === 'ReduceMean') gv = g.one('Mul', [gv, g.scalar(1 / prod(axes.map((a) => xs[a])))]);
  cx.addGrad(x, gv);
};

const addSub: BackwardRule = (cx) => {
  const { g, op, ins, out, gy } = cx;
  const ys = cx.shape(out);
  if (cx.depends(ins[0])) cx.addGrad(ins[0], unbroadcast(g, gy, cx.shape(ins[0]), ys));
  if (cx.depends(ins[1])) cx.addGrad(ins[1], unbroadcast(g, op === 'Sub' ? g.one('Neg', [gy]) : gy, cx.shape(ins[1]), ys));
};

const mul: BackwardRule = (cx) => {
  const { g, ins, out, gy } = cx;
  const ys = cx.shape(out);
  if (cx.depends(ins[0])) cx.addGrad(ins[0], unbroadcast(g, g.one('Mul', [gy, ins[1]]), cx.shape(ins[0]), ys));
  if (cx.depends(ins[1])) cx.addGrad(ins[1], unbroadcast(g, g.one('Mul', [gy, ins[0]]), cx.shape(ins[1]), ys));
};

/** y = a / b: da = dy / b, db = -dy * a / b^2 = -dy * y / b (y read from the output). */
const div: BackwardRule = (cx) => {
  const { g, ins, out: y, gy } = cx;
  const [a, b] = ins;
  const ys = cx.shape(y);
  const gyb = g.one('Div', [gy, b]);
  if (cx.depends(a)) cx.addGrad(a, unbroadcast(g, gyb, cx.shape(a), ys));
  if (cx.depends(b)) cx.addGrad(b, unbroadcast(g, g.one('Neg', [g.one('Mul', [gyb, y])]), cx.shape(b), ys));
};

const batchNormalization: BackwardRule = (cx) => {
  const { g, node: n, ins, x, gy } = cx;
  const [sc, , , va] = [1, 2, 3, 4].map((k) => cx.constant(ins[k]));
  if (!sc || !va) throw cx.unsupported('scale / variance not constant');
  const scale = tensorValues(sc) as Float32Array;
  const v = tensorValues(va) as Float32Array;
  const eps = attrFloat(n, 'epsilon') ?? 1e-5;
  const f = scale.map((a, c) => a / Math.sqrt(v[c] + eps));
  const rank = cx.shape(x).length;
  cx.addGrad(x, g.one('Mul', [gy, g.floats([f.length, ...new Array<number>(Math.max(0, rank - 2)).fill(1)], f, 'bnscale')]));
};

const gemm: BackwardRule = (cx) => {
  const { g, node: n, ins, x, gy } = cx;
  if (cx.depends(ins[1])) throw cx.unsupported('input-dependent B');
  if ((attrInt(n, 'transA') ?? 0) !== 0) throw cx.unsupported('transA 1');
  const transB = attrInt(n, 'transB') ?? 0;
  cx.addGrad(x, g.one('Gemm', [gy, ins[1]], { alpha: attrFloat(n, 'alpha') ?? 1, transB: 1 - transB }));
};

const matMul: BackwardRule = (cx) => {
  const { g, ins, x, gy } = cx;
  if (cx.depends(ins[1])) throw cx.unsupported('input-dependent right operand');
  const bs = cx.constant(ins[1])?.dims?.map(Number);
  if (!bs || bs.length !== 2) throw cx.unsupported('right operand must be a constant matrix');
  cx.addGrad(x, g.one('MatMul', [gy, g.one('Transpose', [ins[1]], { perm: [1, 0] })]));
};

const pad: BackwardRule = (cx) => {
  const { g, node: n, ins, x, gy } = cx;
  const mode = attrString(n, 'mode') ?? 'constant';
  if (mode !== 'constant') throw cx.unsupported(`mode ${mode}`);
  const pt = ins[1] ? cx.constant(ins[1]) : undefined;
  const pads = pt ? Array.from(tensorValues(pt) as number[]) : attrInts(n, 'pads');
  if (!pads) throw cx.unsupported('pads not constant');
  if (ins[3]) throw cx.unsupported('axes input');
  const xs = cx.shape(x);
  const r = xs.length;
  if (pads.some((p) => p < 0) || pads[0] !== 0 || pads[r] !== 0) throw cx.unsupported('negative or batch pads');
  const axes = xs.map((_, a) => a).filter((a) => a > 0 && (pads[a] !== 0 || pads[a + r] !== 0));
  if (axes.length === 0) cx.addGrad(x, gy);
  else {
    const starts = g.ints(axes.map((a) => pads[a]));
    const ends = g.ints(axes.map((a) => pads[a] + xs[a]));
    cx.addGrad(x, g.one('Slice', [gy, starts, ends, g.ints(axes)]));
  }
};

const concat: BackwardRule = (cx) => {
  const { g, node: n, ins, out, gy } = cx;
  const axisRaw = attrInt(n, 'axis')!;
  const r = cx.shape(out).length;
  const axis = axisRaw < 0 ? axisRaw + r : axisRaw;
  let at = 0;
  for (const v of ins) {
    const len = cx.shape(v)[axis];
    if (cx.depends(v)) cx.addGrad(v, g.one('Slice', [gy, g.ints([at]), g.ints([at + len]), g.ints([axis])]));
    at += len;
  }
};

/** The backward rule of each supported ONNX op (default domain). */
export const BACKWARD_RULES: Readonly<Record<string, BackwardRule>> = {
  Relu: (cx) => cx.addGrad(cx.x, rectifier(cx, cx.out, undefined)),
  LeakyRelu: (cx) => cx.addGrad(cx.x, rectifier(cx, cx.x, attrFloat(cx.node, 'alpha') ?? 0.01)),
  PRelu: (cx) => {
    if (cx.depends(cx.ins[1])) throw cx.unsupported('input-dependent slope');
    cx.addGrad(cx.x, rectifier(cx, cx.x, cx.ins[1]));
  },
  Clip: clip,
  Sigmoid: sigmoid,
  Softmax: softmax,
  Sqrt: sqrt,
  Tanh: tanh,
  Exp: exp,
  Log: log,
  Neg: ({ g, x, gy, addGrad }) => addGrad(x, g.one('Neg', [gy])),
  Abs: abs,
  Softplus: softplus,
  HardSigmoid: hardSigmoid,
  HardSwish: hardSwish,
  Pow: pow,
  Erf: erf,
  Reciprocal: reciprocal,
  Identity: passThrough,
  Dropout: passThrough,
  Flatten: reshapeBack,
  Reshape: reshapeBack,
  Squeeze: reshapeBack,
  Unsqueeze: reshapeBack,
  Transpose: ({ g, node, x, gy, shape, addGrad }) => {
    const perm = attrInts(node, 'perm') ?? shape(x).map((_, k, a) => a.length - 1 - k);
    const inv = new Array<number>(perm.length);
    perm.forEach((p, k) => (inv[p] = k));
    addGrad(x, g.one('Transpose', [gy], { perm: inv }));
  },
  Conv: conv,
  MaxPool: maxPool,
  AveragePool: averagePool,
  GlobalAveragePool: globalAveragePool,
  ReduceMean: reduce,
  ReduceSum: reduce,
  Add: addSub,
  Sub: addSub,
  Mul: mul,
  Div: div,
  BatchNormalization: batchNormalization,
  Gemm: gemm,
  MatMul: matMul,
  Pad: pad,
  Concat: concat,
};

/** The ops the backward-graph generator covers. */
export const BACKWARD_OPS: readonly string[] = Object.keys(BACKWARD_RULES).sort();
