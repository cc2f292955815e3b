// The one cost every plan is judged by (cpu-only, gpu-only, greedy, HEFT, CoDL-style, the oracle,
// sparoa's own): the simulated inference plus one runtime call (the profile's runOverheadUs) per
// partition after the first, with the partitions the partition pass will actually cut
// (src/planner/partitions.ts: segments, then contraction). Without the call term a plan of
// seventy one-node partitions could "win" by fractions of a millisecond the calls between
// partitions more than eat up.
//
// Searches evaluate thousands of plans, so they use `searchCost`: the same simulation plus the
// call charge for the exact partitions when the plan has few segments, else for the first,
// linear step's segment count, an upper bound on the partitions (contraction only merges).
// Final choices are always made with `latency`, the exact cost.
import { constantNodes } from "../../ir/node-roles.ts";
import { evaluate, type SimResult } from "../sim/simulator.ts";
import type { SimGraph } from "../sim/sim-graph.ts";
import { PlanEvaluator } from "../sim/fast-eval.ts";
import { PlanCharges } from "../sim/plan-charges.ts";
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
  /** The runtime calls after the first: (partitions - 1) x runOverheadUs. */
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
  /** Ms of one runtime call between partitions. */
  readonly callMs: number;
  readonly evaluator: MakespanEvaluator;
  /** Cut and contention charges (src/sim/plan-charges.ts). */
  readonly charges: PlanCharges;
  private readonly segments: SegmentCounter;
  private readonly processors: Int32Array;
  /** Position in `scheduled` per SimGraph node, -1 for a constant. */
  private readonly position: Int32Array;
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
    this.callMs = sim.profile.runOverheadUs / 1000;
    this.segments = new SegmentCounter(this.scheduledPreds, sim.processors.length);
    this.processors = new Int32Array(this.scheduled.length);
  }

  private scheduledProcessors(assign: ArrayLike<number>): Int32Array {
    for (let k = 0; k < this.scheduled.length; k++) this.processors[k] = assign[this.scheduled[k]!]!;
    return this.processors;
  }

  /** Partitions the partition pass will cut from `assign` (exact: both steps). */
  partitions(assign: ArrayLike<number>): number {
    if (this.scheduled.length === 0) return 1;
    const processors = this.scheduledProcessors(assign);
    const seg = this.segments.segments(processors);
    const merged = contractSegments(seg, processors, this.scheduledPreds);
    let last = 0;
    for (const p of merged) last = Math.max(last, p);
    return last + 1;
  }

  /** The exact cost of a plan. */
  latency(assign: ArrayLike<number>): PlanLatency {
    // Contention is charged for the simulated schedule's overlap, which needs the schedule.
    return this.priced(assign, evaluate(this.sim, assign, this.charges.contends(assign)), this.partitions(assign));
  }

  /**
   * The one plan-latency formula: a simulated inference (`simulated`, with its schedule when the
   * plan contends), one runtime call per partition after the first, the cuts' and the
   * contention's charges (src/sim/plan-charges.ts).
   */
  priced(assign: ArrayLike<number>, simulated: Pick<SimResult, "makespanMs" | "schedule">, partitions: number): PlanLatency {
    const simulatedMs = simulated.makespanMs;
    const callsMs = this.callsMs(partitions);
    const cutsMs = partitions > 1 ? this.charges.cutsMs(assign) : 0;
    const contentionMs = this.charges.contends(assign) ? this.charges.contentionMs(assign, undefined, simulated.schedule) : 0;
    return { ms: simulatedMs + callsMs + cutsMs + contentionMs, simulatedMs, partitions, callsMs, cutsMs, contentionMs };
  }

  /** The runtime calls between `partitions` partitions: one per partition after the first. */
  private callsMs(partitions: number): number {
    return Math.max(0, partitions - 1) * this.callMs;
  }

  /**
   * What searches minimise: the simulation plus the call charge, for the exact partition count
   * when the plan has at most EXACT_SEGMENTS segments (contraction is cheap there), else for the
   * segment count, an upper bound. Either way >= latency().ms, and equal to it for most plans.
   */
  searchCost(assign: ArrayLike<number>): number {
    this.evaluations++;
    return this.charged(this.withCalls(this.evaluator.makespanMs(assign), assign), assign);
  }


  /**
   * Incremental single-node moves when the evaluator has them (PlanEvaluator): `sync` makes an
   * assignment current, `moveCost(assign, node)` is searchCost(assign) for an `assign` that
   * differs from the current one in `node` only (bit-equal, cheaper), `commit` makes it current.
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
    return {
      sync: (assign) => { ev.setAssignment(assign); this.scheduledProcessors(assign); current.set(this.processors); stale = true; },
      moveCost: (assign, node) => {
        this.evaluations++;
        const ms = ev.moveCost(node, assign[node]!);
        if (this.scheduled.length === 0 || this.callMs === 0) return this.charged(ms, assign);
        ensureBaseline();
        const k = this.position[node]!;
        if (k < 0) return this.charged(this.withCalls(ms, current, this.segments.baselineCount()), assign);
        const was = current[k]!;
        current[k] = assign[node]!;
        try {
          return this.charged(this.withCalls(ms, current, this.segments.moveCount(current, k)), assign);
        } finally {
          current[k] = was;
        }
      },
      movesCost: (assign, nodes) => {
        this.evaluations++;
        for (let j = 0; j < nodes.length; j++) procs[j] = assign[nodes[j]!]!;
        const ms = ev.movesCost(nodes, procs, nodes.length);
        if (this.scheduled.length === 0 || this.callMs === 0) return this.charged(ms, assign);
        ensureBaseline();
        let count = 0;
        for (let j = 0; j < nodes.length; j++) {
          const k = this.position[nodes[j]!]!;
          if (k < 0) continue;
          positions[count] = k;
          saved[count++] = current[k]!;
          current[k] = assign[nodes[j]!]!;
        }
        try {
          return this.charged(this.withCalls(ms, current, this.segments.movesCount(current, positions, count)), assign);
        } finally {
          for (let j = count - 1; j >= 0; j--) current[positions[j]!] = saved[j]!;
        }
      },
      commit: (node, proc) => {
        ev.move(node, proc);
        const k = this.position[node]!;
        if (k >= 0 && current[k] !== proc) { current[k] = proc; stale = true; }
      },
    };
  }

  /** ms plus the cut and contention charges of the full assignment `assign` (searches' bound; none without the profile fields). */
  private charged(ms: number, assign: ArrayLike<number>): number {
    return this.charges.active ? ms + this.charges.searchChargeMs(assign) : ms;
  }

  /** ms plus the call charge of a plan given by its scheduled nodes' processors (`segments`: their count, when known). */
  private withCalls(ms: number, assign: ArrayLike<number>, segments?: number): number {
    if (this.scheduled.length === 0 || this.callMs === 0) return ms;
    const processors = segments === undefined ? this.scheduledProcessors(assign) : assign;
    let parts = segments ?? this.segments.count(processors);
    if (parts > 2 && parts <= EXACT_SEGMENTS) {
      let last = 0;
      for (const p of contractSegments(this.segments.segments(processors), processors, this.scheduledPreds)) last = Math.max(last, p);
      parts = last + 1;
    }
    return ms + this.callsMs(parts);
  }
}
