// Topological order of a graph's nodes: Kahn's algorithm with a heap on the current position,
// so an already sorted graph keeps its order. Iterative throughout: 100k-node chains are fine.
import { SparoaError } from "./sparoa-error.ts";
import type { Graph } from "./graph.ts";
import type { Node } from "./node.ts";
import type { Value } from "./value.ts";
import { Heap } from "./heap.ts";

export class CycleError extends SparoaError {
  constructor(readonly graphName: string, readonly cycle: Node[]) {
    super(`graph '${graphName}' has a cycle: ${cycle.map((n) => n.name || n.opType).join(" -> ")}`);
  }
}

/** Values a node reads, including those its subgraphs read from enclosing scopes. */
export function effectiveInputs(node: Node): Value[] {
  const out: Value[] = [];
  for (const v of node.inputs) if (v) out.push(v);
  const subgraphs = node.subgraphs();
  if (subgraphs.length === 0) return out;
  const inner = new Set<Graph>();
  for (const sub of subgraphs) for (const g of sub.allGraphs()) inner.add(g);
  for (const g of inner) {
    for (const n of g.nodes) for (const v of n.inputs) if (v && (v.graph === null || !inner.has(v.graph))) out.push(v);
    for (const v of g.outputs) if (v.graph === null || !inner.has(v.graph)) out.push(v);
  }
  return out;
}

/** Producer-before-consumer order of `graph`'s own nodes; throws CycleError naming a cycle. */
export function topologicalOrder(graph: Graph): Node[] {
  const nodes = graph.nodes;
  const n = nodes.length;
  const position = new Map<Node, number>();
  nodes.forEach((node, i) => position.set(node, i));
  // Edges in flat typed arrays (no Set or array per node: this runs on 100k-node graphs).
  const predecessors: number[] = [];
  const pending = new Int32Array(n);
  const seenBy = new Int32Array(n).fill(-1); // seenBy[p] === i: p already counted as a predecessor of i
  for (let i = 0; i < n; i++) {
    const node = nodes[i]!;
    const reads = node.attributes.size === 0 ? node.inputs : effectiveInputs(node);
    for (const v of reads) {
      const p = v?.producer ? position.get(v.producer) : undefined;
      if (p === undefined || seenBy[p] === i) continue;
      seenBy[p] = i;
      predecessors.push(p, i);
      pending[i]!++;
    }
  }
  const successorStart = new Int32Array(n + 1);
  for (let k = 0; k < predecessors.length; k += 2) successorStart[predecessors[k]! + 1]!++;
  for (let i = 0; i < n; i++) successorStart[i + 1]! += successorStart[i]!;
  const successorList = new Int32Array(predecessors.length / 2);
  const fill = successorStart.slice(0, n);
  for (let k = 0; k < predecessors.length; k += 2) successorList[fill[predecessors[k]!]!++] = predecessors[k + 1]!;
  const successors = (i: number) => successorList.subarray(successorStart[i]!, successorStart[i + 1]!);

  const heap = new Heap<number>((a, b) => a < b);
  for (let i = 0; i < n; i++) if (pending[i] === 0) heap.push(i);
  const order: Node[] = [];
  while (heap.size > 0) {
    const i = heap.pop()!;
    order.push(nodes[i]!);
    for (const s of successors(i)) if (--pending[s]! === 0) heap.push(s);
  }
  if (order.length < n) {
    const stuck = new Set<number>();
    pending.forEach((count, i) => { if (count > 0) stuck.add(i); });
    throw new CycleError(graph.name, findCycle(stuck, successors).map((i) => nodes[i]!));
  }
  return order;
}

/** One cycle among the nodes Kahn could not order (iterative DFS, colours white/grey/black). */
function findCycle(stuck: Set<number>, successors: (i: number) => ArrayLike<number>): number[] {
  const colour = new Map<number, 1 | 2>();
  for (const start of stuck) {
    if (colour.has(start)) continue;
    const path: number[] = [start];
    const iters: number[] = [0];
    colour.set(start, 1);
    while (path.length > 0) {
      const top = path[path.length - 1]!;
      const succ = Array.from(successors(top)).filter((s) => stuck.has(s));
      const k = iters[iters.length - 1]!;
      if (k >= succ.length) {
        colour.set(top, 2);
        path.pop();
        iters.pop();
        continue;
      }
      iters[iters.length - 1] = k + 1;
      const next = succ[k]!;
      if (colour.get(next) === 1) return [...path.slice(path.indexOf(next)), next];
      if (!colour.has(next)) {
        colour.set(next, 1);
        path.push(next);
        iters.push(0);
      }
    }
  }
  return [...stuck].slice(0, 1);
}
