// What the policy sees at one step of the placement MDP (docs/scheduler.md): the node's own
// figures (its times on CPU and GPU, sparsity, the thresholds' quadrant), where its neighbours are
// now and what its transfers would cost on either side, the machine's state, and the episode's
// progress. Every feature is scaled to a few units so one network serves graphs and devices of
// very different sizes: times are relative to the plan's cost, ratios are logs, all clipped.
import type { HardwareState } from "../devices/hardware-state.ts";
import { valueTransferMs } from "../planner/place.ts";
import type { PlacementProblem } from "../planner/problem.ts";

export const OBSERVATION_FEATURES = [
  "log-speedup-gpu", "cpu-time", "gpu-time", "sparsity",
  "quadrant-dense-light", "quadrant-dense-heavy", "quadrant-sparse-light", "quadrant-sparse-heavy",
  "on-gpu", "transfer-delta-node", "transfer-delta-plan", "producers-on-gpu", "consumers-on-gpu",
  "fuses-on-cpu", "fuses-on-gpu", "call-cost", "cpu-available", "gpu-available", "progress", "plan-on-gpu",
] as const;
export const OBSERVATION_SIZE = OBSERVATION_FEATURES.length;
/** Actions: 0 puts the node on the CPU, 1 on the GPU. */
export const ACTIONS = ["cpu", "gpu"] as const;

/** The machine's state as the policy sees it: the free share of each processor. */
export interface StateFeatures { cpuAvailable: number; gpuAvailable: number }

export function stateFeatures(state: HardwareState | undefined): StateFeatures {
  if (!state) return { cpuAvailable: 1, gpuAvailable: 1 };
  const gpuBusy = state.gpus[0]?.utilisation;
  return { cpuAvailable: 1 - (state.cpu.utilisation ?? 0), gpuAvailable: 1 - (gpuBusy ?? 0) };
}

const clip = (x: number, lo: number, hi: number) => (x < lo ? lo : x > hi ? hi : x);

/** Per-node figures that do not change while a plan changes, computed once per problem. */
export class NodeFigures {
  readonly producers: number[][];
  readonly consumers: number[][];

  constructor(readonly problem: PlacementProblem) {
    const { sim } = problem;
    this.producers = sim.nodes.map((_, i) => [...new Set(sim.inputsOf[i]!.map((v) => sim.values[v]!.producer).filter((p) => p >= 0))]);
    this.consumers = sim.nodes.map((_, i) => [...new Set(sim.outputsOf[i]!.flatMap((v) => sim.values[v]!.consumers))]);
  }
}

export interface ObservationContext {
  figures: NodeFigures;
  /** The threshold plan's quadrant per node (index into QUADRANTS). */
  quadrant: Uint8Array;
  state: StateFeatures;
  /** The cost the episode started from (scales times and transfers). */
  referenceMs: number;
}

/** Writes the observation of node `i` under `assign` into `out`. */
export function observe(ctx: ObservationContext, assign: Int32Array, i: number, progress: number, gpuShare: number, out: Float32Array): Float32Array {
  const { problem, producers, consumers } = ctx.figures;
  const { sim, cpu, gpu } = problem;
  const tc = sim.duration[cpu]![i]!;
  const tg = sim.duration[gpu]![i]!;
  const ref = Math.max(1e-9, ctx.referenceMs);
  const eps = 1e-4;
  out[0] = clip((Math.log(tc + eps) - Math.log(tg + eps)) / 4, -2, 2);
  out[1] = clip((tc / ref) * 20, 0, 4);
  out[2] = clip((tg / ref) * 20, 0, 4);
  out[3] = clip(problem.sparsity[i]!, 0, 1);
  const q = ctx.quadrant[i]!;
  for (let k = 0; k < 4; k++) out[4 + k] = q === k ? 1 : 0;
  const here = assign[i]!;
  out[8] = here === gpu ? 1 : 0;
  // What the node's edges would cost on either side, the neighbours where they are now.
  let onCpu = 0;
  let onGpu = 0;
  for (const vi of problem.incident[i]!) {
    assign[i] = cpu; onCpu += valueTransferMs(problem, assign, vi);
    assign[i] = gpu; onGpu += valueTransferMs(problem, assign, vi);
  }
  assign[i] = here;
  out[9] = clip((onGpu - onCpu) / (tc + tg + eps), -4, 4);
  out[10] = clip(((onGpu - onCpu) / ref) * 20, -4, 4);
  out[11] = share(producers[i]!, assign, gpu);
  out[12] = share(consumers[i]!, assign, gpu);
  const parentCpu = sim.fuseParent[cpu]![i]!;
  const parentGpu = sim.fuseParent[gpu]![i]!;
  out[13] = parentCpu >= 0 && assign[parentCpu] === cpu ? 1 : 0;
  out[14] = parentGpu >= 0 && assign[parentGpu] === gpu ? 1 : 0;
  out[15] = clip(((sim.profile.runOverheadUs / 1000) / ref) * 10, 0, 4);
  out[16] = ctx.state.cpuAvailable;
  out[17] = ctx.state.gpuAvailable;
  out[18] = progress;
  out[19] = gpuShare;
  return out;
}

function share(nodes: readonly number[], assign: Int32Array, gpu: number): number {
  if (nodes.length === 0) return 0.5;
  let n = 0;
  for (const j of nodes) if (assign[j] === gpu) n++;
  return n / nodes.length;
}
