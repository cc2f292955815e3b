// Which machine a measured profile describes, and where the live `host` profile is cached.
// `--device host` means this machine now: it is measured on first use and cached per machine key
// (CPU model, cores, memory, onnxruntime version, threads); a profile whose key differs from
// this machine's describes another machine (or this one before an upgrade) and is re-measured.
// Kept free of onnxruntime and the profiler so that `loadProfile("host")` can read the cache
// synchronously (src/profiler/live-host.ts does the measuring).
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism, cpus, homedir, totalmem } from "node:os";
import { join } from "node:path";

/** What a measured profile's figures depend on: a change in any of these re-measures. */
export interface MachineKey {
  cpuModel: string;
  /** Logical cores this process may use (os.availableParallelism). */
  cores: number;
  /** Physical memory, GiB rounded to 0.1. */
  memoryGiB: number;
  /** onnxruntime-node's version. */
  onnxruntime: string;
  /** Intra-op threads per session the profile was measured with. */
  threads: number;
}

/** How much of the grid a profile measured: `smoke` is the test suite's seconds-long run. */
export const PROFILE_MODES = ["full", "quick", "smoke"] as const;
export type ProfileMode = (typeof PROFILE_MODES)[number];

let ortVersion: string | undefined;
/** onnxruntime-node's version from its package.json (no native load: cheap enough for every CLI start). */
export function onnxruntimeVersion(): string {
  if (ortVersion === undefined) {
    try {
      ortVersion = (createRequire(import.meta.url)("onnxruntime-node/package.json") as { version: string }).version;
    } catch {
      ortVersion = "unknown";
    }
  }
  return ortVersion;
}

/** This machine's key for a profile measured with `threads` intra-op threads (default: every core). */
export function currentMachine(threads = availableParallelism()): MachineKey {
  return {
    cpuModel: cpus()[0]?.model.trim() || "unknown CPU",
    cores: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    onnxruntime: onnxruntimeVersion(),
    threads,
  };
}

/** The fields in which `recorded` differs from `now`, as "name recorded -> now" (empty: same machine). */
export function machineDifferences(recorded: MachineKey, now: MachineKey): string[] {
  const names: [keyof MachineKey, string][] = [["cpuModel", "CPU"], ["cores", "cores"], ["memoryGiB", "memory GiB"], ["onnxruntime", "onnxruntime"], ["threads", "threads"]];
  return names.filter(([k]) => recorded[k] !== now[k]).map(([k, label]) => `${label} ${recorded[k]} -> ${now[k]}`);
}

/** Where sparoa caches per-machine measurements: $SPAROA_CACHE_DIR, else $XDG_CACHE_HOME/sparoa, else ~/.cache/sparoa. */
export function cacheDir(): string {
  const own = process.env.SPAROA_CACHE_DIR;
  if (own) return own;
  const xdg = process.env.XDG_CACHE_HOME;
  return join(xdg && xdg.startsWith("/") ? xdg : join(homedir(), ".cache"), "sparoa");
}

/**
 * The cache file of the live host profile for `key` measured in `mode`. The file name carries
 * the hardware (a cache folder shared between machines keeps one file per machine) and the
 * threads; an onnxruntime upgrade overwrites the same file, whose stored key says what it was.
 */
export function hostProfileCachePath(key: MachineKey, mode: ProfileMode = "full", workers = 1): string {
  const hardware = createHash("sha256").update(`${key.cpuModel}|${key.cores}|${key.memoryGiB}`).digest("hex").slice(0, 12);
  return join(cacheDir(), `host-${hardware}-${key.threads}t${workers > 1 ? `-${workers}w` : ""}${mode === "full" ? "" : `-${mode}`}.json`);
}

/** The profiling mode `--device host` uses: $SPAROA_HOST_PROFILE_MODE (full, quick, smoke), default full. */
export function hostProfileMode(): ProfileMode {
  const m = process.env.SPAROA_HOST_PROFILE_MODE;
  return PROFILE_MODES.includes(m as ProfileMode) ? (m as ProfileMode) : "full";
}

/** The cached live host profile's path for this machine now, if one has been measured. */
export function cachedHostProfilePath(threads?: number, workers = 1): string | undefined {
  const path = hostProfileCachePath(currentMachine(threads), hostProfileMode(), workers);
  return existsSync(path) ? path : undefined;
}
