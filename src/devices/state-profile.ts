// A device profile adjusted for what the machine is already doing: a processor that is 60% busy
// with other work gives a plan 40% of its compute. The simulator then predicts the plan on the
// machine as it is, and the planner moves work away from the busy processor.
import type { DeviceProfile, ProcessorSpec } from "./profile.ts";
import type { HardwareState } from "./hardware-state.ts";

/** Never model less than this share of a processor: a fully busy core still time-slices. */
export const MIN_AVAILABLE_SHARE = 0.1;

export interface StateAdjustment {
  processor: string;
  /** Share of the processor left for the plan, 0..1. */
  available: number;
  /** What the share was derived from. */
  from: string;
}

/** The share of each processor of `profile` that `state` leaves free, and where it came from. */
export function availableShares(profile: DeviceProfile, state: HardwareState): StateAdjustment[] {
  const out: StateAdjustment[] = [];
  let gpuIndex = 0;
  for (const [name, p] of Object.entries(profile.processors)) {
    if (p.kind === "cpu") {
      const busy = state.cpu.utilisation;
      if (busy === undefined) continue;
      out.push({ processor: name, available: Math.max(MIN_AVAILABLE_SHARE, 1 - busy), from: `cpu ${(busy * 100).toFixed(0)}% busy` });
    } else {
      const gpu = state.gpus[gpuIndex++];
      if (gpu?.utilisation === undefined) continue;
      out.push({ processor: name, available: Math.max(MIN_AVAILABLE_SHARE, 1 - gpu.utilisation), from: `${gpu.name} ${(gpu.utilisation * 100).toFixed(0)}% busy (${gpu.source})` });
    }
  }
  return out;
}

/**
 * `profile` with each processor's peak compute scaled by its free share and its per-kernel
 * dispatch stretched by the same factor (a time-sliced processor starts kernels later). Memory
 * bandwidth and links are left alone: the state files give no per-processor bandwidth share.
 */
export function adjustProfile(profile: DeviceProfile, state: HardwareState): { profile: DeviceProfile; adjustments: StateAdjustment[] } {
  const adjustments = availableShares(profile, state);
  const processors: Record<string, ProcessorSpec> = {};
  for (const [name, p] of Object.entries(profile.processors)) {
    const a = adjustments.find((x) => x.processor === name);
    if (!a || a.available >= 1) { processors[name] = p; continue; }
    const peakGflops = Object.fromEntries(Object.entries(p.peakGflops).map(([dtype, g]) => [dtype, g * a.available]));
    processors[name] = { ...p, peakGflops, dispatchUs: p.dispatchUs / a.available };
  }
  // Measured latencies stand in for the model: a busy processor takes longer over them too.
  const share = new Map(adjustments.map((a) => [a.processor, a.available]));
  const measuredTable = profile.measuredTable?.map((e) => ({ ...e, ms: e.ms / (share.get(e.processor) ?? 1) }));
  const note = adjustments.map((a) => `${a.processor} ${(a.available * 100).toFixed(0)}% available (${a.from})`).join("; ");
  return { profile: { ...profile, processors, ...(measuredTable ? { measuredTable } : {}), description: `${profile.description}${note ? ` [state: ${note}]` : ""}` }, adjustments };
}
