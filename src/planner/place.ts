// SparOA's threshold placement for one pair of thresholds.
//
// 1. Quadrant rule. A node is sparse when its sparsity >= the sparsity threshold and heavy when
//    its intensity (FLOPs, or FLOP/byte: problem.intensityAxis) >= the intensity threshold. Dense and heavy -> GPU (regular,
//    compute-bound work the GPU's dense kernels are built for); sparse and light -> CPU (little
//    work, zeros the CPU's kernels can skip, not worth a launch). The mixed quadrants go to the
//    processor the latency model predicts faster.
// 2. Fixed roles first: pins win; shape computations and control flow (If/Loop/Scan: cost unknown, condition read on the host) stay on the CPU;
//    constants follow their first consumer (partitioning recomputes them wherever read).
// 3. Transfer-aware smoothing. Sweeping in topological order, a free node moves to the other
//    processor when that lowers the transfers on its edges by more than it raises its own
//    compute time: a node is not left on a processor whose transfers cost more than it saves.
//    Every move strictly lowers (node times + transfers), so the sweeps terminate.
import { Role, type PlacementProblem } from "./problem.ts";

export interface Thresholds { sparsity: number; intensity: number }

export const enum Reason { Quadrant = 0, Faster = 1, Pinned = 2, Shape = 3, Control = 4, Constant = 5, NoGpu = 6, Smoothed = 7, Refined = 8 }

export const QUADRANTS = ["dense-light", "dense-heavy", "sparse-light", "sparse-heavy"] as const;
export type Quadrant = (typeof QUADRANTS)[number];

export interface PlacementOutcome {
  thresholds: Thresholds;
  /** Processor index per node of problem.sim.nodes. */
  assign: Int32Array;
  reason: Uint8Array;
  /** Index into QUADRANTS. */
  quadrant: Uint8Array;
  /** For smoothed nodes: ms of transfers saved and of compute added by the move. */
  smoothSaved: Float64Array;
  smoothCost: Float64Array;
  moves: number;
  /** Set when a later stage changed the threshold plan: which ("refinement (from heft)"). */
  refinedBy?: string;
  /** Per node the refinement moved: ms the plan would be slower with that node alone moved back (NaN: not computed). */
  moveGainMs?: Float64Array;
  movedNodes?: number;
}

const MAX_SWEEPS = 8;

export function quadrantOf(sparsity: number, intensity: number, t: Thresholds): number {
  return (sparsity >= t.sparsity ? 2 : 0) + (intensity >= t.intensity ? 1 : 0);
}

export function place(problem: PlacementProblem, thresholds: Thresholds, smoothing = true): PlacementOutcome {
  const { sim, cpu, gpu, role } = problem;
  const n = sim.nodes.length;
  const assign = new Int32Array(n).fill(cpu);
  const reason = new Uint8Array(n);
  const quadrant = new Uint8Array(n);
  const dCpu = sim.duration[cpu]!;
  const dGpu = gpu >= 0 ? sim.duration[gpu]! : dCpu;
  for (let i = 0; i < n; i++) {
    const q = quadrantOf(problem.sparsity[i]!, problem.intensity[i]!, thresholds);
    quadrant[i] = q;
    switch (role[i]) {
      case Role.Pinned: assign[i] = problem.pinnedTo[i]!; reason[i] = Reason.Pinned; continue;
      case Role.Shape: reason[i] = Reason.Shape; continue;
      case Role.Control: reason[i] = Reason.Control; continue;
      case Role.Constant: reason[i] = Reason.Constant; continue;
    }
    if (gpu < 0) { reason[i] = Reason.NoGpu; continue; }
    if (QUADRANTS[q] === "dense-heavy") { assign[i] = gpu; reason[i] = Reason.Quadrant; }
    else if (QUADRANTS[q] === "sparse-light") { assign[i] = cpu; reason[i] = Reason.Quadrant; }
    else { assign[i] = dGpu[i]! < dCpu[i]! ? gpu : cpu; reason[i] = Reason.Faster; }
  }
  followConsumers(problem, assign);
  const smoothSaved = new Float64Array(n);
  const smoothCost = new Float64Array(n);
  let moves = 0;
  if (smoothing && gpu >= 0) moves = smooth(problem, assign, reason, smoothSaved, smoothCost);
  followConsumers(problem, assign);
  return { thresholds, assign, reason, quadrant, smoothSaved, smoothCost, moves };
}

/** Constants take their first consumer's processor (CPU when only a model output reads them). */
export function followConsumers(problem: PlacementProblem, assign: Int32Array): void {
  const { sim, role } = problem;
  for (let i = sim.nodes.length - 1; i >= 0; i--) {
    if (role[i] !== Role.Constant) continue;
    let first = -1;
    for (const vi of sim.outputsOf[i]!) for (const c of sim.values[vi]!.consumers) if (first < 0 || c < first) first = c;
    assign[i] = first >= 0 ? assign[first]! : problem.cpu;
  }
}

/** Transfer ms value `vi` costs under `assign` (to every other processor that reads it). */
export function valueTransferMs(problem: PlacementProblem, assign: ArrayLike<number>, vi: number): number {
  // Hot in the threshold search: no closures, a bit set of destination processors.
  const { sim } = problem;
  const v = sim.values[vi]!;
  const src = v.producer < 0 ? sim.host : assign[v.producer]!;
  let seen = 1 << src;
  let ms = 0;
  const consumers = v.consumers;
  for (let k = 0; k < consumers.length; k++) {
    const d = assign[consumers[k]!]!;
    if (seen & (1 << d)) continue;
    seen |= 1 << d;
    ms += sim.transfer(src, d, v.bytes);
  }
  if (v.isGraphOutput && !(seen & (1 << sim.host))) ms += sim.transfer(src, sim.host, v.bytes);
  return ms;
}

function smooth(problem: PlacementProblem, assign: Int32Array, reason: Uint8Array, saved: Float64Array, cost: Float64Array): number {
  const { sim, cpu, gpu, role } = problem;
  const n = sim.nodes.length;
  let moves = 0;
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let moved = false;
    for (let i = 0; i < n; i++) {
      if (role[i] !== Role.Free) continue;
      const from = assign[i]!;
      const to = from === gpu ? cpu : gpu;
      const edges = problem.incident[i]!;
      let before = 0;
      for (const vi of edges) before += valueTransferMs(problem, assign, vi);
      assign[i] = to;
      let after = 0;
      for (const vi of edges) after += valueTransferMs(problem, assign, vi);
      const computeDelta = sim.duration[to]![i]! - sim.duration[from]![i]!;
      const transferSaved = before - after;
      if (transferSaved > 1e-12 && transferSaved > computeDelta + 1e-12) {
        reason[i] = Reason.Smoothed;
        saved[i] = transferSaved;
        cost[i] = computeDelta;
        moved = true;
        moves++;
      } else {
        assign[i] = from;
      }
    }
    if (!moved) break;
  }
  return moves;
}
