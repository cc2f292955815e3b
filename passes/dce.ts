// Dead-code elimination: removes nodes none of whose outputs reach a graph output, in every
// graph and subgraph; nodes with side effects or unknown domains' ops are kept only if live too.
import type { Graph } from "../ir/graph.ts";
import type { Model } from "../ir/model.ts";
import type { Node } from "../ir/node.ts";
import { effectiveInputs } from "../ir/topo.ts";
import type { Pass, PassResult } from "./pass.ts";

/** Removes unreachable nodes and initializers nothing reads; returns counts. */
export function eliminateDeadCode(graph: Graph): { nodes: number; initializers: number } {
  const live = new Set<Node>();
  const stack: Node[] = [];
  const mark = (n: Node | null) => { if (n && n.graph === graph && !live.has(n)) { live.add(n); stack.push(n); } };
  const markValueProducer = (v: { producer: Node | null } | null) => { if (v) mark(v.producer); };
  graph.outputs.forEach(markValueProducer);
  while (stack.length > 0) effectiveInputs(stack.pop()!).forEach(markValueProducer);
  const dead = graph.nodes.filter((n) => !live.has(n));
  // Remove consumers before producers so no removal sees a live use.
  graph.removeNodes(dead);
  let initializers = 0;
  for (const [name, v] of [...graph.initializers]) {
    if (v.uses.length === 0 && !graph.inputs.includes(v) && !graph.outputs.includes(v)) {
      graph.initializers.delete(name);
      v.graph = null;
      initializers++;
    }
  }
  return { nodes: dead.length, initializers };
}

export function dcePass(): Pass {
  return {
    name: "dce",
    description: "remove nodes and initializers that no graph output depends on",
    run(model: Model): PassResult {
      let nodes = 0;
      let initializers = 0;
      // Subgraphs first: a dead node there can make an outer value dead.
      const graphs = [...model.graph.allGraphs()].reverse();
      for (const g of graphs) {
        const r = eliminateDeadCode(g);
        nodes += r.nodes;
        initializers += r.initializers;
      }
      return { changed: nodes + initializers > 0, statistics: { "nodes-removed": nodes, "initializers-removed": initializers } };
    },
  };
}
