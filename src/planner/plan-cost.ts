// The one cost every plan is judged by (cpu-only, gpu-only, greedy, HEFT, CoDL-style, the oracle,
// sparoa's own), with the partitions the partition pass will actually cut (src/planner/
// partitions.ts: segments, then contraction). A one-partition plan costs its simulated inference.
// A split plan is priced as the bundled runtime runs it (src/sim/partition-schedule.ts): whole
// partitions, one at a time per processor, each started once all its inputs are there, each
// paying a run call (the profile's partitionCallUs) and the cut costs at its boundary, the request
// its own cost once (runOverheadUs: through the runtime's workers, more than one call). The
// node-level simulation lets processors interleave nodes across partitions, which the runtime
// cannot: it priced split plans 20-55% fast on this machine (docs/benchmarks.md, issue 13). The
// call term also stops a plan of seventy one-node partitions from "winning" by fractions of a
// millisecond that the calls between partitions more than eat up.
//
// Searches evaluate thousands of plans through `searchCost`: exactly `latency` for plans of up to
// EXACT_SEGMENTS segments (the first, linear step of partitioning); above that, the node-level
// simulation plus a call per segment and the charges' bound, an estimate. Final choices are
// always made with `latency`, the exact cost.
import { constantNodes } from "../../ir/node-roles.ts";
import { evaluate, fusedNodes, type SimResult } from "../sim/simulator.ts";
import type { SimGraph } from "../sim/sim-graph.ts";
import { PlanEvaluator } from "../sim/fast-eval.ts";
import { PlanCharges } from "../sim/plan-charges.ts";
import { PartitionScheduler } from "../sim/partition-schedule.ts";
import { makespanEvaluator, type MakespanEvaluator } from "./evaluator.ts";
import { contractSegments, SegmentCounter } from "./partitions.ts";

/** Plans with at most this many segments get their exact partition count in searches. */
const EXACT_SEGMENTS = 24;

export interface IncrementalCost {
  sync(assign: Int32Array): void;
  moveCost(assign: Int32Array, node: number): number;
  /** searchCost(assign) for an `assign` that differs from the current plan in `nodes` only. */
  movesCost(assign: Int32Array, nodes: ArrayLike<number>): number;
  commit(node: number, proc: number): void;
}

export interface PlanLatency {
  /** Predicted latency of the plan: simulatedMs + callsMs + cutsMs + contentionMs. */
  ms: number;
  /** One simulated inference (includes one runtime call). */
  simulatedMs: number;
  /** Partitions the partition pass cuts from this plan. */
  partitions: number;
  /** The runtime calls after the first: (partitions - 1) x partitionCallUs (default runOverheadUs). */
  callsMs: number;
  /** Layout reorders and hand-offs at the cuts between processors (profile `cutCosts`; 0 without). */
  cutsMs: number;
  /** Slowdown of processors that share cores or bandwidth while busy at once (profile `contention`; 0 without). */
  contentionMs: number;
}

export class PlanCost {
  /** Nodes the partitioner schedules (every node but constants, which partitions recompute). */
  readonly scheduled: number[];
  /** Per scheduled node, the positions of its scheduled producers in `scheduled`. */
  readonly scheduledPreds: number[][];
  /** Ms of each further partition's run call (profile partitionCallUs, default runOverheadUs). */
  readonly callMs: number;
  /** Ms of the request itself, paid once (profile runOverheadUs). */
  readonly requestMs: number;
  readonly evaluator: MakespanEvaluator;
  /** Cut and contention charges (src/sim/plan-charges.ts). */
  readonly charges: PlanCharges;
  private readonly segments: SegmentCounter;
  private readonly processors: Int32Array;
  /** Position in `scheduled` per SimGraph node, -1 for a constant. */
  private readonly position: Int32Array;
  /** The runtime-faithful schedule of split plans, its buffers allocated once. */
  private readonly scheduler: PartitionScheduler;
  /** Calls of searchCost (each one simulation). */
  evaluations = 0;

  constructor(readonly sim: SimGraph, evaluator: MakespanEvaluator = makespanEvaluator(sim)) {
    this.evaluator = evaluator;
    this.charges = new PlanCharges(sim);
    const graph = sim.nodes[0]?.graph;
    const constants = graph ? constantNodes(graph, sim.nodes) : new Set();
    const n = sim.nodes.length;
    const position = (this.position = new Int32Array(n).fill(-1));
    this.scheduled = [];
    for (let i = 0; i < n; i++) if (!constants.has(sim.nodes[i]!)) { position[i] = this.scheduled.length; this.scheduled.push(i); }
    this.scheduledPreds = this.scheduled.map((i) => [...new Set(sim.inputsOf[i]!.map((vi) => sim.values[vi]!.producer).filter((p) => p >= 0 && position[p]! >= 0).map((p) => position[p]!))]);
    this.callMs = (sim.profile.partitionCallUs ?? sim.profile.runOverheadUs) / 1000;
    this.requestMs = sim.profile.runOverheadUs / 1000;
    this.segments = new SegmentCounter(this.scheduledPreds, sim.processors.length);
    this.processors = new Int32Array(this.scheduled.length);
    this.scheduler = new PartitionScheduler(sim);
  }

  private scheduledProcessors(assign: ArrayLike<number>): Int32Array {
    for (let k = 0; k < this.scheduled.length; k++) this.processors[k] = assign[this.scheduled[k]!]!;
    return this.processors;
  }

  /** Partitions the partition pass will cut from `assign` (exact: both steps). */
  partitions(assign: ArrayLike<number>): number {
    return this.partitionIndex(assign).count;
  }

  /** Partition index per SimGraph node as the partition pass numbers them (-1 for constants), and their count. */
  partitionIndex(assign: ArrayLike<number>): { partitionOf: Int32Array; count: number } {
    const partitionOf = new Int32Array(this.sim.nodes.length).fill(-1);
    if (this.scheduled.length === 0) return { partitionOf, count: 1 };
    const processors = this.scheduledProcessors(assign);
    const merged = contractSegments(this.segments.segments(processors), processors, this.scheduledPreds);
    let last = 0;
    merged.forEach((p, k) => { partitionOf[this.scheduled[k]!] = p; last = Math.max(last, p); });
    return { partitionOf, count: last + 1 };
  }

  /**
   * The exact cost of a plan. One partition: the simulated inference. Several: the runtime's own
   * schedule of whole partitions (src/sim/partition-schedule.ts), each with its call; the calls
   * after the first are reported apart (callsMs) so the breakdown adds up as for one partition.
   */
  latency(assign: ArrayLike<number>): PlanLatency {
    const { partitionOf, count } = this.partitionIndex(assign);
    // Contention is charged for the schedule's overlap, which needs the schedule.
    if (count <= 1) return this.priced(assign, evaluate(this.sim, assign, this.charges.contends(assign)), count);
    const fused = fusedNodes(this.sim, assign);
    // Without the profile's charges nothing reads the node layout (contention needs them).
    const bare = this.scheduler.run(assign, partitionOf, count, this.callMs, { fused, detail: false });
    // The schedule charged a partition call per partition: the first is the request's instead.
    const simulated = bare.makespanMs - this.callMs + this.requestMs - this.callsMs(count);
    if (!this.charges.active) return this.priced(assign, { makespanMs: simulated, schedule: [] }, count, 0, fused);
    // Cut sides are paid inside the partitions on each side (cuts on parallel branches overlap);
    // their share of the makespan is reported as cutsMs.
    const cutSide = (i: number, bytes: number, producer: boolean) => this.charges.cutSideMs(i, bytes, assign, fused, producer);
    const run = this.scheduler.run(assign, partitionOf, count, this.callMs, { cutSide, fused, detail: this.charges.contends(assign) });
    return this.priced(assign, { makespanMs: simulated, schedule: run.schedule }, count, Math.max(0, run.makespanMs - bare.makespanMs), fused);
  }

  /**
   * The one plan-latency formula: a simulated inference (`simulated`, with its schedule when the
   * plan contends), one runtime call per partition after the first, the cuts' charge (for a split
   * plan, what its cut sides add to the runtime's schedule) and the contention's
   * (src/sim/plan-charges.ts).
   */
  private priced(assign: ArrayLike<number>, simulated: Pick<SimResult, "makespanMs" | "schedule">, partitions: number, cutsMs = partitions > 1 ? this.charges.cutsMs(assign) : 0, fused?: Uint8Array): PlanLatency {
    const simulatedMs = simulated.makespanMs;
    const callsMs = this.callsMs(partitions);
    const contentionMs = this.charges.contends(assign) ? this.charges.contentionMs(assign, fused, simulated.schedule) : 0;
    return { ms: simulatedMs + callsMs + cutsMs + contentionMs, simulatedMs, partitions, callsMs, cutsMs, contentionMs };
  }

  /** The runtime calls between `partitions` partitions: one per partition after the first. */
  private callsMs(partitions: number): number {
    return Math.max(0, partitions - 1) * this.callMs;
  }

  /**
   * What searches minimise. A plan of at most EXACT_SEGMENTS segments (most plans: contraction
   * is cheap there) costs exactly latency().ms, the runtime's partition schedule included. Above
   * that, the node-level simulation plus a call per segment and the searches' bound of the cut and
   * contention charges: an estimate that does not see partitions wait for each other, so final
   * choices are always made with latency().
   */
  searchCost(assign: ArrayLike<number>): number {
    this.evaluations++;
    const segments = this.scheduled.length === 0 ? 1 : this.segments.count(this.scheduledProcessors(assign));
    if (segments >= 2 && segments <= EXACT_SEGMENTS) return this.latency(assign).ms;
    return this.estimate(this.evaluator.makespanMs(assign), segments, assign);
  }

  /** The estimate above EXACT_SEGMENTS segments (or of a one-segment plan, where it is exact): `ms` simulated. */
  private estimate(ms: number, segments: number, assign: ArrayLike<number>): number {
    const withCalls = this.scheduled.length === 0 ? ms : ms + this.callsMs(segments);
    return this.charges.active ? withCalls + this.charges.searchChargeMs(assign) : withCalls;
  }

  /**
   * Incremental single-node moves when the evaluator has them (PlanEvaluator): `sync` makes an
   * assignment current, `moveCost(assign, node)` is searchCost(assign) for an `assign` that
   * differs from the current one in `node` only (bit-equal, cheaper), `commit` makes it current.
   * A move's segment count is replayed incrementally; plans priced exactly are priced in full.
   */
  incremental(): IncrementalCost | undefined {
    const ev = this.evaluator;
    if (!(ev instanceof PlanEvaluator)) return undefined;
    // The segment counter's baseline follows the evaluator's current plan (re-recorded lazily
    // after a commit, as the evaluator's schedule is); a move's count replays only what it changes.
    const current = new Int32Array(this.scheduled.length);
    let stale = true;
    let generation = -1;
    // The counter is shared by every session of this cost: re-record when another replaced it.
    const ensureBaseline = () => {
      if (!stale && generation === this.segments.generation) return;
      this.segments.setBaseline(current);
      generation = this.segments.generation;
      stale = false;
    };
    const positions = new Int32Array(this.scheduled.length);
    const procs = new Int32Array(this.sim.nodes.length);
    const saved = new Int32Array(this.scheduled.length);
    const priced = (assign: Int32Array, segments: number, simulated: () => number) =>
      segments >= 2 && segments <= EXACT_SEGMENTS ? this.latency(assign).ms : this.estimate(simulated(), segments, assign);
    return {
      sync: (assign) => { ev.setAssignment(assign); this.scheduledProcessors(assign); current.set(this.processors); stale = true; },
      moveCost: (assign, node) => {
        this.evaluations++;
        if (this.scheduled.length === 0) return this.estimate(ev.moveCost(node, assign[node]!), 1, assign);
        ensureBaseline();
        const k = this.position[node]!;
        if (k < 0) return priced(assign, this.segments.baselineCount(), () => ev.moveCost(node, assign[node]!));
        const was = current[k]!;
        current[k] = assign[node]!;
        let segments: number;
        try {
          segments = this.segments.moveCount(current, k);
        } finally {
          current[k] = was;
        }
        return priced(assign, segments, () => ev.moveCost(node, assign[node]!));
      },
      movesCost: (assign, nodes) => {
        this.evaluations++;
        for (let j = 0; j < nodes.length; j++) procs[j] = assign[nodes[j]!]!;
        const simulated = () => ev.movesCost(nodes, procs, nodes.length);
        if (this.scheduled.length === 0) return this.estimate(simulated(), 1, assign);
        ensureBaseline();
        let count = 0;
        for (let j = 0; j < nodes.length; j++) {
          const k = this.position[nodes[j]!]!;
          if (k < 0) continue;
          positions[count] = k;
          saved[count++] = current[k]!;
          current[k] = assign[nodes[j]!]!;
        }
        let segments: number;
        try {
          segments = this.segments.movesCount(current, positions, count);
        } finally {
          for (let j = count - 1; j >= 0; j--) current[positions[j]!] = saved[j]!;
        }
        return priced(assign, segments, simulated);
      },
      commit: (node, proc) => {
        ev.move(node, proc);
        const k = this.position[node]!;
        if (k >= 0 && current[k] !== proc) { current[k] = proc; stale = true; }
      },
    };
  }
}
