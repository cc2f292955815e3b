// The plan evaluator search runs on: the makespan evaluate() (simulator.ts) would report, for whole
// assignments and for single-node moves from a current one, without building a SimResult. It
// simulates only the timed part of the graph (timed-graph.ts: constants dropped) with the typed
// list scheduler (list-schedule.ts), keeps fusion and node times up to date per move instead of
// recomputing them, and evaluates a move incrementally against the current plan's recorded
// schedule. Results equal evaluate(sim, assign).makespanMs exactly (test/sim/fast-eval.test.ts);
// bench/sim-speed.ts measures the speed; docs/devices.md explains how.
import type { SimGraph } from "./sim-graph.ts";
import { ListScheduler, type TrialChange } from "./list-schedule.ts";
import { compileTimed, type TimedGraph } from "./timed-graph.ts";

/** Assignment state: processor per SimGraph node, fusion, and the timed nodes' processors and times. */
class AssignmentState {
  readonly assign: Int32Array;
  readonly fused: Uint8Array;
  readonly timedAssign: Int32Array;
  readonly timedDuration: Float64Array;

  constructor(private readonly g: TimedGraph) {
    this.assign = new Int32Array(g.n);
    this.fused = new Uint8Array(g.n);
    this.timedAssign = new Int32Array(g.m);
    this.timedDuration = new Float64Array(g.m);
  }

  load(assign: ArrayLike<number>): void {
    const g = this.g;
    if (assign.length !== g.n) throw new Error(`assignment has ${assign.length} entries; the graph has ${g.n} nodes`);
    for (let i = 0; i < g.n; i++) {
      const p = assign[i]!;
      if (!(p >= 0 && p < g.processors) || !Number.isInteger(p)) throw new Error(`assignment of node ${i} is ${p}; processors are 0..${g.processors - 1}`);
      this.assign[i] = p;
    }
    for (let i = 0; i < g.n; i++) this.fused[i] = this.fusedNow(i);
    for (let k = 0; k < g.m; k++) {
      const i = g.nodeOf[k]!;
      this.timedAssign[k] = this.assign[i]!;
      this.timedDuration[k] = this.durationOf(i);
    }
  }

  /** Whether node i runs inside its fusion parent's kernel, as simulator.ts fusedNodes(). */
  fusedNow(i: number): 0 | 1 {
    const g = this.g;
    const p = this.assign[i]!;
    const at = p * g.n + i;
    const parent = g.fuseParent[at]!;
    return parent >= 0 && this.assign[parent] === p && (!g.fuseNeedsParentFused[at] || this.fused[parent] === 1) ? 1 : 0;
  }

  durationOf(i: number): number {
    return this.fused[i] ? 0 : this.g.duration[this.assign[i]! * this.g.n + i]!;
  }

  /**
   * Puts node `node` on `proc`, updating the fusion of its fusion descendants; appends every node
   * whose fusion it rewrote (with the old flag) to `log` so that undo() can restore them. With
   * `append`, the log keeps the moves before it (a group of moves undone together).
   */
  move(node: number, proc: number, log: MoveLog, append = false): void {
    const g = this.g;
    if (!append) { log.count = 0; log.moves = 0; }
    log.reserve(log.count + g.n);
    log.nodes[log.moves] = node;
    log.froms[log.moves++] = this.assign[node]!;
    this.assign[node] = proc;
    const stack = log.stack;
    let top = 0;
    stack[top++] = node;
    while (top > 0) {
      const i = stack[--top]!;
      const f = this.fusedNow(i);
      if (f === this.fused[i] && i !== node) continue;
      log.touched[log.count] = i;
      log.oldFused[log.count++] = this.fused[i]!;
      this.fused[i] = f;
      const k = g.timedOf[i]!;
      if (k >= 0) { this.timedAssign[k] = this.assign[i]!; this.timedDuration[k] = this.durationOf(i); }
      for (let c = g.fuseChildStart[i]!, ce = g.fuseChildStart[i + 1]!; c < ce; c++) stack[top++] = g.fuseChildList[c]!;
    }
  }

  undo(log: MoveLog): void {
    const g = this.g;
    for (let j = log.moves - 1; j >= 0; j--) this.assign[log.nodes[j]!] = log.froms[j]!;
    for (let j = log.count - 1; j >= 0; j--) this.fused[log.touched[j]!] = log.oldFused[j]!;
    for (let j = 0; j < log.count; j++) {
      const i = log.touched[j]!;
      const k = g.timedOf[i]!;
      if (k >= 0) { this.timedAssign[k] = this.assign[i]!; this.timedDuration[k] = this.durationOf(i); }
    }
  }
}

/** What one move changed, to undo it. Sized for the whole graph once: moves allocate nothing. */
class MoveLog {
  /** The moved nodes and their processors before, in order. */
  readonly nodes: Int32Array;
  readonly froms: Int32Array;
  moves = 0;
  count = 0;
  touched: Int32Array;
  oldFused: Uint8Array;
  readonly stack: Int32Array;

  constructor(n: number, fusionEdges: number) {
    this.nodes = new Int32Array(n);
    this.froms = new Int32Array(n);
    // A node's fusion can be rewritten once per move of a group.
    this.touched = new Int32Array(n);
    this.oldFused = new Uint8Array(n);
    this.stack = new Int32Array(n + fusionEdges + 1);
  }

  /** Room for `entries` touched nodes (a move touches each node at most once). */
  reserve(entries: number): void {
    if (entries <= this.touched.length) return;
    const size = Math.max(entries, 2 * this.touched.length);
    const touched = new Int32Array(size);
    touched.set(this.touched.subarray(0, this.count));
    const oldFused = new Uint8Array(size);
    oldFused.set(this.oldFused.subarray(0, this.count));
    this.touched = touched;
    this.oldFused = oldFused;
  }
}

/**
 * Makespans of plans of one compiled graph. Node indices and assignments are SimGraph's (as
 * evaluate()): assign[i] is the processor index of sim.nodes[i].
 *
 *   const ev = new PlanEvaluator(sim);
 *   ev.setAssignment(start);
 *   const ms = ev.moveCost(node, gpu);   // makespan if node ran on the GPU; nothing changes
 *   if (ms < best) ev.move(node, gpu);   // commit
 */
export class PlanEvaluator {
  readonly graph: TimedGraph;
  /** Runs whole assignments (makespanMs). */
  private readonly scheduler: ListScheduler;
  /** Holds the current assignment's schedule as the baseline that moves are tried against. */
  private readonly incremental: ListScheduler;
  private baselineValid = false;
  private readonly change: TrialChange & { moved: Int32Array; retimed: Int32Array };
  private readonly current: AssignmentState;
  private readonly scratch: AssignmentState;
  private readonly log: MoveLog;
  /** Scratch flags over timed nodes (changeOf). */
  private readonly mark: Uint8Array;
  private loaded = false;
  private currentMs = NaN;
  private count = 0;

  constructor(readonly sim: SimGraph) {
    this.graph = compileTimed(sim);
    this.scheduler = new ListScheduler(this.graph);
    this.incremental = new ListScheduler(this.graph);
    this.change = { moved: new Int32Array(this.graph.n), movedCount: 0, retimed: new Int32Array(this.graph.n), retimedCount: 0 };
    this.current = new AssignmentState(this.graph);
    this.scratch = new AssignmentState(this.graph);
    this.log = new MoveLog(this.graph.n, this.graph.fuseChildList.length);
    this.mark = new Uint8Array(this.graph.m);
  }

  /**
   * Plans evaluated so far: calls of makespanMs and moveCost (a search's budget counts these; a
   * moveCost to the node's own processor answers the current makespan and is not counted).
   */
  get evaluations(): number { return this.count; }

  /** evaluate(sim, assign).makespanMs; leaves the current assignment alone. */
  makespanMs(assign: ArrayLike<number>): number {
    this.scratch.load(assign);
    return this.run(this.scratch);
  }

  /** Makes `assign` the current assignment that moveCost and move start from. */
  setAssignment(assign: ArrayLike<number>): void {
    this.current.load(assign);
    this.loaded = true;
    this.currentMs = NaN;
    this.baselineValid = false;
  }

  /** The current assignment (a copy). */
  assignment(): Int32Array {
    this.requireLoaded();
    return this.current.assign.slice();
  }

  /** Makespan of the current assignment. */
  currentMakespanMs(): number {
    this.requireLoaded();
    if (!this.baselineValid) {
      this.currentMs = this.incremental.setBaseline(this.current.timedAssign, this.current.timedDuration);
      this.baselineValid = true;
    }
    return this.currentMs;
  }

  /** Makespan if `node` ran on `proc`, everything else as now; the current assignment is unchanged. */
  moveCost(node: number, proc: number): number {
    this.checkMove(node, proc);
    if (this.current.assign[node] === proc) return this.currentMakespanMs();
    this.currentMakespanMs();
    this.current.move(node, proc, this.log);
    try {
      this.count++;
      return this.incremental.trialMs(this.current.timedAssign, this.current.timedDuration, this.changeOf(this.log));
    } finally {
      this.current.undo(this.log);
    }
  }

  /**
   * Makespan if `nodes[j]` ran on `procs[j]` (j < count, distinct nodes), everything else as now,
   * from the same recorded schedule as moveCost; the current assignment is unchanged.
   */
  movesCost(nodes: ArrayLike<number>, procs: ArrayLike<number>, count = nodes.length): number {
    for (let j = 0; j < count; j++) this.checkMove(nodes[j]!, procs[j]!);
    this.currentMakespanMs();
    let moved = 0;
    try {
      for (let j = 0; j < count; j++) {
        if (this.current.assign[nodes[j]!] === procs[j]) continue;
        this.current.move(nodes[j]!, procs[j]!, this.log, moved++ > 0);
      }
      if (moved === 0) return this.currentMs;
      this.count++;
      return this.incremental.trialMs(this.current.timedAssign, this.current.timedDuration, this.changeOf(this.log));
    } finally {
      if (moved > 0) this.current.undo(this.log);
    }
  }

  /** Puts `node` on `proc` in the current assignment. */
  move(node: number, proc: number): void {
    this.checkMove(node, proc);
    if (this.current.assign[node] === proc) return;
    this.current.move(node, proc, this.log);
    this.currentMs = NaN;
    this.baselineValid = false;
  }

  /** Counters of the incremental scheduler (trials, trials that rejoined the baseline, rounds run). */
  get stats(): Readonly<ListScheduler["stats"]> { return this.incremental.stats; }

  /** The timed nodes a move (or group) changed: the moved nodes' processors, their fusion relatives' times. */
  private changeOf(log: MoveLog): TrialChange {
    const c = this.change;
    const mark = this.mark;
    c.movedCount = 0;
    c.retimedCount = 0;
    for (let j = 0; j < log.moves; j++) {
      const k = this.graph.timedOf[log.nodes[j]!]!;
      if (k >= 0 && mark[k] === 0) { mark[k] = 1; c.moved[c.movedCount++] = k; }
    }
    for (let j = 0; j < log.count; j++) {
      const k = this.graph.timedOf[log.touched[j]!]!;
      if (k >= 0 && mark[k] === 0) { mark[k] = 1; c.retimed[c.retimedCount++] = k; }
    }
    for (let j = 0; j < c.movedCount; j++) mark[c.moved[j]!] = 0;
    for (let j = 0; j < c.retimedCount; j++) mark[c.retimed[j]!] = 0;
    return c;
  }

  private run(state: AssignmentState): number {
    this.count++;
    return this.scheduler.makespanMs(state.timedAssign, state.timedDuration);
  }

  private requireLoaded(): void {
    if (!this.loaded) throw new Error("PlanEvaluator: call setAssignment before moveCost, move or currentMakespanMs");
  }

  private checkMove(node: number, proc: number): void {
    this.requireLoaded();
    if (!(node >= 0 && node < this.graph.n) || !Number.isInteger(node)) throw new Error(`node ${node} is not a node index (0..${this.graph.n - 1})`);
    if (!(proc >= 0 && proc < this.graph.processors) || !Number.isInteger(proc)) throw new Error(`processor ${proc} is not a processor index (0..${this.graph.processors - 1})`);
  }
}
