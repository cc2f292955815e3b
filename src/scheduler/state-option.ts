// `--state live|none|FILE`: which hardware state a plan is made for. Live by default for a
// profile measured on this machine (the host profile: its state is the machine's now), none for
// spec-sheet profiles (a Jetson's profile says nothing about this machine's load) unless asked.
import { currentMachine, machineDifferences } from "../devices/host-machine.ts";
import { loadHardwareState, readHardwareState, type HardwareState } from "../devices/hardware-state.ts";
import type { DeviceProfile } from "../devices/profile.ts";

export interface ResolvedState { state?: HardwareState; source: "live" | "none" | "file"; note: string }

/** Whether `profile` was measured on this machine as it is now (older files without a machine key: named `host`). */
export function isHostProfile(profile: DeviceProfile): boolean {
  const machine = profile.measured?.machine;
  if (machine) return machineDifferences(machine, currentMachine(machine.threads)).length === 0;
  return profile.name === "host";
}

export async function resolveStateOption(flag: string | undefined, profile: DeviceProfile): Promise<ResolvedState> {
  const mode = flag ?? (isHostProfile(profile) ? "live" : "none");
  if (mode === "none") return { source: "none", note: flag ? "no hardware state (--state none)" : `no hardware state (profile '${profile.name}' is not this machine; --state live or FILE to plan for one)` };
  if (mode === "live") return { state: await readHardwareState(), source: "live", note: "the machine's state now" };
  return { state: loadHardwareState(mode), source: "file", note: `state file ${mode}` };
}
