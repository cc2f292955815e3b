// A CoDL-style baseline (Jia et al., "CoDL: efficient CPU-GPU co-execution for deep learning
// inference on mobile devices", MobiSys 2022). What is implemented (docs/baselines.md):
// - operators run one after another, each co-executed by both processors: Conv, Gemm/MatMul and
//   pooling are split along output channels with the CPU share chosen from 0, 5%, ..., 100% to
//   minimise the op's time under the latency model (CoDL's partition-ratio search with its
//   latency predictor replaced by ours); other ops run whole on the faster side, transfers counted;
// - data sharing: on unified memory both processors read one buffer (CoDL's hybrid-type-friendly
//   sharing), so a hand-over costs only the link's synchronisation latency; over a bus the part a
//   processor lacks is copied;
// - each split op reads its whole input on both sides and leaves its output in two parts, so the
//   next op fetches the part it lacks.
// Not implemented: CoDL's operator chains (splitting several ops along one dimension without
// synchronising in between) and its per-layout data type conversion.
import { opFamily } from "../../devices/op-family.ts";
import { linkBetween } from "../../devices/profile.ts";
import type { SimGraph } from "../../sim/sim-graph.ts";
import type { ScheduledNode, ScheduledTransfer, SimResult, ProcessorUsage } from "../../sim/simulator.ts";
import type { PlanCost } from "../plan-cost.ts";
import { assignmentOf } from "../../sim/simulator.ts";
import { planFrom, type Plan } from "./plan.ts";

const SPLITTABLE = new Set(["conv", "matmul", "pool"]);
const RATIOS = Array.from({ length: 21 }, (_, k) => k / 20);

/**
 * CoDL's co-execution schedule splits ops across processors, which sparoa's runtime (whole nodes
 * per partition) cannot run; like every plan it is judged by the one plan cost, on its placement
 * (a split op counts on the processor with the larger share). Its own schedule's simulated
 * latency is kept in the notes and in `coExecution`.
 */
export function codlPlan(cost: PlanCost, cpu: number, gpu: number, batchSim?: SimGraph): Plan & { coExecution: SimResult } {
  const sim = cost.sim;
  const one = codlSchedule(sim, cpu, gpu);
  const batchMs = batchSim ? codlSchedule(batchSim, cpu, gpu).result.makespanMs : one.result.makespanMs;
  const size = batchSim?.batch ?? 1;
  const coExecution: SimResult = { ...one.result, batch: { size, makespanMs: batchMs, perSampleMs: batchMs / size } };
  const plan = planFrom(cost, "codl", "CoDL-style (split ops on their larger share)", assignmentOf(sim, one.placement), [
    `${one.splits} ops split across ${sim.processors[cpu]} and ${sim.processors[gpu]}; CoDL's own co-execution schedule (ops one at a time, as in CoDL) simulates at ${one.result.makespanMs.toPrecision(4)} ms, not runnable by whole-node partitions: judged here by its placement`,
  ], batchSim);
  return { ...plan, coExecution };
}

function codlSchedule(sim: SimGraph, cpu: number, gpu: number) {
  const n = sim.nodes.length;
  const link = linkBetween(sim.profile, sim.processors[cpu]!, sim.processors[gpu]!)!;
  const shared = link.memory === "unified";
  /** Share of each value held on the CPU side (1: all on the CPU, 0: all on the GPU). */
  const cpuPart = new Float64Array(sim.values.length);
  sim.values.forEach((v, vi) => { if (v.producer < 0) cpuPart[vi] = sim.host === cpu ? 1 : 0; });
  const fetchMs = (vi: number, q: number) => {
    const missing = q === cpu ? 1 - cpuPart[vi]! : cpuPart[vi]!;
    if (missing <= 1e-12) return 0;
    const from = q === cpu ? gpu : cpu;
    return shared ? link.latencyUs / 1000 : sim.transfer(from, q, sim.values[vi]!.bytes * missing);
  };
  const dispatchMs = (q: number) => sim.profile.processors[sim.processors[q]!]!.dispatchUs / 1000;
  const partMs = (i: number, q: number, share: number) => {
    if (share <= 0) return 0;
    const d = sim.duration[q]![i]!;
    const disp = Math.min(d, dispatchMs(q));
    return disp + share * (d - disp);
  };

  const schedule: ScheduledNode[] = [];
  const transfers: ScheduledTransfer[] = [];
  const busy = new Float64Array(sim.processors.length);
  const count = new Int32Array(sim.processors.length);
  const placement = new Map<import("../../../ir/node.ts").Node, string>();
  const whole = new Int32Array(n).fill(-1); // processor of an op run whole (for fusion)
  let t = 0, crossings = 0, bytesMoved = 0, transferTotal = 0, splits = 0;

  const fetch = (i: number, q: number, at: number): number => {
    let cursor = at;
    for (const vi of sim.inputsOf[i]!) {
      const ms = fetchMs(vi, q);
      if (ms === 0) continue;
      const bytes = shared ? 0 : sim.values[vi]!.bytes * (q === cpu ? 1 - cpuPart[vi]! : cpuPart[vi]!);
      transfers.push({ value: sim.values[vi]!.value.name, from: sim.processors[q === cpu ? gpu : cpu]!, to: sim.processors[q]!, bytes, startMs: cursor, endMs: cursor + ms, sync: true });
      crossings++; bytesMoved += bytes; transferTotal += ms; cursor += ms;
    }
    return cursor - at;
  };

  for (let i = 0; i < n; i++) {
    const node = sim.nodes[i]!;
    const candidates = sim.hostOnly[i] ? [sim.host === cpu ? 1 : 0] : SPLITTABLE.has(opFamily(node.opType)) ? RATIOS : [0, 1];
    let best = { r: 1, ms: Infinity };
    for (const r of candidates) {
      const fusedOn = (q: number) => { const p = sim.fuseParent[q]![i]!; return p >= 0 && whole[p] === q; };
      const side = (q: number, share: number) => {
        if (share <= 0) return 0;
        let ms = 0;
        for (const vi of sim.inputsOf[i]!) ms += fetchMs(vi, q);
        return ms + (share === 1 && fusedOn(q) ? 0 : partMs(i, q, share));
      };
      const ms = Math.max(side(cpu, r), side(gpu, 1 - r));
      if (ms < best.ms - 1e-12) best = { r, ms };
    }
    const r = best.r;
    for (const [q, share] of [[cpu, r], [gpu, 1 - r]] as const) {
      if (share <= 0) continue;
      const wait = fetch(i, q, t);
      const fused = share === 1 && sim.fuseParent[q]![i]! >= 0 && whole[sim.fuseParent[q]![i]!] === q;
      const work = fused ? 0 : partMs(i, q, share);
      schedule.push({ node, processor: sim.processors[q]!, startMs: t + wait, endMs: t + wait + work, fused, share: share < 1 ? share : undefined });
      busy[q] += wait + work;
      count[q]!++;
    }
    if (r > 0 && r < 1) splits++;
    whole[i] = r === 1 ? cpu : r === 0 ? gpu : -1;
    placement.set(node, sim.processors[r >= 0.5 ? cpu : gpu]!);
    for (const vi of sim.outputsOf[i]!) cpuPart[vi] = r;
    t += best.ms;
  }
  // Model outputs end on the host.
  for (let vi = 0; vi < sim.values.length; vi++) {
    if (!sim.values[vi]!.isGraphOutput) continue;
    const ms = fetchMs(vi, sim.host);
    if (ms === 0) continue;
    const bytes = shared ? 0 : sim.values[vi]!.bytes * (sim.host === cpu ? 1 - cpuPart[vi]! : cpuPart[vi]!);
    transfers.push({ value: sim.values[vi]!.value.name, from: sim.processors[sim.host === cpu ? gpu : cpu]!, to: sim.processors[sim.host]!, bytes, startMs: t, endMs: t + ms, sync: true });
    crossings++; bytesMoved += bytes; transferTotal += ms; busy[sim.host] += ms; t += ms;
  }
  const makespanMs = t + sim.profile.runOverheadUs / 1000;
  const processors: Record<string, ProcessorUsage> = {};
  let energyMj = 0;
  sim.processors.forEach((name, q) => {
    const power = sim.profile.processors[name]!.powerW;
    const idleMs = Math.max(0, makespanMs - busy[q]!);
    const e = power.busy * busy[q]! + power.idle * idleMs;
    energyMj += e;
    processors[name] = { busyMs: busy[q]!, idleMs, nodes: count[q]!, energyMj: e };
  });
  const result: Omit<SimResult, "batch"> = {
    makespanMs, processors, crossings, bytesMoved, transferMs: transferTotal, energyMj,
    // Ops run one after another by design: the sequential sum is this plan's critical path.
    criticalPathMs: makespanMs, schedule, transfers, unknownSizes: sim.unknownSizes,
  };
  return { result, placement, splits };
}

