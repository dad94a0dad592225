/**
 * The one main-path discovery, for ONNX graphs (auto-probes.ts) and converted TF.js graphs
 * (tfjs-graph/probes.ts): in a topologically ordered graph, the nodes that every route from the
 * input to the outputs goes through. Node p (computed from the input) is one iff no value made
 * before p (the input included) is still used after p, i.e. no edge u -> w jumps over it
 * (u < p < w) -- such an edge would be a route that avoids p. Branches (residual shortcuts,
 * squeeze-excite) are not on it. One sweep over the nodes with each value's last use.
 */

/** A node: the names of the values it reads and makes (empty names are absent optional ones). */
export interface PathNode {
  readonly inputs: readonly (string | null | undefined)[];
  readonly outputs: readonly (string | null | undefined)[];
}

export interface MainPathNode {
  /** Position in the node list. */
  index: number;
  /** The node's outputs (all computed from the input). */
  made: string[];
  /** Those of them a later node reads. */
  live: string[];
}

/** The main-path nodes among `nodes` (in order), seen from the value `input`. */
export function mainPathNodes(nodes: readonly PathNode[], input: string): MainPathNode[] {
  const data = new Set([input]);
  const reads = nodes.map((n) => {
    const r = n.inputs.some((x) => x && data.has(x));
    if (r) for (const o of n.outputs) if (o) data.add(o);
    return r;
  });
  const lastUse = new Map<string, number>();
  nodes.forEach((n, i) => {
    for (const x of n.inputs) if (x && data.has(x)) lastUse.set(x, i);
  });
  const out: MainPathNode[] = [];
  // the latest use of any value made before node p
  let maxLast = lastUse.get(input) ?? -1;
  nodes.forEach((n, p) => {
    const made = reads[p] ? n.outputs.filter((o): o is string => !!o) : [];
    if (made.length > 0 && maxLast <= p) out.push({ index: p, made, live: made.filter((o) => (lastUse.get(o) ?? -1) > p) });
    for (const o of made) maxLast = Math.max(maxLast, lastUse.get(o) ?? -1);
  });
  return out;
}
