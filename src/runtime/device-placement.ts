// Which onnxruntime execution provider runs each logical device. Asking onnxruntime-node for an
// unavailable provider throws (no silent fallback), so availability is probed once and every
// decision, including "gpu runs on the CPU here", is stated in words.
// (Probing itself, the provider names and the probe model are the onnxruntime boundary's: ort/.)
import { SparoaError } from "../../ir/sparoa-error.ts";
import { availableParallelism } from "node:os";
import { EXECUTION_PROVIDERS, type ExecutionProvider } from "../../ort/provider-names.ts";
import { hostShowsGpu, providerProblem } from "../../ort/providers.ts";
import { quietOnnxruntime } from "../../ort/session.mjs";

/**
 * The providers a logical device can be placed on: every one sparoa knows but XNNPACK, which
 * onnxruntime runs beside the CPU provider inside a session rather than as a device of its own.
 */
export const PROVIDERS = EXECUTION_PROVIDERS.filter((p): p is Exclude<ExecutionProvider, "xnnpack"> => p !== "xnnpack");
export type Provider = (typeof PROVIDERS)[number];

// A provider that is unavailable logs native errors before throwing; placeDevices reports it once.
quietOnnxruntime();

/** Why a provider cannot be used on this host, in one line with what to do instead. */
export class ProviderError extends SparoaError {
  override name = "ProviderError";
}

export interface DevicePlacement {
  device: string;
  provider: Provider;
  threads: number;
  /** Set when the placement is not what the device name suggests (e.g. gpu on the CPU). */
  note?: string;
}

/** `gpu=cuda,cpu=cpu` or ["gpu=cuda", ...] -> {gpu: "cuda", cpu: "cpu"}. */
export function parseDeviceMap(spec: string | readonly string[] | Record<string, string> | undefined): Record<string, Provider> {
  if (spec === undefined) return {};
  const entries: [string, string][] = typeof spec === "string" || Array.isArray(spec)
    ? (typeof spec === "string" ? [spec] : [...spec]).flatMap((s) => s.split(",")).filter((s) => s.trim() !== "").map((s) => {
      const m = /^\s*([A-Za-z0-9_.-]+)\s*=\s*([A-Za-z0-9_-]+)\s*$/.exec(s);
      if (!m) throw new ProviderError(`--device-map: '${s}' is not DEVICE=PROVIDER (example: gpu=cuda, gpu=cpu)`);
      return [m[1]!, m[2]!];
    })
    : Object.entries(spec as Record<string, string>);
  const map: Record<string, Provider> = {};
  for (const [device, provider] of entries) {
    const p = provider.toLowerCase();
    if (!(PROVIDERS as readonly string[]).includes(p)) {
      throw new ProviderError(`device map: '${device}=${provider}': unknown provider (known: ${PROVIDERS.join(", ")})`);
    }
    map[device] = p as Provider;
  }
  return map;
}

/** `cpu=1,gpu=2` or a number for every device. */
/** Most intra-op threads one device may be given (far above any edge board's core count). */
export const MAX_THREADS = 256;

export function parseThreads(spec: string | number | Record<string, number> | undefined): number | Record<string, number> | undefined {
  if (spec === undefined || typeof spec === "number" || typeof spec === "object") return spec;
  const bounded = (n: number, text: string) => {
    if (n > MAX_THREADS) throw new ProviderError(`--threads ${text}: at most ${MAX_THREADS} threads per device`);
    return n;
  };
  if (/^\d+$/.test(spec.trim())) return bounded(Number(spec), spec.trim());
  const out: Record<string, number> = {};
  for (const part of spec.split(",")) {
    const m = /^\s*([A-Za-z0-9_.-]+)\s*=\s*(\d+)\s*$/.exec(part);
    if (!m || Number(m[2]) < 1) throw new ProviderError(`--threads: '${part}' is not DEVICE=N with N >= 1 (example: cpu=1,gpu=1)`);
    out[m[1]!] = bounded(Number(m[2]), part.trim());
  }
  return out;
}

const GPU_PREFERENCE: Provider[] = ["cuda", "webgpu"];

/**
 * Places each logical device on a provider. Explicit map entries must work here (else a
 * ProviderError saying what to do); unmapped "gpu"-like devices take the first working GPU
 * provider or, failing that, the CPU with a note that says so.
 */
export async function placeDevices(devices: readonly string[], mapSpec: Record<string, Provider>, threads?: number | Record<string, number>): Promise<DevicePlacement[]> {
  const cores = availableParallelism();
  const placed: Omit<DevicePlacement, "threads">[] = [];
  for (const device of devices) {
    const asked = mapSpec[device];
    if (asked) {
      const problem = await providerProblem(asked);
      if (problem) throw new ProviderError(unavailableMessage(device, asked, problem));
      placed.push({ device, provider: asked, note: asked === "cpu" && isGpuName(device) ? `${device} -> cpu (mapped by the device map: the '${device}' partitions run on the CPU)` : undefined });
      continue;
    }
    if (!isGpuName(device)) { placed.push({ device, provider: "cpu" }); continue; }
    let chosen: Provider | undefined;
    if (hostShowsGpu()) for (const p of GPU_PREFERENCE) if (!(await providerProblem(p))) { chosen = p; break; }
    const why = hostShowsGpu() ? "no working GPU provider on this host (see docs/gpu.md)" : "no GPU on this host";
    placed.push(chosen
      ? { device, provider: chosen }
      : { device, provider: "cpu", note: `${device} -> cpu (${why}: the '${device}' partitions run on the CPU)` });
  }
  for (const unknown of Object.keys(mapSpec)) {
    if (!devices.includes(unknown)) throw new ProviderError(`device map: no partition uses device '${unknown}' (the package's devices: ${devices.join(", ")})`);
  }
  const cpuDevices = placed.filter((p) => p.provider === "cpu").length;
  return placed.map((p) => {
    const own = typeof threads === "number" ? threads : threads?.[p.device];
    // CPU devices share the cores by default; a GPU device needs few host threads.
    const fallback = p.provider === "cpu" ? Math.max(1, Math.floor(cores / Math.max(1, cpuDevices))) : 1;
    return { ...p, threads: own ?? fallback };
  });
}

export function isGpuName(device: string): boolean {
  return /^(gpu|cuda|dgpu|igpu)\d*$/i.test(device);
}

export function unavailableMessage(device: string, provider: Provider, problem: string): string {
  const why = provider === "cuda" || provider === "tensorrt"
    ? `onnxruntime-node on this host has no ${provider.toUpperCase()} provider library (${problem})`
    : provider === "webgpu" ? `onnxruntime's WebGPU provider found no GPU adapter (${problem})` : problem;
  return `device '${device}' cannot use provider '${provider}': ${why}; map it to the CPU with --device-map ${device}=cpu, or see docs/gpu.md`;
}

export function describePlacement(p: DevicePlacement): string {
  return `${p.note ?? `${p.device} -> ${p.provider}`}, ${p.threads} thread${p.threads === 1 ? "" : "s"}`;
}
