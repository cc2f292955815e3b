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
// Per partition: one runtime call (the profile's runOverheadUs), its nodes' times as the simulator
// counts them (fused nodes free), and the copies of inputs from processors without a copy engine
// to it (done by the consuming worker before the run, as onnxruntime copies inputs itself).
// Values crossing a link with a copy engine arrive link time after their producer ends. Model
// inputs start on the host at time 0; model outputs made elsewhere end with their copy to the host.
// A cut's own cost (layout reorders, the copy out of the session, the hand-off between workers:
// `cutSide`, from the profile's measured cut costs) is paid by the partitions on each side: the
// consumer before it runs, the producer once per value that leaves it, after its nodes.
import type { SimGraph } from "./sim-graph.ts";
import { durationsOf, fusedNodes, type ScheduledNode } from "./simulator.ts";

export interface PartitionRun {
  processor: number;
  startMs: number;
  endMs: number;
}

export interface PartitionScheduleResult {
  /** Request start to the last output on the host, ms (every partition's call included). */
  makespanMs: number;
  runs: PartitionRun[];
  /** Nodes laid out one after another inside their partition's run (for overlap-based charges). */
  schedule: ScheduledNode[];
}

/**
 * `partitionOf[i]`: partition index of SimGraph node i (topological numbering, as the partition
 * pass writes it), -1 for a constant (recomputed inside each reader, free). `callMs`: one run call.
 */
export type CutSideFn = (node: number, bytes: number, producer: boolean) => number;

export function schedulePartitions(sim: SimGraph, assign: ArrayLike<number>, partitionOf: ArrayLike<number>, count: number, callMs: number, cutSide?: CutSideFn): PartitionScheduleResult {
  const P = sim.processors.length;
  const host = sim.host;
  const fused = fusedNodes(sim, assign);
  const dur = durationsOf(sim, assign, fused);
  const processor = new Int32Array(count).fill(-1);
  const members: number[][] = Array.from({ length: count }, () => []);
  for (let i = 0; i < sim.nodes.length; i++) {
    const p = partitionOf[i]!;
    if (p < 0) continue;
    processor[p] = assign[i]!;
    members[p]!.push(i);
  }
  // Inputs per partition: values read by its nodes and made outside it (another partition or the model's input).
  const inputs: number[][] = Array.from({ length: count }, () => []);
  const waitingOn = new Int32Array(count);
  const readers: number[][] = sim.values.map(() => []);
  for (let p = 0; p < count; p++) {
    const seen = new Set<number>();
    for (const i of members[p]!) {
      for (const vi of sim.inputsOf[i]!) {
        const producer = sim.values[vi]!.producer;
        if (seen.has(vi) || (producer >= 0 && partitionOf[producer] === p)) continue;
        seen.add(vi);
        inputs[p]!.push(vi);
        if (producer >= 0) { waitingOn[p]!++; readers[vi]!.push(p); }
      }
    }
  }
  const sourceOf = (vi: number) => { const producer = sim.values[vi]!.producer; return producer < 0 ? host : assign[producer]!; };
  const madeAt = new Float64Array(sim.values.length); // on its source processor; model inputs at 0
  const arrival = (vi: number, to: number) => {
    const from = sourceOf(vi);
    return from === to || !sim.copyEngine[from]![to] ? madeAt[vi]! : madeAt[vi]! + sim.transfer(from, to, sim.values[vi]!.bytes);
  };
  const syncCopiesMs = (p: number) => {
    let ms = 0;
    for (const vi of inputs[p]!) { const from = sourceOf(vi); if (from !== processor[p] && !sim.copyEngine[from]![processor[p]!]) ms += sim.transfer(from, processor[p]!, sim.values[vi]!.bytes); }
    return ms;
  };
  // Cut sides per partition: before its run for inputs made by another processor's partition, after it for outputs read elsewhere.
  const before = new Float64Array(count);
  const after = new Float64Array(count);
  // Every session boundary pays them, also between two partitions of one processor: onnxruntime
  // converts the value out of its blocked layout and copies it out of the session, and the next
  // session converts it back (measured: 0.3-0.5 ms per small partition of a split multi-branch CNN).
  if (cutSide) {
    for (let p = 0; p < count; p++) {
      for (const vi of inputs[p]!) {
        const v = sim.values[vi]!;
        if (v.producer < 0) continue;
        let side = 0;
        for (const c of v.consumers) if (partitionOf[c] === p) side = Math.max(side, cutSide(c, v.bytes, false));
        before[p] += side;
      }
    }
    sim.values.forEach((v) => {
      if (v.producer < 0) return;
      const home = partitionOf[v.producer]!;
      if (v.consumers.some((c) => partitionOf[c] !== home)) after[home] += cutSide(v.producer, v.bytes, true);
    });
  }

  const runs: PartitionRun[] = Array.from({ length: count }, (_, p) => ({ processor: processor[p]!, startMs: 0, endMs: 0 }));
  const readyAt = new Float64Array(count).fill(Infinity);
  const freeAt = new Float64Array(P);
  const queued: number[][] = Array.from({ length: P }, () => []);
  const settle = (p: number) => {
    let at = 0;
    for (const vi of inputs[p]!) at = Math.max(at, arrival(vi, processor[p]!));
    readyAt[p] = at;
  };
  for (let p = 0; p < count; p++) {
    queued[processor[p]!]!.push(p);
    if (waitingOn[p] === 0) settle(p);
  }
  const schedule: ScheduledNode[] = [];
  let done = 0;
  let finish = 0;
  // Each step starts the next partition of one worker: the worker that can start something
  // earliest; it takes, among the partitions ready by then, the lowest index.
  while (done < count) {
    let bestProc = -1;
    let bestStart = Infinity;
    for (let w = 0; w < P; w++) {
      let earliest = Infinity;
      for (const p of queued[w]!) earliest = Math.min(earliest, readyAt[p]!);
      const start = Math.max(freeAt[w]!, earliest);
      if (start < bestStart) { bestStart = start; bestProc = w; }
    }
    if (bestProc < 0) throw new Error(`internal error: ${count - done} partitions wait on inputs no partition makes`);
    const queue = queued[bestProc]!;
    let pick = -1;
    for (let k = 0; k < queue.length; k++) if (readyAt[queue[k]!]! <= bestStart && (pick < 0 || queue[k]! < queue[pick]!)) pick = k;
    const p = queue.splice(pick, 1)[0]!;
    let t = bestStart + callMs + syncCopiesMs(p) + before[p]!;
    runs[p]!.startMs = bestStart;
    for (const i of members[p]!) {
      if (sim.duration[assign[i]!]![i]! === 0 && sim.inputsOf[i]!.length === 0 && sim.outputsOf[i]!.length === 0) continue;
      schedule.push({ node: sim.nodes[i]!, processor: sim.processors[bestProc]!, startMs: t, endMs: t + dur[i]!, fused: fused[i] === 1 });
      t += dur[i]!;
    }
    t += after[p]!;
    runs[p]!.endMs = t;
    freeAt[bestProc] = t;
    done++;
    for (const i of members[p]!) {
      for (const vi of sim.outputsOf[i]!) {
        madeAt[vi] = t;
        const v = sim.values[vi]!;
        if (v.isGraphOutput) finish = Math.max(finish, bestProc === host ? t : t + sim.transfer(bestProc, host, v.bytes));
        for (const r of readers[vi]!) if (--waitingOn[r]! === 0) settle(r);
      }
    }
    finish = Math.max(finish, t);
  }
  return { makespanMs: finish, runs, schedule };
}
