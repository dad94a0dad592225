/**
 * TfGraph: executes an ONNX graph with TensorFlow.js ops, so that `tf.grad` works through it
 * (deconvnet, guided backprop, activation maximisation). ONNX Runtime is the fast engine for
 * plain forward passes; this one is for gradients and must agree with it.
 *
 * - Initializers become tensors once (conv filters re-laid out to TF's HWIO / depthwise form,
 *   BatchNormalization folded to a per-channel affine), freed by dispose().
 * - run() executes only the nodes needed for the requested outputs, in topological order, and
 *   frees each intermediate after its last use. Every op is a plain TF.js op (no data read back),
 *   so run() can be called inside tf.grad; values given for intermediate names cut the graph there.
 * - 4D values are kept NHWC after convolutions/pools and converted lazily (tfjs/layout.ts); inputs
 *   and outputs are NCHW, as in ONNX Runtime.
 * - Relu (and PRelu/LeakyRelu) backward rules: see tfjs/relu-rules.ts.
 */
import { decodeModel, type ModelProto, type NodeProto, type TensorProto } from '../onnx/proto.js';
import { releaseFilterTransforms, retainFilterTransforms } from './conv-backprop-kernel.js';
import { initTf, tf } from './backend.js';
import { Val } from './layout.js';
import { nodeLabel, opError, type LoadContext, type OpDef, type RunContext } from './op-types.js';
import { OPS, valFromProto } from './ops.js';
import { foldBatchNorm, type BnState, type ConvState } from './ops-spatial.js';
import type { ReluRule } from './relu-rules.js';

export type { ReluRule } from './relu-rules.js';
export { SUPPORTED_OPS } from './ops.js';

export interface TfGraphRunOptions {
  /** Backward rule for Relu / PRelu / LeakyRelu (default 'gradient'). */
  reluRule?: ReluRule;
}

interface CompiledNode {
  node: NodeProto;
  op: OpDef;
  state: unknown;
  consumed: Set<number>;
  /** BatchNormalization only: the preceding Conv with the BN folded in (used when nothing else reads the Conv's output). */
  folded?: { conv: CompiledNode; fused: CompiledNode };
}

interface Plan {
  nodes: CompiledNode[];
  /** Remaining uses of each value name during a run (consumers + 1 if requested). */
  uses: Map<string, number>;
}

/** The opset of the default ONNX domain. */
function defaultOpset(model: ModelProto): number {
  let v = 0;
  for (const o of model.opsetImport ?? []) {
    if (!o.domain || o.domain === 'ai.onnx') v = Math.max(v, Number(o.version ?? 0));
  }
  return v || 13;
}

/** Throws for the first node whose op TfGraph cannot run (checked before anything is allocated). */
function checkSupported(nodes: NodeProto[], graphOutputs: Set<string>): void {
  const used = new Set(graphOutputs);
  for (const n of nodes) for (const i of n.input ?? []) if (i) used.add(i);
  for (const n of nodes) {
    const op = n.opType ?? '';
    const domain = n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.` : '';
    if (domain || !Object.hasOwn(OPS, op)) {
      throw new Error(`unsupported ONNX op "${domain}${op}" (node ${nodeLabel(n)})`);
    }
    (n.output ?? []).forEach((o, i) => {
      if (i > 0 && o && used.has(o)) throw opError(n, `output #${i} ("${o}") is not supported`);
    });
  }
}

export class TfGraph {
  /** Graph inputs the caller feeds (initializers excluded). */
  readonly inputNames: string[];
  readonly outputNames: string[];
  readonly opset: number;

  private readonly nodes: CompiledNode[] = [];
  private readonly producer = new Map<string, CompiledNode>();
  private readonly consts = new Map<string, Val>();
  private readonly kept: tf.Tensor[] = [];
  private readonly retained: tf.Tensor[] = [];
  private readonly cached = new Map<string, tf.Tensor>();
  private readonly plans = new Map<string, Plan>();
  private disposed = false;

  /** Decodes the model and prepares its weights (initialises TF.js first). */
  static async fromOnnx(bytes: Uint8Array): Promise<TfGraph> {
    await initTf();
    return new TfGraph(decodeModel(bytes));
  }

  private constructor(model: ModelProto) {
    const graph = model.graph;
    if (!graph) throw new Error('ONNX model has no graph');
    const nodes = graph.node ?? [];
    this.outputNames = (graph.output ?? []).map((o) => o.name ?? '');
    checkSupported(nodes, new Set(this.outputNames));
    this.opset = defaultOpset(model);

    const inits = new Map<string, TensorProto>();
    for (const t of graph.initializer ?? []) if (t.name) inits.set(t.name, t);
    this.inputNames = (graph.input ?? []).map((i) => i.name ?? '').filter((n) => n && !inits.has(n));

    const keep = <T extends tf.Tensor>(t: T): T => {
      this.kept.push(tf.keep(t));
      return t;
    };
    const load: LoadContext = {
      opset: this.opset,
      initializer: (name) => (name ? inits.get(name) : undefined),
      keep,
    };
    try {
      for (const node of nodes) {
        const op = OPS[node.opType!];
        const prepared = op.prepare?.(node, load) ?? {};
        const cn: CompiledNode = { node, op, state: prepared.state, consumed: new Set(prepared.consumed ?? []) };
        this.nodes.push(cn);
        for (const o of node.output ?? []) if (o) this.producer.set(o, cn);
        (node.input ?? []).forEach((name, i) => {
          const t = name ? inits.get(name) : undefined;
          if (t && !cn.consumed.has(i) && !this.consts.has(name)) this.consts.set(name, valFromProto(t, keep));
        });
      }
      this.prepareFolds(keep);
      this.retainFilters();
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  /** Conv -> BatchNormalization pairs get a folded Conv (one pass instead of three). */
  private prepareFolds(keep: <T extends tf.Tensor>(t: T) => T): void {
    for (const cn of this.nodes) {
      if (cn.node.opType !== 'BatchNormalization') continue;
      const conv = this.producer.get(cn.node.input?.[0] ?? '');
      if (!conv || conv.node.opType !== 'Conv' || conv.node.output?.[0] !== cn.node.input?.[0]) continue;
      const state = foldBatchNorm(conv.state as ConvState, cn.state as BnState, keep);
      if (!state) continue;
      const node: NodeProto = { ...conv.node, name: `${conv.node.name ?? ''}+${cn.node.name ?? ''}`, output: cn.node.output };
      cn.folded = { conv, fused: { node, op: conv.op, state, consumed: conv.consumed } };
    }
  }

  /** The convolution filters are constants: their backward-pass copies can be kept (tfjs/conv-backprop-kernel.ts). */
  private retainFilters(): void {
    const states = this.nodes.flatMap((cn) => [cn.node.opType === 'Conv' ? cn.state : undefined, cn.folded?.fused.state]);
    for (const st of states) {
      for (const f of (st as ConvState | undefined)?.filters ?? []) {
        retainFilterTransforms(f);
        this.retained.push(f);
      }
    }
  }

  /** Replaces Conv + BatchNormalization by the folded Conv where the Conv output has no other use. */
  private fuse(order: CompiledNode[], outputs: string[]): CompiledNode[] {
    const uses = new Map<string, number>();
    for (const cn of order) for (const i of cn.node.input ?? []) if (i) uses.set(i, (uses.get(i) ?? 0) + 1);
    for (const o of outputs) uses.set(o, (uses.get(o) ?? 0) + 1);
    const replace = new Map<CompiledNode, CompiledNode>();
    const drop = new Set<CompiledNode>();
    for (const cn of order) {
      if (!cn.folded || !order.includes(cn.folded.conv)) continue;
      if (uses.get(cn.folded.conv.node.output![0]) !== 1) continue;
      replace.set(cn.folded.conv, cn.folded.fused);
      drop.add(cn);
    }
    return order.filter((cn) => !drop.has(cn)).map((cn) => replace.get(cn) ?? cn);
  }

  /** Every value name produced by a node (candidates for `run`'s outputs). */
  get valueNames(): string[] {
    return [...this.producer.keys()];
  }

  private cache = (key: string, make: () => tf.Tensor): tf.Tensor => {
    let t = this.cached.get(key);
    if (!t) {
      t = tf.keep(make());
      this.cached.set(key, t);
    }
    return t;
  };

  private plan(outputs: string[], provided: string[]): Plan {
    const key = `${outputs.join('\u0000')}|${[...provided].sort().join('\u0000')}`;
    const hit = this.plans.get(key);
    if (hit) return hit;
    const given = new Set(provided);
    const state = new Map<CompiledNode, 'visiting' | 'done'>();
    const order: CompiledNode[] = [];
    const visit = (name: string, from: string): void => {
      if (given.has(name) || this.consts.has(name)) return;
      const cn = this.producer.get(name);
      if (!cn) {
        if (this.inputNames.includes(name)) throw new Error(`TfGraph.run: missing graph input "${name}"`);
        throw new Error(`TfGraph.run: unknown value "${name}" (needed by ${from})`);
      }
      const s = state.get(cn);
      if (s === 'done') return;
      if (s === 'visiting') throw opError(cn.node, 'the graph has a cycle');
      state.set(cn, 'visiting');
      (cn.node.input ?? []).forEach((i, k) => {
        if (i && !cn.consumed.has(k)) visit(i, `node ${nodeLabel(cn.node)}`);
      });
      state.set(cn, 'done');
      order.push(cn);
    };
    for (const o of outputs) visit(o, 'the requested outputs');
    const nodes = this.fuse(order, outputs);
    const uses = new Map<string, number>();
    const use = (n: string) => uses.set(n, (uses.get(n) ?? 0) + 1);
    for (const cn of nodes) (cn.node.input ?? []).forEach((i, k) => i && !cn.consumed.has(k) && use(i));
    for (const o of outputs) use(o);
    const plan = { nodes, uses };
    this.plans.set(key, plan);
    return plan;
  }

  /**
   * Runs the graph. Inputs and 4D outputs are NCHW. The returned tensors belong to the caller
   * (and to the enclosing tf.tidy, if any). Safe inside tf.grad.
   */
  run(inputs: Record<string, tf.Tensor>, outputs: string[], opts: TfGraphRunOptions = {}): Record<string, tf.Tensor> {
    if (this.disposed) throw new Error('TfGraph.run: the graph was disposed');
    const reluRule = opts.reluRule ?? 'gradient';
    const wanted = [...new Set(outputs)];
    const plan = this.plan(wanted, Object.keys(inputs));
    const env = new Map<string, Val>();
    for (const [name, t] of Object.entries(inputs)) env.set(name, Val.tensor(t, 'nchw', false));
    const remaining = new Map(plan.uses);
    const lookup = (name: string): Val => {
      const v = env.get(name) ?? this.consts.get(name);
      if (!v) throw new Error(`TfGraph.run: value "${name}" is not available`);
      return v;
    };
    const release = (name: string) => {
      const n = (remaining.get(name) ?? 0) - 1;
      remaining.set(name, n);
      if (n <= 0) {
        env.get(name)?.dispose();
        env.delete(name);
      }
    };
    const tapeOn = tf.engine().isTapeOn();
    try {
      for (const cn of plan.nodes) {
        const node = cn.node;
        const names = node.input ?? [];
        const ins = names.map((n, i) => (!n || cn.consumed.has(i) ? undefined : lookup(n)));
        const ctx: RunContext = { node, opset: this.opset, reluRule, tapeOn, cache: this.cache };
        let outs: Val[] = [];
        tf.tidy(() => {
          outs = cn.op.run(ins, ctx, cn.state);
          // An op must not hand back a tensor an input owns (it would be freed twice).
          outs = outs.map((v) => (v.isHost || !ins.some((i) => i?.tensors().includes(v.get())) ? v : Val.tensor(tf.clone(v.get()), v.layout)));
        });
        outs.forEach((v, i) => {
          const name = node.output?.[i];
          if (name && (remaining.get(name) ?? 0) > 0) env.set(name, v);
          else v.dispose();
        });
        names.forEach((n, i) => n && !cn.consumed.has(i) && release(n));
      }
      const result: Record<string, tf.Tensor> = {};
      for (const name of wanted) result[name] = tf.clone(lookup(name).get('nchw'));
      return result;
    } finally {
      for (const v of env.values()) v.dispose();
    }
  }

  /**
   * Input-space gradient (NCHW) of `output` with respect to the graph's single input:
   * `upstream` is either dL/d(output) (same shape as the output) or a function output -> scalar.
   */
  vjp(
    input: tf.Tensor,
    output: string,
    upstream: tf.Tensor | ((y: tf.Tensor) => tf.Scalar),
    reluRule: ReluRule = 'gradient',
  ): tf.Tensor {
    if (this.inputNames.length !== 1) throw new Error(`TfGraph.vjp: the graph has ${this.inputNames.length} inputs, expected 1`);
    const name = this.inputNames[0];
    const f = (x: tf.Tensor): tf.Tensor => {
      const y = this.run({ [name]: x }, [output], { reluRule })[output];
      return typeof upstream === 'function' ? upstream(y) : y;
    };
    return typeof upstream === 'function' ? tf.grad(f)(input) : tf.grad(f)(input, upstream);
  }

  /** Frees every tensor the graph holds. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const f of this.retained) releaseFilterTransforms(f);
    for (const v of this.consts.values()) v.dispose();
    for (const t of this.kept) t.dispose();
    for (const t of this.cached.values()) t.dispose();
    this.consts.clear();
    this.kept.length = 0;
    this.retained.length = 0;
    this.cached.clear();
  }
}
