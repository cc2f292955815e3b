// One inference as the bundled runtime runs it: partitions, not nodes, are the unit of work.
// Each processor's worker runs one partition (one session.run) at a time; a partition starts only
// once all of its inputs are there, and its outputs exist only when it ends. When a worker is free
// it takes the ready partition of lowest index (the runtime's worker thread in src/runtime/: partitions are
// numbered in topological order and a request's jobs are tried in that order).
//
// The node-level list schedule (simulator.ts) lets two processors interleave node by node; with
// partitions that read each other's results back and forth (cpu -> gpu -> cpu ...) that overlap
// does not happen at run time, and the node-level makespan was measured 20-55% optimistic for
// split plans on this machine (docs/benchmarks.md, issue 13). The plan cost (src/planner/
// plan-cost.ts) prices every split plan with this schedule instead.
//
// Per partition: one run call (`callMs`: the profile's partitionCallUs), its nodes' times as the simulator
// counts them (fused nodes free), and the copies of inputs from processors without a copy engine
// to it (done by the consuming worker before the run, as onnxruntime copies inputs itself).
// Values crossing a link with a copy engine arrive link time after their producer ends. Model
// inputs start on the host at time 0; model outputs made elsewhere end with their copy to the host.
// A cut's own cost (layout reorders, the copy out of the session, the hand-off between workers:
// `cutSide`, from the profile's measured cut costs) is paid by the partitions on each side: the
// consumer before it runs, the producer once per value that leaves it, after its nodes. A value
// that leaves for more than one place (a later partition of its own worker, other workers, the
// caller) is also copied by the producer once per extra place, into a fresh buffer (the runtime
// transfers buffers between threads, so each place needs its own: the profile's valueCopyGBs;
// measured 0.13-0.76 ms for 1-2 MB outputs of a split multi-branch CNN).
import type { SimGraph } from "./sim-graph.ts";
import { fusedNodes, type ScheduledNode } from "./simulator.ts";

export interface PartitionRun {
  processor: number;
  startMs: number;
  endMs: number;
}

export interface PartitionScheduleResult {
  /** Request start to the last output on the host, ms (every partition's call included). */
  makespanMs: number;
  runs: PartitionRun[];
  /** With `detail`: nodes laid out one after another inside their partition's run (for overlap-based charges). */
  schedule: ScheduledNode[];
}

export type CutSideFn = (node: number, bytes: number, producer: boolean) => number;

/**
 * The schedule for one compiled graph, with its buffers allocated once: searches price thousands
 * of plans against one graph (src/planner/plan-cost.ts), and allocating per plan tripled their time.
 */
export class PartitionScheduler {
  private readonly fused: Uint8Array;
  private readonly dur: Float64Array;
  private readonly processor: Int32Array;
  private readonly memberStart: Int32Array;
  private readonly memberList: Int32Array;
  private readonly inputStart: Int32Array;
  private readonly inputList: Int32Array;
  private readonly waitingOn: Int32Array;
  private readonly seenBy: Int32Array;
  private readonly stamp: Int32Array;
  private readonly madeAt: Float64Array;
  private readonly readyAt: Float64Array;
  private readonly copies: Float64Array;
  private readonly startAt: Float64Array;
  private readonly endAt: Float64Array;
  private readonly before: Float64Array;
  private readonly after: Float64Array;
  private readonly freeAt: Float64Array;
  private readonly started: Uint8Array;
  private readonly placeSeen: Int32Array;
  /** Ms per byte of the runtime's copy of a value for an extra destination (0: not charged). */
  private readonly copyMsPerByte: number;

  constructor(private readonly sim: SimGraph) {
    const n = sim.nodes.length;
    const V = sim.values.length;
    const slots = n + 1; // partitions <= scheduled nodes (+1 for an all-constant graph)
    let reads = 0;
    for (const ins of sim.inputsOf) reads += ins.length;
    this.fused = new Uint8Array(n);
    this.dur = new Float64Array(n);
    this.processor = new Int32Array(slots);
    this.memberStart = new Int32Array(slots + 1);
    this.memberList = new Int32Array(n);
    this.inputStart = new Int32Array(slots + 1);
    this.inputList = new Int32Array(reads);
    this.waitingOn = new Int32Array(slots);
    this.seenBy = new Int32Array(V);
    this.stamp = new Int32Array(slots);
    this.madeAt = new Float64Array(V);
    this.readyAt = new Float64Array(slots);
    this.copies = new Float64Array(slots);
    this.startAt = new Float64Array(slots);
    this.endAt = new Float64Array(slots);
    this.before = new Float64Array(slots);
    this.after = new Float64Array(slots);
    this.freeAt = new Float64Array(sim.processors.length);
    this.started = new Uint8Array(slots);
    this.placeSeen = new Int32Array(sim.processors.length);
    const copyGBs = sim.profile.valueCopyGBs;
    this.copyMsPerByte = copyGBs ? 1 / (copyGBs * 1e6) : 0;
  }



  /**
   * `partitionOf[i]`: partition index of SimGraph node i (topological numbering, as the partition
   * pass writes it), -1 for a constant (recomputed inside each reader, free). `callMs`: one run
   * call. `fused`: fusedNodes(sim, assign), when the caller has it. `detail`: also lay out every
   * node in `schedule` (the contention charge needs it).
   */
  run(assign: ArrayLike<number>, partitionOf: ArrayLike<number>, count: number, callMs: number, options: { cutSide?: CutSideFn; fused?: Uint8Array; detail?: boolean } = {}): PartitionScheduleResult {
    const sim = this.sim;
    const n = sim.nodes.length;
    const P = sim.processors.length;
    const host = sim.host;
    const { cutSide, detail = true } = options;
    const { dur, processor, memberStart, memberList, inputStart, inputList, waitingOn, seenBy, stamp, madeAt, readyAt, copies, startAt, endAt, before, after, freeAt, started } = this;
    const fused = options.fused ?? fusedNodes(sim, assign, this.fused);
    for (let i = 0; i < n; i++) dur[i] = fused[i] ? 0 : sim.duration[assign[i]!]![i]!;
    // Members per partition (counting sort, topological order kept).
    memberStart.fill(0, 0, count + 1);
    for (let i = 0; i < n; i++) { const p = partitionOf[i]!; if (p >= 0) { memberStart[p + 1]!++; processor[p] = assign[i]!; } }
    for (let p = 0; p < count; p++) memberStart[p + 1]! += memberStart[p]!;
    const fill = Int32Array.from(memberStart.subarray(0, count));
    for (let i = 0; i < n; i++) { const p = partitionOf[i]!; if (p >= 0) memberList[fill[p]!++] = i; }
    // Inputs per partition: values read by its nodes and made outside it (another partition or the model's input).
    seenBy.fill(-1);
    let k = 0;
    for (let p = 0; p < count; p++) {
      inputStart[p] = k;
      waitingOn[p] = 0;
      for (let m = memberStart[p]!; m < memberStart[p + 1]!; m++) {
        for (const vi of sim.inputsOf[memberList[m]!]!) {
          const producer = sim.values[vi]!.producer;
          if (seenBy[vi] === p || (producer >= 0 && partitionOf[producer] === p)) continue;
          seenBy[vi] = p;
          inputList[k++] = vi;
          if (producer >= 0) waitingOn[p]!++;
        }
      }
    }
    inputStart[count] = k;
    // Cut sides. Every session boundary pays them, also between two partitions of one processor:
    // onnxruntime converts the value out of its blocked layout and copies it out of the session,
    // and the next session converts it back (measured: 0.3-0.5 ms per small partition of a split
    // multi-branch CNN on two CPU workers).
    before.fill(0, 0, count);
    after.fill(0, 0, count);
    if (cutSide) {
      for (let p = 0; p < count; p++) {
        for (let j = inputStart[p]!; j < inputStart[p + 1]!; j++) {
          const v = sim.values[inputList[j]!]!;
          if (v.producer < 0) continue;
          let side = 0;
          for (const c of v.consumers) if (partitionOf[c] === p) side = Math.max(side, cutSide(c, v.bytes, false));
          before[p] += side;
        }
      }
      this.placeSeen.fill(-1);
      sim.values.forEach((v, vi) => {
        if (v.producer < 0) return;
        const home = partitionOf[v.producer]!;
        if (v.consumers.some((c) => partitionOf[c] !== home)) after[home] += cutSide(v.producer, v.bytes, true);
        if (this.copyMsPerByte > 0) after[home] += extraPlaces(v, partitionOf, assign, this.placeSeen, vi) * v.bytes * this.copyMsPerByte;
      });
    }

    const sourceOf = (vi: number) => { const producer = sim.values[vi]!.producer; return producer < 0 ? host : assign[producer]!; };
    // Ready: every input there; across a copy engine a value arrives its link time after it was
    // made, without one the consuming worker copies it itself before the run (`copies`).
    const settle = (p: number) => {
      let at = 0;
      let ms = 0;
      const to = processor[p]!;
      for (let j = inputStart[p]!; j < inputStart[p + 1]!; j++) {
        const vi = inputList[j]!;
        const from = sourceOf(vi);
        if (from === to) { at = Math.max(at, madeAt[vi]!); continue; }
        const link = sim.transfer(from, to, sim.values[vi]!.bytes);
        if (sim.copyEngine[from]![to]) at = Math.max(at, madeAt[vi]! + link);
        else { at = Math.max(at, madeAt[vi]!); ms += link; }
      }
      readyAt[p] = at;
      copies[p] = ms;
    };
    madeAt.fill(0);
    readyAt.fill(Infinity, 0, count);
    freeAt.fill(0);
    started.fill(0, 0, count);
    stamp.fill(-1, 0, count);
    for (let p = 0; p < count; p++) if (waitingOn[p] === 0) settle(p);
    const schedule: ScheduledNode[] = [];
    let done = 0;
    let finish = 0;
    // Each step starts the next partition of one worker: the worker that can start something
    // earliest; it takes, among its partitions ready by then, the lowest index.
    while (done < count) {
      let bestProc = -1;
      let bestStart = Infinity;
      for (let w = 0; w < P; w++) {
        let earliest = Infinity;
        for (let p = 0; p < count; p++) if (!started[p] && processor[p] === w && readyAt[p]! < earliest) earliest = readyAt[p]!;
        const start = Math.max(freeAt[w]!, earliest);
        if (start < bestStart) { bestStart = start; bestProc = w; }
      }
      if (bestProc < 0) throw new Error(`internal error: ${count - done} partitions wait on inputs no partition makes`);
      let p = 0;
      while (started[p] || processor[p] !== bestProc || readyAt[p]! > bestStart) p++;
      started[p] = 1;
      let t = bestStart + callMs + copies[p]! + before[p]!;
      startAt[p] = bestStart;
      for (let m = memberStart[p]!; m < memberStart[p + 1]!; m++) {
        const i = memberList[m]!;
        if (detail) schedule.push({ node: sim.nodes[i]!, processor: sim.processors[bestProc]!, startMs: t, endMs: t + dur[i]!, fused: fused[i] === 1 });
        t += dur[i]!;
      }
      t += after[p]!;
      endAt[p] = t;
      freeAt[bestProc] = t;
      done++;
      for (let m = memberStart[p]!; m < memberStart[p + 1]!; m++) {
        for (const vi of sim.outputsOf[memberList[m]!]!) {
          madeAt[vi] = t;
          const v = sim.values[vi]!;
          if (v.isGraphOutput) finish = Math.max(finish, bestProc === host ? t : t + sim.transfer(bestProc, host, v.bytes));
          // Each partition reading it waits on it once (stamped with the value: every value is made once).
          for (const c of v.consumers) {
            const q = partitionOf[c]!;
            if (q < 0 || q === p || stamp[q] === vi) continue;
            stamp[q] = vi;
            if (--waitingOn[q]! === 0) settle(q);
          }
        }
      }
      finish = Math.max(finish, t);
    }
    const runs = Array.from({ length: count }, (_, p): PartitionRun => ({ processor: processor[p]!, startMs: startAt[p]!, endMs: endAt[p]! }));
    return { makespanMs: finish, runs, schedule };
  }
}

/**
 * Copies the producing worker makes of value `v`: the runtime sends each place (a later partition
 * of its own worker, each other worker, the caller for a model output) its own buffer, moving
 * the original to one of those it sends to and copying for the rest (src/runtime/
 * processor-worker.mjs, wireCopies). `seen`/`stamp`: per-processor scratch (stamp unique per call).
 */
function extraPlaces(v: SimGraph["values"][number], partitionOf: ArrayLike<number>, assign: ArrayLike<number>, seen: Int32Array, stamp: number): number {
  const home = partitionOf[v.producer]!;
  const proc = assign[v.producer]!;
  let local = 0;
  let peers = 0;
  for (const c of v.consumers) {
    const q = partitionOf[c]!;
    if (q < 0 || q === home) continue;
    const w = assign[c]!;
    if (w === proc) local = 1;
    else if (seen[w] !== stamp) { seen[w] = stamp; peers++; }
  }
  const sent = peers + (v.isGraphOutput ? 1 : 0);
  return sent === 0 ? 0 : sent - 1 + local;
}

/** Per value name, the copies of it the runtime's workers make for `assign` (values made by a node only). */
export function valueCopies(sim: SimGraph, assign: ArrayLike<number>, partitionOf: ArrayLike<number>): Map<string, number> {
  const seen = new Int32Array(sim.processors.length).fill(-1);
  const out = new Map<string, number>();
  sim.values.forEach((v, vi) => { if (v.producer >= 0 && partitionOf[v.producer]! >= 0) out.set(v.value.name, extraPlaces(v, partitionOf, assign, seen, vi)); });
  return out;
}

/** One schedule without a reusable scheduler (tests, one-off reports). */
export function schedulePartitions(sim: SimGraph, assign: ArrayLike<number>, partitionOf: ArrayLike<number>, count: number, callMs: number): PartitionScheduleResult {
  return new PartitionScheduler(sim).run(assign, partitionOf, count, callMs);
}
