// Whether a device profile can be measured here: every processor's execution provider must work
// on this machine (probed by the onnxruntime boundary, ort/providers.ts, in a child process).
import { SparoaError } from "../../ir/sparoa-error.ts";
import { probeProviders } from "../../ort/providers.ts";
import type { ExecutionProvider } from "../../ort/provider-names.ts";
import type { DeviceProfile } from "../devices/profile.ts";

/**
 * Checks that every processor of `profile` can run here; the error says which execution provider
 * is missing and why (used before measuring or re-measuring a profile on this machine).
 */
export function assertProfileRunnable(profile: DeviceProfile, statuses = probeProviders()): void {
  for (const [name, p] of Object.entries(profile.processors)) {
    const s = statuses[p.executionProvider as ExecutionProvider];
    if (!s?.available) {
      const available = Object.entries(statuses).filter(([, x]) => x.available).map(([k]) => k);
      throw new UnavailableProviderError(`profile '${profile.name}': processor '${name}' needs execution provider '${p.executionProvider}', which is unavailable on this machine: ${s?.reason ?? "not probed"}${available.length ? ` (available here: ${available.join(", ")})` : ""}; the profile can still be used for prediction (sparoa plan), not measured here`);
    }
  }
}

export class UnavailableProviderError extends SparoaError {
  override name = "UnavailableProviderError";
}
