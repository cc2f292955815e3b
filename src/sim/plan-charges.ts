// What a plan costs beyond its simulated schedule on a host whose processors are CPU workers of
// one chip (profile fields `contention` and `cutCosts`, measured by `sparoa profile`):
//
// - contention: while k workers of a group are busy at once each runs slower (shared cores, one
//   memory bus). The schedule is simulated at full speed; the time during which j workers overlap
//   then stretches by (slowdown_j - 1), the slowdown blended from the compute-bound (conv,
//   matmul) and memory-bound shares of the group's busy time.
// - cuts: a value produced on one processor and read on another crosses a session boundary,
//   where onnxruntime reorders layouts (NCHWc <-> NCHW around convolutions) and hands the tensor
//   over: half of a measured F|F cut is charged for the producer's family and half for the
//   consumer's, per destination processor. Model inputs and outputs are no cuts.
//
// Both are added to the plan cost (src/planner/plan-cost.ts) rather than woven into the list
// schedule, so the full simulator and the incremental evaluator (fast-eval.ts) stay one
// schedule. Searches charge contention for the busy-time overlap bound (the j-th largest busy
// time, an upper bound of the time j workers overlap for two workers); the exact cost charges
// the overlap of the simulated schedule, never more than the bound.
import { opFamily, type OpFamily } from "../devices/op-family.ts";
import type { CutCostSpec } from "../devices/profile.ts";
import type { SimGraph } from "./sim-graph.ts";
import { fusedNodes, type ScheduledNode } from "./simulator.ts";

interface Group {
  members: number[];
  compute: number[];
  memory: number[];
}

const COMPUTE_BOUND = new Set<OpFamily>(["conv", "matmul"]);

export class PlanCharges {
  private readonly groups: Group[];
  private readonly computeBound: Uint8Array;
  private readonly family: OpFamily[];
  private readonly cuts?: Partial<Record<OpFamily, CutCostSpec>> & { default: CutCostSpec };

  constructor(private readonly sim: SimGraph) {
    const index = new Map(sim.processors.map((p, i) => [p, i]));
    this.groups = (sim.profile.contention ?? []).map((g) => ({ members: g.processors.map((p) => index.get(p)!), compute: g.computeSlowdown, memory: g.memorySlowdown }));
    this.family = sim.nodes.map((n) => opFamily(n.opType));
    this.computeBound = Uint8Array.from(this.family, (f) => (COMPUTE_BOUND.has(f) ? 1 : 0));
    this.cuts = sim.profile.cutCosts;
  }

  /** True when the profile charges anything beyond the schedule. */
  get active(): boolean {
    return this.groups.length > 0 || this.cuts !== undefined;
  }

  /** Whether `assign` keeps two or more processors of a contention group busy. */
  contends(assign: ArrayLike<number>): boolean {
    if (this.groups.length === 0) return false;
    const used = this.usedProcessors(assign);
    return this.groups.some((g) => g.members.filter((p) => used[p]).length >= 2);
  }

  /** Milliseconds of contention, from busy times (`schedule` absent: the searches' upper bound) or a schedule's overlap. */
  contentionMs(assign: ArrayLike<number>, fused = fusedNodes(this.sim, assign), schedule?: readonly ScheduledNode[]): number {
    if (!this.contends(assign)) return 0;
    const P = this.sim.processors.length;
    const busyCompute = new Float64Array(P);
    const busyMemory = new Float64Array(P);
    for (let i = 0; i < this.sim.nodes.length; i++) {
      if (fused[i]) continue;
      const p = assign[i]!;
      const ms = this.sim.duration[p]![i]!;
      if (this.computeBound[i]) busyCompute[p] += ms;
      else busyMemory[p] += ms;
    }
    let total = 0;
    for (const g of this.groups) {
      let c = 0;
      let all = 0;
      for (const p of g.members) { c += busyCompute[p]!; all += busyCompute[p]! + busyMemory[p]!; }
      if (all === 0) continue;
      const share = c / all;
      const slowdown = (j: number) => { const k = Math.min(j - 2, g.compute.length - 1, g.memory.length - 1); return share * g.compute[k]! + (1 - share) * g.memory[k]!; };
      // levels[j]: time with at least j group members busy (index 1 unused).
      const bound = g.members.map((p) => busyCompute[p]! + busyMemory[p]!).sort((a, b) => b - a);
      const levels = schedule ? overlapLevels(schedule, g.members.map((p) => this.sim.processors[p]!), bound.length) : undefined;
      // Each moment with exactly j busy stretches by (slowdown_j - 1); summed by parts, that is
      // the sum over j of (slowdown_j - slowdown_(j-1)) x (time with at least j busy), slowdowns
      // kept non-decreasing, so a smaller overlap never costs more (the exact cost <= the bound).
      let extra = 0;
      let previous = 1;
      for (let j = 2; j <= bound.length; j++) {
        const s = Math.max(previous, slowdown(j));
        const atLeast = levels ? Math.min(levels[j - 1]!, bound[j - 1]!) : bound[j - 1]!;
        extra += (s - previous) * atLeast;
        previous = s;
      }
      total += extra;
    }
    return total;
  }

  /** Milliseconds of the layout reorders and hand-offs at the plan's cuts. */
  cutsMs(assign: ArrayLike<number>, fused = fusedNodes(this.sim, assign)): number {
    if (!this.cuts) return 0;
    const sim = this.sim;
    const P = sim.processors.length;
    const sideOn = new Float64Array(P);
    let total = 0;
    for (const v of sim.values) {
      if (v.producer < 0) continue;
      const src = assign[v.producer]!;
      sideOn.fill(-1);
      for (const c of v.consumers) {
        const d = assign[c]!;
        if (d === src) continue;
        sideOn[d] = Math.max(sideOn[d]!, this.side(this.family[c]!, v.bytes));
      }
      let destinations = 0;
      for (let d = 0; d < P; d++) if (sideOn[d]! >= 0) { total += sideOn[d]!; destinations++; }
      if (destinations > 0) total += destinations * this.side(this.rootFamily(v.producer, assign, fused), v.bytes);
    }
    return total;
  }

  /**
   * One side of a cut at node `i` for a value of `bytes`, ms: the consumer's side by its own
   * family, the producer's by the family of the kernel that writes it (its fusion root). 0
   * without measured cut costs. The runtime-faithful schedule (partition-schedule.ts) charges
   * the sides inside the partitions that pay them, so cuts on parallel branches overlap.
   */
  cutSideMs(i: number, bytes: number, assign: ArrayLike<number>, fused: Uint8Array, producer: boolean): number {
    if (!this.cuts) return 0;
    return this.side(producer ? this.rootFamily(i, assign, fused) : this.family[i]!, bytes);
  }

  /** Everything charged beyond the schedule for the searches (an upper bound of the exact charge). */
  searchChargeMs(assign: ArrayLike<number>): number {
    if (!this.active || this.usedCount(assign) < 2) return 0;
    const fused = fusedNodes(this.sim, assign);
    return this.cutsMs(assign, fused) + this.contentionMs(assign, fused);
  }

  private side(family: OpFamily, bytes: number): number {
    const c = this.cuts![family] ?? this.cuts!.default;
    return c.latencyUs / 1000 + bytes / (c.bandwidthGBs * 1e6);
  }

  /** The family of the kernel that writes node i's output: its fusion root's (Conv for a fused Relu). */
  private rootFamily(i: number, assign: ArrayLike<number>, fused: Uint8Array): OpFamily {
    let k = i;
    while (fused[k]) k = this.sim.fuseParent[assign[k]!]![k]!;
    return this.family[k]!;
  }

  private usedProcessors(assign: ArrayLike<number>): Uint8Array {
    const used = new Uint8Array(this.sim.processors.length);
    for (let i = 0; i < this.sim.nodes.length; i++) if (this.sim.duration[assign[i]!]![i]! > 0) used[assign[i]!] = 1;
    return used;
  }

  private usedCount(assign: ArrayLike<number>): number {
    const first = assign.length > 0 ? assign[0]! : 0;
    for (let i = 1; i < assign.length; i++) if (assign[i] !== first) return 2;
    return 1;
  }
}

/** levels[j - 1]: ms during which at least j of `processors` run a (non-fused) node in `schedule`. */
function overlapLevels(schedule: readonly ScheduledNode[], processors: readonly string[], k: number): number[] {
  const events: [number, number][] = [];
  const members = new Set(processors);
  for (const s of schedule) {
    if (s.fused || !members.has(s.processor) || s.endMs <= s.startMs) continue;
    events.push([s.startMs, 1], [s.endMs, -1]);
  }
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const levels = new Array<number>(k).fill(0);
  let busy = 0;
  let last = 0;
  for (const [t, delta] of events) {
    for (let j = 1; j <= Math.min(busy, k); j++) levels[j - 1]! += t - last;
    busy += delta;
    last = t;
  }
  return levels;
}
