// HEFT (Topcuoglu, Hariri, Wu, IEEE TPDS 2002): rank nodes by upward rank (mean time over the
// processors plus the mean transfer cost of the heaviest path to the end), then in that order
// put each node on the processor that finishes it earliest, filling idle gaps (insertion policy).
import type { SimGraph } from "../../sim/sim-graph.ts";
import type { Assignment } from "./plan.ts";

export function heftAssignment(sim: SimGraph): Assignment {
  const n = sim.nodes.length;
  const P = sim.processors.length;
  const allowed = (i: number, p: number) => !sim.hostOnly[i] || p === sim.host;
  const meanTime = Float64Array.from(sim.nodes, (_, i) => {
    let s = 0, k = 0;
    for (let p = 0; p < P; p++) if (allowed(i, p)) { s += sim.duration[p]![i]!; k++; }
    return s / k;
  });
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
      const c = meanTransfer(v.bytes);
      for (const s of v.consumers) tail = Math.max(tail, c + rank[s]!);
    }
    rank[i] = meanTime[i]! + tail;
  }
  // Decreasing rank; ties by topological index keep producers first (ranks can tie at zero cost).
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => rank[b]! - rank[a]! || a - b);

  const assign = new Int32Array(n).fill(-1);
  const finish = new Float64Array(n);
  const fused = new Uint8Array(n);
  const busy: [number, number][][] = Array.from({ length: P }, () => []); // sorted [start, end) per processor
  for (const i of order) {
    let best = -1, bestEft = Infinity, bestStart = 0, bestFused = 0;
    for (let p = 0; p < P; p++) {
      if (!allowed(i, p)) continue;
      let ready = 0;
      for (const vi of sim.inputsOf[i]!) {
        const v = sim.values[vi]!;
        const src = v.producer < 0 ? sim.host : assign[v.producer]!;
        const at = v.producer < 0 ? 0 : finish[v.producer]!;
        ready = Math.max(ready, at + (src === p ? 0 : sim.transfer(src, p, v.bytes)));
      }
      const parent = sim.fuseParent[p]![i]!;
      const isFused = parent >= 0 && assign[parent] === p && (!sim.fuseNeedsParentFused[p]![i] || fused[parent] === 1) ? 1 : 0;
      const d = isFused ? 0 : sim.duration[p]![i]!;
      const start = earliestSlot(busy[p]!, ready, d);
      if (start + d < bestEft) { bestEft = start + d; best = p; bestStart = start; bestFused = isFused; }
    }
    assign[i] = best;
    finish[i] = bestEft;
    fused[i] = bestFused;
    insertInterval(busy[best]!, bestStart, bestEft);
  }
  return assign;
}

/** First start >= ready where [start, start + d) fits between the busy intervals. */
function earliestSlot(intervals: [number, number][], ready: number, d: number): number {
  // The intervals are disjoint and sorted, so their ends are sorted too: a binary search skips
  // those that end by `ready` (a linear skip made HEFT quadratic: 7 s of a 25,000-node chain).
  let lo = 0;
  let hi = intervals.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (intervals[mid]![1] <= ready) lo = mid + 1;
    else hi = mid;
  }
  let t = ready;
  for (let k = lo; k < intervals.length; k++) {
    const [s, e] = intervals[k]!;
    if (e <= t) continue;
    if (s >= t + d) return t;
    t = Math.max(t, e);
  }
  return t;
}

function insertInterval(intervals: [number, number][], s: number, e: number): void {
  let at = intervals.length;
  while (at > 0 && intervals[at - 1]![0] > s) at--;
  intervals.splice(at, 0, [s, e]);
}
