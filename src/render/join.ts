/**
 * The building blocks that move nodes between views (app §3.2): a join accumulator that maps input
 * nodes onto output nodes (as children or pass-throughs) and then rewrites edges, plus Reduce.
 *
 * Edge rewriting: for every input node A mapped to outputs A′ and every adjacency target B of A
 * mapped to outputs B′, add A′→B′. Edges to unmapped nodes vanish. Linear in nodes + edges.
 */
import {
  addChild,
  addCount,
  mergeRNodes,
  ownCopy,
  putMerged,
  rnodeOf,
  type RenderResult,
  type RNode,
} from './rnode.js';

/** Topology of endpoint nodes; never counted (Scope never reads endpoint counters). */
const ENDPOINT = 'endpoint';

/** `own`'s create for edge sources, which are always outputs already (no closure per edge). */
function unknownOutput(id: string): RNode {
  throw new Error(`join: edge from unknown output ${id}`);
}

export class Join {
  nodes = new Map<string, RNode>();
  /** Output nodes created (or copied) by this join, which it may therefore mutate. */
  private readonly owned = new Set<RNode>();
  /** input id → output ids (usually one; several when a node joins many parents). */
  private readonly mapped = new Map<string, string | string[]>();

  /** Starts from `nodes` as outputs (Scope's `newJoinResults(inputNodes)`); they keep their ids. */
  seed(nodes: Iterable<RNode>): this {
    for (const n of nodes) this.nodes.set(n.id, n);
    return this;
  }

  /**
   * Starts from `nodes` as outputs, like {@link Join.seed}, using that map itself (which the
   * caller hands over: the join replaces and adds entries) instead of a copy. Before any other call.
   */
  adopt(nodes: Map<string, RNode>): this {
    this.nodes = nodes;
    return this;
  }

  /** The output node `id`, owned by this join, created with `create` when absent. */
  private own(id: string, create: (id: string) => RNode): RNode {
    const existing = this.nodes.get(id);
    if (existing !== undefined && this.owned.has(existing)) return existing;
    const node = existing === undefined ? create(id) : ownCopy(existing);
    this.owned.add(node);
    this.nodes.set(id, node);
    return node;
  }

  private recordMapping(inputId: string, outputId: string): void {
    const prev = this.mapped.get(inputId);
    if (prev === undefined) this.mapped.set(inputId, outputId);
    else if (typeof prev === 'string') {
      if (prev !== outputId) this.mapped.set(inputId, [prev, outputId]);
    } else if (!prev.includes(outputId)) prev.push(outputId);
  }

  /**
   * Adds `m` as a child of output `id` (created by `create` if needed), counts it (unless it is an
   * endpoint), and maps `m`'s edges to `id`. With `withGrandchildren`, `m`'s children come too.
   */
  addChild(m: RNode, id: string, create: (id: string) => RNode, withGrandchildren = false): RNode {
    const out = this.own(id, create);
    addChild(out, m, withGrandchildren);
    if (m.topology !== ENDPOINT) addCount(out, m.topology);
    this.recordMapping(m.id, id);
    return out;
  }

  /** Maps `m` onto output `id` without making it a child (e.g. images in the hosts view keep edges out). */
  mapOnly(inputId: string, id: string): void {
    this.recordMapping(inputId, id);
  }

  /** Adds `n` to the output unchanged except for its edges, which are rewritten like any other. */
  passThrough(n: RNode): void {
    this.passThroughAs(n, n.id);
  }

  /** Like `passThrough` but under a new id; nodes re-keyed to the same id merge. */
  passThroughAs(n: RNode, id: string): void {
    const copy = rnodeOf(n, id, n.latest, n.parents, new Set(), n.connected);
    const existing = this.nodes.get(id);
    const out = existing === undefined ? copy : mergeRNodes(existing, copy);
    this.owned.add(out);
    this.nodes.set(id, out);
    this.recordMapping(n.id, id);
  }

  /** Merges a node into the output as is (no mapping recorded). */
  put(n: RNode): void {
    putMerged(this.nodes, n);
  }

  /** Rewrites the edges of every mapped input of `inputs` onto the outputs. */
  rewriteEdges(inputs: Iterable<RNode>): void {
    const mapped = this.mapped;
    for (const n of inputs) {
      if (n.adjacency.size === 0) continue;
      const outs = mapped.get(n.id);
      if (outs === undefined) continue;
      for (const a of n.adjacency) {
        const dests = mapped.get(a);
        if (dests === undefined) continue;
        if (typeof outs === 'string') this.addEdges(outs, dests);
        else for (const o of outs) this.addEdges(o, dests);
      }
    }
  }

  private addEdges(outId: string, dests: string | string[]): void {
    const out = this.own(outId, unknownOutput);
    if (typeof dests === 'string') out.adjacency.add(dests);
    else for (const d of dests) out.adjacency.add(d);
  }

  /** Finishes the join: edges of `input` rewritten, filtered count reset (Map/join stages reset it). */
  result(input: Iterable<RNode>): RenderResult {
    this.rewriteEdges(input);
    return { nodes: this.nodes, filtered: 0 };
  }
}

/** Scope's Reduce: union of several results, same id ⇒ merged node, filtered counts summed. */
export function reduce(results: readonly RenderResult[]): RenderResult {
  if (results.length === 1) return results[0]!;
  const nodes = new Map<string, RNode>();
  let filtered = 0;
  for (const r of results) {
    filtered += r.filtered;
    for (const n of r.nodes.values()) putMerged(nodes, n);
  }
  return { nodes, filtered };
}
