// Stable topological sort: every graph's nodes sorted producer-first, keeping the existing
// order wherever it is already valid, so sorted models are left untouched. Registered as
// `topo-sort`; `canonicalize`, its old name, still works in pipelines (passes/builtin-passes.ts).
import type { Model } from "../ir/model.ts";
import { topologicalOrder } from "../ir/topo.ts";
import type { Pass, PassResult } from "./pass.ts";

export function topoSortPass(): Pass {
  return {
    name: "topo-sort",
    description: "sort every graph's nodes topologically (stable), naming any cycle",
    preserves: "all",
    run(model: Model): PassResult {
      let moved = 0;
      for (const g of model.graph.allGraphs()) {
        const order = topologicalOrder(g);
        const displaced = order.filter((n, i) => g.nodes[i] !== n).length;
        if (displaced > 0) g.reorder(order);
        moved += displaced;
      }
      return { changed: moved > 0, statistics: { "nodes-moved": moved } };
    },
  };
}
