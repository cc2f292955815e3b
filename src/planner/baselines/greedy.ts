// Greedy per node: in topological order, each node goes to the processor where its own time plus
// the transfers of its inputs (from wherever they were placed) is smallest. It looks at one node
// at a time and ignores queueing, which is exactly what makes it a baseline.
import type { SimGraph } from "../../sim/sim-graph.ts";
import type { Assignment } from "./plan.ts";

export function greedyAssignment(sim: SimGraph): Assignment {
  const n = sim.nodes.length;
  const P = sim.processors.length;
  const assign = new Int32Array(n);
  const fused = new Uint8Array(n);
  const srcOf = (vi: number) => { const p = sim.values[vi]!.producer; return p < 0 ? sim.host : assign[p]!; };
  for (let i = 0; i < n; i++) {
    let best = sim.host;
    let bestCost = Infinity;
    let bestFused = 0;
    for (let p = 0; p < P; p++) {
      if (sim.hostOnly[i] && p !== sim.host) continue;
      const parent = sim.fuseParent[p]![i]!;
      const isFused = parent >= 0 && assign[parent] === p && (!sim.fuseNeedsParentFused[p]![i] || fused[parent] === 1) ? 1 : 0;
      let cost = isFused ? 0 : sim.duration[p]![i]!;
      for (const vi of sim.inputsOf[i]!) { const s = srcOf(vi); if (s !== p) cost += sim.transfer(s, p, sim.values[vi]!.bytes); }
      for (const vi of sim.outputsOf[i]!) if (sim.values[vi]!.isGraphOutput && p !== sim.host) cost += sim.transfer(p, sim.host, sim.values[vi]!.bytes);
      if (cost < bestCost) { bestCost = cost; best = p; bestFused = isFused; }
    }
    assign[i] = best;
    fused[i] = bestFused;
  }
  return assign;
}
