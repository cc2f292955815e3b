// HEFT's upward rank (rank_u, Topcuoglu, Hariri, Wu, IEEE TPDS 2002): a node's mean time over the
// processors that may run it plus the heaviest path to the end, each edge at its mean transfer
// time over the processor pairs. It depends on the compiled graph only, not on a placement: the
// simulator's ready queues order by it (simulator.ts, list-schedule.ts), so a move never changes a
// priority, and the HEFT baseline ranks nodes by it.
import type { SimGraph } from "./sim-graph.ts";

/** rank_u of every node of `sim` (index = node index). Unfused times; fusion depends on placement. */
export function upwardRanks(sim: Pick<SimGraph, "nodes" | "processors" | "host" | "hostOnly" | "duration" | "transfer" | "values" | "outputsOf">): Float64Array {
  const n = sim.nodes.length;
  const P = sim.processors.length;
  const allowed = (i: number, p: number) => !sim.hostOnly[i] || p === sim.host;
  const meanTime = (i: number) => {
    let s = 0, k = 0;
    for (let p = 0; p < P; p++) if (allowed(i, p)) { s += sim.duration[p]![i]!; k++; }
    return s / k;
  };
  const meanTransfer = (bytes: number) => {
    if (P < 2) return 0;
    let s = 0, k = 0;
    for (let a = 0; a < P; a++) for (let b = 0; b < P; b++) if (a !== b) { s += sim.transfer(a, b, bytes); k++; }
    return s / k;
  };
  const rank = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let tail = 0;
    for (const vi of sim.outputsOf[i]!) {
      const v = sim.values[vi]!;
      if (v.consumers.length === 0) continue;
      const c = meanTransfer(v.bytes);
      for (const s of v.consumers) tail = Math.max(tail, c + rank[s]!);
    }
    rank[i] = meanTime(i) + tail;
  }
  return rank;
}
