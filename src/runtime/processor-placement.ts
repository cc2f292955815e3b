// Which onnxruntime execution provider runs each processor. Asking onnxruntime-node for an
// unavailable provider throws (no silent fallback), so availability is probed once and every
// decision, including "gpu runs on the CPU here", is stated in words.
// (Probing itself, the provider names and the probe model are the onnxruntime boundary's: ort/.)
import { SparoaError } from "../../ir/sparoa-error.ts";
import { availableParallelism } from "node:os";
import { EXECUTION_PROVIDERS, type ExecutionProvider } from "../../ort/provider-names.ts";
import { hostShowsGpu, providerProblem } from "../../ort/providers.ts";
import { quietOnnxruntime } from "../../ort/session.mjs";

/**
 * The providers a processor can be placed on: every one sparoa knows but XNNPACK, which
 * onnxruntime runs beside the CPU provider inside a session rather than as a processor of its own.
 */
export const PROVIDERS = EXECUTION_PROVIDERS.filter((p): p is Exclude<ExecutionProvider, "xnnpack"> => p !== "xnnpack");
export type Provider = (typeof PROVIDERS)[number];

// A provider that is unavailable logs native errors before throwing; placeProcessors reports it once.
quietOnnxruntime();

/** Why a provider cannot be used on this host, in one line with what to do instead. */
export class ProviderError extends SparoaError {
  override name = "ProviderError";
}

export interface ProcessorPlacement {
  processor: string;
  provider: Provider;
  threads: number;
  /** Set when the placement is not what the processor name suggests (e.g. gpu on the CPU). */
  note?: string;
}

/** `gpu=cuda,cpu=cpu` or ["gpu=cuda", ...] -> {gpu: "cuda", cpu: "cpu"}. */
/** A processor map as the library takes it: "gpu=cuda", ["gpu=cpu"], {gpu: "webgpu"}. */
export type ProcessorMapSpec = string | readonly string[] | Record<string, string>;

/** The processor map of load options: `processorMap`, or `deviceMap`, its old name (not both). */
export function processorMapOption(options: { processorMap?: ProcessorMapSpec; deviceMap?: ProcessorMapSpec }): ProcessorMapSpec | undefined {
  if (options.processorMap !== undefined && options.deviceMap !== undefined) {
    throw new ProviderError("give the processor map once: processorMap, or deviceMap (its old name), not both");
  }
  return options.processorMap ?? options.deviceMap;
}

export function parseProcessorMap(spec: ProcessorMapSpec | undefined): Record<string, Provider> {
  if (spec === undefined) return {};
  const entries: [string, string][] = typeof spec === "string" || Array.isArray(spec)
    ? (typeof spec === "string" ? [spec] : [...spec]).flatMap((s) => s.split(",")).filter((s) => s.trim() !== "").map((s) => {
      const m = /^\s*([A-Za-z0-9_.-]+)\s*=\s*([A-Za-z0-9_-]+)\s*$/.exec(s);
      if (!m) throw new ProviderError(`--processor-map: '${s}' is not PROCESSOR=PROVIDER (example: gpu=cuda, gpu=cpu)`);
      return [m[1]!, m[2]!];
    })
    : Object.entries(spec as Record<string, string>);
  const map: Record<string, Provider> = {};
  for (const [processor, provider] of entries) {
    const p = provider.toLowerCase();
    if (!(PROVIDERS as readonly string[]).includes(p)) {
      throw new ProviderError(`processor map: '${processor}=${provider}': unknown provider (known: ${PROVIDERS.join(", ")})`);
    }
    map[processor] = p as Provider;
  }
  return map;
}

/** `cpu=1,gpu=2` or a number for every processor. */
/** Most intra-op threads one processor may be given (far above any edge board's core count). */
export const MAX_THREADS = 256;

export function parseThreads(spec: string | number | Record<string, number> | undefined): number | Record<string, number> | undefined {
  if (spec === undefined || typeof spec === "number" || typeof spec === "object") return spec;
  const bounded = (n: number, text: string) => {
    if (n > MAX_THREADS) throw new ProviderError(`--threads ${text}: at most ${MAX_THREADS} threads per processor`);
    return n;
  };
  if (/^\d+$/.test(spec.trim())) return bounded(Number(spec), spec.trim());
  const out: Record<string, number> = {};
  for (const part of spec.split(",")) {
    const m = /^\s*([A-Za-z0-9_.-]+)\s*=\s*(\d+)\s*$/.exec(part);
    if (!m || Number(m[2]) < 1) throw new ProviderError(`--threads: '${part}' is not PROCESSOR=N with N >= 1 (example: cpu=1,gpu=1)`);
    out[m[1]!] = bounded(Number(m[2]), part.trim());
  }
  return out;
}

const GPU_PREFERENCE: Provider[] = ["cuda", "webgpu"];

/**
 * Places each processor on a provider. Explicit map entries must work here (else a
 * ProviderError saying what to do); unmapped "gpu"-like processors take the first working GPU
 * provider or, failing that, the CPU with a note that says so.
 */
export async function placeProcessors(processors: readonly string[], mapSpec: Record<string, Provider>, threads?: number | Record<string, number>): Promise<ProcessorPlacement[]> {
  const cores = availableParallelism();
  const placed: Omit<ProcessorPlacement, "threads">[] = [];
  for (const processor of processors) {
    const asked = mapSpec[processor];
    if (asked) {
      const problem = await providerProblem(asked);
      if (problem) throw new ProviderError(unavailableMessage(processor, asked, problem));
      placed.push({ processor, provider: asked, note: asked === "cpu" && isGpuName(processor) ? `${processor} -> cpu (mapped by the processor map: the '${processor}' partitions run on the CPU)` : undefined });
      continue;
    }
    if (!isGpuName(processor)) { placed.push({ processor, provider: "cpu" }); continue; }
    let chosen: Provider | undefined;
    if (hostShowsGpu()) for (const p of GPU_PREFERENCE) if (!(await providerProblem(p))) { chosen = p; break; }
    const why = hostShowsGpu() ? "no working GPU provider on this host (see docs/gpu.md)" : "no GPU on this host";
    placed.push(chosen
      ? { processor, provider: chosen }
      : { processor, provider: "cpu", note: `${processor} -> cpu (${why}: the '${processor}' partitions run on the CPU)` });
  }
  for (const unknown of Object.keys(mapSpec)) {
    if (!processors.includes(unknown)) throw new ProviderError(`processor map: no partition uses processor '${unknown}' (the package's processors: ${processors.join(", ")})`);
  }
  const cpuProcessors = placed.filter((p) => p.provider === "cpu").length;
  return placed.map((p) => {
    const own = typeof threads === "number" ? threads : threads?.[p.processor];
    // CPU processors share the cores by default; a GPU processor needs few host threads.
    const fallback = p.provider === "cpu" ? Math.max(1, Math.floor(cores / Math.max(1, cpuProcessors))) : 1;
    return { ...p, threads: own ?? fallback };
  });
}

export function isGpuName(processor: string): boolean {
  return /^(gpu|cuda|dgpu|igpu)\d*$/i.test(processor);
}

export function unavailableMessage(processor: string, provider: Provider, problem: string): string {
  const why = provider === "cuda" || provider === "tensorrt"
    ? `onnxruntime-node on this host has no ${provider.toUpperCase()} provider library (${problem})`
    : provider === "webgpu" ? `onnxruntime's WebGPU provider found no GPU adapter (${problem})` : problem;
  return `processor '${processor}' cannot use provider '${provider}': ${why}; map it to the CPU with --processor-map ${processor}=cpu, or see docs/gpu.md`;
}

export function describePlacement(p: ProcessorPlacement): string {
  return `${p.note ?? `${p.processor} -> ${p.provider}`}, ${p.threads} thread${p.threads === 1 ? "" : "s"}`;
}
