// The placement pass's scheduling options (refiner=, scheduler=, state=), applied in one place so
// the pass itself only gains a hook: the profile adjusted for the hardware state, and the
// refiner to plug into the planner's refinement slot.
import { HardwareStateError, loadHardwareState, validateHardwareState, type HardwareState } from "../devices/hardware-state.ts";
import type { DeviceProfile } from "../devices/profile.ts";
import { adjustProfile } from "../devices/state-profile.ts";
import type { Refiner } from "../planner/refiner.ts";
import { sacRefiner } from "./refine.ts";
import { loadSchedulerWeights } from "./weights.ts";

export const REFINERS = ["local", "sac"] as const;
export type RefinerName = (typeof REFINERS)[number];

export interface SchedulingOptions {
  state?: HardwareState;
  refiner?: Refiner;
  adjust(profile: DeviceProfile): DeviceProfile;
}

/** A state option: inline snapshot JSON (what optimize passes for --state live) or a file path. */
export function parseStateOption(text: string): HardwareState {
  if (!text.trimStart().startsWith("{")) return loadHardwareState(text);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new HardwareStateError(`placement option state: not valid JSON (${(e as Error).message})`);
  }
  return validateHardwareState(json, "placement option state");
}

/** The placement pass's refiner=, scheduler= (weights file) and state= option values. */
export function schedulingOptions(options: { refiner?: RefinerName; scheduler?: string; state?: HardwareState }): SchedulingOptions {
  const state = options.state;
  const refiner = options.refiner === "sac" ? sacRefiner({ weights: loadSchedulerWeights(options.scheduler || undefined), state }) : undefined;
  return { state, refiner, adjust: (profile) => (state ? adjustProfile(profile, state).profile : profile) };
}
