// The simulator: how long one inference (and a batch) takes for a placement, with the processors
// running concurrently. Event-driven list scheduling over the DAG: each processor runs one node at
// a time and, when free, starts the ready node of highest HEFT upward rank (upward-rank.ts: mean
// time plus the heaviest mean-cost path to the end), a priority fixed per compiled graph.
// A value read on another processor pays the link: with a copy engine the transfer runs on the
// link while both processors compute; without one the consumer's processor does the copy.
// Model inputs arrive on the profile's host processor and outputs must end there.
import type { Model } from "../../ir/model.ts";
import type { Node } from "../../ir/node.ts";
import type { DeviceProfile } from "../devices/profile.ts";
import { Heap } from "../../ir/heap.ts";
import { compileSim, type LatencyFn, type SimGraph } from "./sim-graph.ts";
import { isUntimed } from "./timed-graph.ts";

export interface SimOptions {
  /** Also simulate a batch of this many samples (activations and FLOPs scale, weights do not). */
  batch?: number;
  /** Replace the latency model (tests, measured times). */
  latency?: LatencyFn;
}

export interface ScheduledNode {
  node: Node;
  processor: string;
  startMs: number;
  endMs: number;
  /** Runs inside its producer's kernel (costs nothing). */
  fused: boolean;
  /** Part of the work when an op is split across processors (CoDL-style co-execution). */
  share?: number;
}

export interface ScheduledTransfer {
  value: string;
  from: string;
  to: string;
  bytes: number;
  startMs: number;
  endMs: number;
  /** Done by the consumer's processor (no copy engine): that processor was busy meanwhile. */
  sync: boolean;
}

export interface ProcessorUsage {
  busyMs: number;
  idleMs: number;
  nodes: number;
  energyMj: number;
}

export interface SimResult {
  /** One inference, ms (includes the profile's per-inference run overhead). */
  makespanMs: number;
  batch: { size: number; makespanMs: number; perSampleMs: number };
  processors: Record<string, ProcessorUsage>;
  /** Transfers of a value to another processor (model inputs and outputs included). */
  crossings: number;
  bytesMoved: number;
  /** Sum of transfer durations, ms. */
  transferMs: number;
  /** Busy power x busy time + idle power x idle time over the makespan, all processors, mJ. */
  energyMj: number;
  /** Longest path through the placed DAG (node + transfer times, no waiting): a lower bound. */
  criticalPathMs: number;
  schedule: ScheduledNode[];
  transfers: ScheduledTransfer[];
  /** Values whose size was unknown and counted as 0 bytes (shape inference missing). */
  unknownSizes: number;
}

/** Simulates `placement` (every node of the main graph -> processor name) on `profile`. */
export function simulate(model: Model, placement: Map<Node, string>, profile: DeviceProfile, options: SimOptions = {}): SimResult {
  const sim = compileSim(model, profile, { latency: options.latency });
  const assign = assignmentOf(sim, placement);
  const one = evaluate(sim, assign, true);
  const size = options.batch ?? 1;
  let batchMs = one.makespanMs;
  if (size !== 1) batchMs = evaluate(compileSim(model, profile, { batch: size, latency: options.latency }), assign, false).makespanMs;
  return { ...one, batch: { size, makespanMs: batchMs, perSampleMs: batchMs / size } };
}

/** Processor indices per node of `sim` from a placement map; names every missing or unknown entry. */
export function assignmentOf(sim: SimGraph, placement: Map<Node, string>): Int32Array {
  return Int32Array.from(sim.nodes, (n) => {
    const name = placement.get(n);
    if (name === undefined) throw new Error(`placement has no processor for node '${n.name || n.opType}'`);
    const p = sim.processors.indexOf(name);
    if (p < 0) throw new Error(`node '${n.name || n.opType}' is placed on '${name}', which profile '${sim.profile.name}' does not have (processors: ${sim.processors.join(", ")})`);
    return p;
  });
}

/** Placement map from processor indices. */
export function placementOf(sim: SimGraph, assign: ArrayLike<number>): Map<Node, string> {
  return new Map(sim.nodes.map((n, i) => [n, sim.processors[assign[i]!]!]));
}

/** Which nodes run fused into their producer under `assign` (written into `fused`, one entry per node). */
export function fusedNodes(sim: SimGraph, assign: ArrayLike<number>, fused: Uint8Array = new Uint8Array(sim.nodes.length)): Uint8Array {
  for (let i = 0; i < sim.nodes.length; i++) {
    const p = assign[i]!;
    const parent = sim.fuseParent[p]![i]!;
    fused[i] = parent >= 0 && assign[parent] === p && (!sim.fuseNeedsParentFused[p]![i] || fused[parent] === 1) ? 1 : 0;
  }
  return fused;
}

/** Node durations under `assign` (0 for fused nodes). */
export function durationsOf(sim: SimGraph, assign: ArrayLike<number>, fused = fusedNodes(sim, assign)): Float64Array {
  return Float64Array.from(sim.nodes, (_, i) => (fused[i] ? 0 : sim.duration[assign[i]!]![i]!));
}

type Task = number; // node index, or nodes.length + value index for a synchronous output copy to the host

/** The core: one inference under processor assignment `assign`. `detail` records the schedule. */
export function evaluate(sim: SimGraph, assign: ArrayLike<number>, detail = false): Omit<SimResult, "batch"> {
  const n = sim.nodes.length;
  const P = sim.processors.length;
  const host = sim.host;
  const fused = fusedNodes(sim, assign);
  const dur = durationsOf(sim, assign, fused);
  const srcOf = (vi: number) => { const p = sim.values[vi]!.producer; return p < 0 ? host : assign[p]!; };
  const criticalPathMs = criticalPath(sim, assign, dur, srcOf);
  const priority = sim.upwardRank;

  const arrival = new Float64Array(sim.values.length * P).fill(Infinity);
  const linkFree = new Float64Array(P * P);
  const procBusy = new Float64Array(P);
  const procNodes = new Int32Array(P);
  const idle = new Array<boolean>(P).fill(true);
  const depsLeft = Int32Array.from(sim.inputsOf, (ins) => ins.reduce((k, vi) => k + (sim.values[vi]!.producer >= 0 ? 1 : 0), 0));
  const readyAt = new Float64Array(n + sim.values.length);
  const start = new Float64Array(n);
  const end = new Float64Array(n);
  const schedule: ScheduledNode[] = [];
  const transfers: ScheduledTransfer[] = [];
  let crossings = 0;
  let bytesMoved = 0;
  let transferTotal = 0;
  let finish = 0;

  const taskPriority = (t: Task) => (t < n ? priority[t]! : Infinity);
  const taskProc = (t: Task) => (t < n ? assign[t]! : host);
  const readyHeaps = Array.from({ length: P }, () => new Heap<Task>((a, b) => taskPriority(a) > taskPriority(b) || (taskPriority(a) === taskPriority(b) && a < b)));
  const waitHeaps = Array.from({ length: P }, () => new Heap<Task>((a, b) => readyAt[a]! < readyAt[b]! || (readyAt[a] === readyAt[b] && a < b)));
  const running = new Heap<{ t: Task; end: number }>((a, b) => a.end < b.end || (a.end === b.end && a.t < b.t));

  const recordTransfer = (vi: number, from: number, to: number, s: number, e: number, sync: boolean) => {
    crossings++;
    bytesMoved += sim.values[vi]!.bytes;
    transferTotal += e - s;
    if (detail) transfers.push({ value: sim.values[vi]!.value.name, from: sim.processors[from]!, to: sim.processors[to]!, bytes: sim.values[vi]!.bytes, startMs: s, endMs: e, sync });
  };

  /** A value became available on its source at `t`: start copy-engine transfers to the processors that read it. */
  const publish = (vi: number, t: number) => {
    const v = sim.values[vi]!;
    const src = srcOf(vi);
    arrival[vi * P + src] = t;
    const dests = new Set<number>();
    for (const c of v.consumers) dests.add(assign[c]!);
    if (v.isGraphOutput) dests.add(host);
    for (const d of dests) {
      if (d === src || !sim.copyEngine[src]![d]) continue;
      const s = Math.max(t, linkFree[src * P + d]!);
      const e = s + sim.transfer(src, d, v.bytes);
      linkFree[src * P + d] = e;
      arrival[vi * P + d] = e;
      recordTransfer(vi, src, d, s, e, false);
    }
    if (v.isGraphOutput) {
      if (src === host || sim.copyEngine[src]![host]) finish = Math.max(finish, arrival[vi * P + host]!);
      else release(n + vi, t);
    }
  };

  const release = (t: Task, at: number) => {
    readyAt[t] = at;
    waitHeaps[taskProc(t)]!.push(t);
  };

  const releaseNode = (i: number) => {
    const p = assign[i]!;
    let at = 0;
    for (const vi of sim.inputsOf[i]!) {
      const src = srcOf(vi);
      // Synchronous copies happen when the node starts; it can start once the value exists at its source.
      const t = src === p || sim.copyEngine[src]![p] ? arrival[vi * P + p]! : Math.min(arrival[vi * P + p]!, arrival[vi * P + src]!);
      at = Math.max(at, t);
    }
    release(i, at);
  };

  const runOverheadMs = sim.profile.runOverheadUs / 1000;
  let done = 0;
  for (let vi = 0; vi < sim.values.length; vi++) if (sim.values[vi]!.producer < 0) publish(vi, 0);
  for (let i = 0; i < n; i++) {
    if (depsLeft[i] !== 0) continue;
    if (!isUntimed(sim, i)) { releaseNode(i); continue; }
    // A constant folded at load: no time, no value to move; it takes no turn on its processor.
    done++;
    procNodes[assign[i]!]!++;
    if (detail) schedule.push({ node: sim.nodes[i]!, processor: sim.processors[assign[i]!]!, startMs: 0, endMs: 0, fused: fused[i] === 1 });
  }

  let now = 0;
  const total = n;
  while (done < total || running.size > 0 || waitHeaps.some((h) => h.size > 0) || readyHeaps.some((h) => h.size > 0)) {
    for (let p = 0; p < P; p++) {
      const wait = waitHeaps[p]!;
      while (wait.size > 0 && readyAt[wait.peek()!]! <= now) readyHeaps[p]!.push(wait.pop()!);
      if (!idle[p] || readyHeaps[p]!.size === 0) continue;
      const t = readyHeaps[p]!.pop()!;
      let cursor = now;
      if (t < n) {
        for (const vi of sim.inputsOf[t]!) {
          if (arrival[vi * P + p]! <= cursor) continue;
          const src = srcOf(vi);
          const e = cursor + sim.transfer(src, p, sim.values[vi]!.bytes);
          arrival[vi * P + p] = e;
          recordTransfer(vi, src, p, cursor, e, true);
          cursor = e;
        }
        start[t] = now;
        end[t] = cursor + dur[t]!;
        procNodes[p]!++;
        if (detail) schedule.push({ node: sim.nodes[t]!, processor: sim.processors[p]!, startMs: cursor, endMs: end[t]!, fused: fused[t] === 1 });
      } else {
        const vi = t - n;
        const src = srcOf(vi);
        const e = cursor + sim.transfer(src, p, sim.values[vi]!.bytes);
        recordTransfer(vi, src, p, cursor, e, true);
        cursor = e;
      }
      const taskEnd = t < n ? end[t]! : cursor;
      procBusy[p] += taskEnd - now;
      idle[p] = false;
      running.push({ t, end: taskEnd });
    }
    // Next event: a completion, or a released task on an idle processor becoming ready.
    let next = running.size > 0 ? running.peek()!.end : Infinity;
    for (let p = 0; p < P; p++) if (idle[p] && waitHeaps[p]!.size > 0) next = Math.min(next, readyAt[waitHeaps[p]!.peek()!]!);
    if (next === Infinity) break;
    now = next;
    while (running.size > 0 && running.peek()!.end <= now) {
      const { t, end: e } = running.pop()!;
      const p = taskProc(t);
      idle[p] = true;
      finish = Math.max(finish, e);
      if (t >= n) continue;
      done++;
      for (const vi of sim.outputsOf[t]!) publish(vi, e);
      for (const vi of sim.outputsOf[t]!) for (const c of sim.values[vi]!.consumers) if (--depsLeft[c]! === 0) releaseNode(c);
    }
  }
  if (done < n) throw new Error(`simulation stalled with ${n - done} nodes unscheduled (a node reads a value nothing produces)`);

  const makespanMs = finish + runOverheadMs;
  const processors: Record<string, ProcessorUsage> = {};
  let energyMj = 0;
  sim.processors.forEach((name, p) => {
    const power = sim.profile.processors[name]!.powerW;
    const busyMs = procBusy[p]!;
    const idleMs = Math.max(0, makespanMs - busyMs);
    const e = power.busy * busyMs + power.idle * idleMs;
    energyMj += e;
    processors[name] = { busyMs, idleMs, nodes: procNodes[p]!, energyMj: e };
  });
  if (detail) schedule.sort((a, b) => a.startMs - b.startMs);
  return { makespanMs, processors, crossings, bytesMoved, transferMs: transferTotal, energyMj, criticalPathMs: criticalPathMs + runOverheadMs, schedule, transfers, unknownSizes: sim.unknownSizes };
}

/** Transfer ms of value `vi` from its source to processor `d` (0 when the same). */
function edgeMs(sim: SimGraph, vi: number, src: number, d: number): number {
  return src === d ? 0 : sim.transfer(src, d, sim.values[vi]!.bytes);
}

/** Longest path: node times plus unqueued transfer times, inputs from the host, outputs back to it. */
function criticalPath(sim: SimGraph, assign: ArrayLike<number>, dur: Float64Array, srcOf: (vi: number) => number): number {
  const finishAt = new Float64Array(sim.nodes.length);
  const valueReady = (vi: number) => { const p = sim.values[vi]!.producer; return p < 0 ? 0 : finishAt[p]!; };
  let longest = 0;
  for (let i = 0; i < sim.nodes.length; i++) {
    let s = 0;
    for (const vi of sim.inputsOf[i]!) s = Math.max(s, valueReady(vi) + edgeMs(sim, vi, srcOf(vi), assign[i]!));
    finishAt[i] = s + dur[i]!;
    longest = Math.max(longest, finishAt[i]!);
  }
  sim.values.forEach((v, vi) => { if (v.isGraphOutput) longest = Math.max(longest, valueReady(vi) + edgeMs(sim, vi, srcOf(vi), sim.host)); });
  return longest;
}
