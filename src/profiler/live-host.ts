// `--device host`: this machine now. The first use on a machine measures it (`sparoa profile`'s
// engine, a progress line on stderr) and caches the profile under the machine's key
// (src/devices/host-machine.ts); later uses read the cache instantly; a change of CPU, cores,
// memory, onnxruntime or threads, or `sparoa profile --refresh`, measures again. Any other
// measured profile used here gets a one-line note when it describes another machine.
import { existsSync } from "node:fs";
import { currentMachine, hostProfileCachePath, hostProfileMode, machineDifferences, type ProfileMode } from "../devices/host-machine.ts";
import { HOST_PROFILE, HOST_WORKERS, HOST_WORKERS_PROFILE, loadProfile, otherMachineNote, ProfileError, type DeviceProfile } from "../devices/profile.ts";
import { writeAtomic } from "../io/output.ts";
import { Progress } from "../io/progress.ts";
import type { HostProfileResult } from "./profile-host.ts";

export interface LiveHostOptions {
  /** Intra-op threads (default: every core). */
  threads?: number;
  /** CPU workers of `threads` each (host-2x1: 2 of 1 thread); default 1, the plain `host`. */
  workers?: number;
  /** Measure even when a valid profile is cached (`sparoa profile --refresh`). */
  refresh?: boolean;
  /** Default: $SPAROA_HOST_PROFILE_MODE, else full. */
  mode?: ProfileMode;
  /** Write progress and what happened to stderr (default true). */
  report?: boolean;
}

export interface LiveHostProfile {
  profile: DeviceProfile;
  /** The cache file. */
  path: string;
  /** Why it was measured now; undefined when it came from the cache. */
  measuredBecause?: string;
  /** The measurement, when one ran. */
  result?: HostProfileResult;
  seconds?: number;
}

/** This machine's live host profile: from the cache when it describes this machine now, else measured and cached. */
export async function liveHostProfile(o: LiveHostOptions = {}): Promise<LiveHostProfile> {
  const machine = currentMachine(o.threads);
  const mode = o.mode ?? hostProfileMode();
  const workers = o.workers ?? 1;
  const name = workers > 1 ? HOST_WORKERS_PROFILE : HOST_PROFILE;
  const path = hostProfileCachePath(machine, mode, workers);
  const report = o.report ?? true;
  let because = "first use on this machine";
  if (o.refresh) because = "--refresh";
  else if (existsSync(path)) {
    try {
      const cached = loadProfile(path);
      const changed = cached.measured?.machine ? machineDifferences(cached.measured.machine, machine) : ["no machine key recorded"];
      if (changed.length === 0) return { profile: cached, path };
      because = `the machine changed: ${changed.join(", ")}`;
    } catch (e) {
      if (!(e instanceof ProfileError)) throw e;
      because = `the cached profile is unreadable (${e.message})`;
    }
  }
  if (report) process.stderr.write(`sparoa: measuring this machine for the host profile (${because}; ${mode === "full" ? "a full profile: up to a minute" : `${mode} mode`}); caching it in ${path}\n`);
  const started = Date.now();
  // Loaded only when measuring: onnxruntime's native library is not needed to read the cache.
  const { profileHost } = await import("./profile-host.ts");
  let bar: Progress | undefined;
  const result = await profileHost({
    mode, threads: machine.threads, workers, name,
    onPlan: (steps) => { bar = new Progress("profiling this machine", steps, report); },
    onStep: (label) => bar?.tick(1, label),
  });
  bar?.finish();
  try {
    writeAtomic(path, JSON.stringify(result.profile, null, 2) + "\n");
  } catch (e) {
    // The measurement still stands for this command; only the next one will have to measure again.
    if (report) process.stderr.write(`sparoa: warning: cannot cache the host profile (${(e as Error).message}); set SPAROA_CACHE_DIR to a writable folder\n`);
  }
  const seconds = (Date.now() - started) / 1000;
  const load = result.profile.measured?.load;
  if (report) process.stderr.write(`sparoa: host profile measured in ${seconds.toFixed(1)} s${load?.loaded ? ` on a loaded machine (${load.reason}): its times are slower than this machine when quiet` : ""}\n`);
  return { profile: result.profile, path, measuredBecause: because, result, seconds };
}

/**
 * The profile `--device NAME_OR_PATH` names: `host` is the live profile (measured on first use),
 * `host-2x1` the same machine as two one-thread CPU workers (also live);
 * a bundled name or a file is loaded as it is, with a one-line note on stderr when it was
 * measured on another machine than this one.
 */
export async function resolveDeviceProfile(nameOrPath: string, o: LiveHostOptions = {}): Promise<DeviceProfile> {
  if (nameOrPath === HOST_PROFILE) return (await liveHostProfile(o)).profile;
  if (nameOrPath === HOST_WORKERS_PROFILE) return (await liveHostProfile({ ...o, ...HOST_WORKERS })).profile;
  const profile = loadProfile(nameOrPath);
  const note = otherMachineNote(profile, nameOrPath);
  if (note && (o.report ?? true)) process.stderr.write(`sparoa: note: ${note}\n`);
  return profile;
}
