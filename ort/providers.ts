// Whether an onnxruntime execution provider works on this machine. A provider is tried by creating
// a session over one probe model (Identity on f32[1]) with only that provider: onnxruntime-node
// throws instead of falling back (field notes). Two ways, one model: in-process for the runtime
// (it places processors on providers at load; a failure's native log is silenced by quietOnnxruntime), and in a
// child process for `sparoa profile` (a failing WebGPU/CUDA load prints native warnings that
// must not mix into its output).
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import * as ort from "onnxruntime-node";
import { Builder, DataType, Graph, Model, modelBytes, tensorType } from "../ir/index.ts";
import { EXECUTION_PROVIDERS } from "./provider-names.ts";
import { onnxruntimeVersion, openSession } from "./session.mjs";

/** The informative part of an onnxruntime error: "Failed to ..." rather than source paths. */
export function firstCause(message: string): string {
  const line = message.split("\n")[0]!;
  const failed = /(Failed to [^.]*)/.exec(line)?.[1];
  return (failed ?? line.replace(/^.*\]\s*/, "")).slice(0, 160);
}

let probeModel: Uint8Array | undefined;

/** A one-node model (Identity on f32[1]) any provider can load: what availability probes create a session from. */
export function probeModelBytes(): Uint8Array {
  probeModel ??= identityModel();
  return probeModel;
}

function identityModel(): Uint8Array {
  const g = new Graph("probe");
  const b = new Builder(g);
  const x = b.input("x", tensorType(DataType.FLOAT, [1]));
  const y = b.op1("Identity", [x]);
  b.output(y);
  y.type = tensorType(DataType.FLOAT, [1]);
  return modelBytes(new Model(g, { irVersion: 8, opsets: { "": 13 } }));
}

const probed = new Map<string, Promise<string | undefined>>();

/** In this process: undefined when the provider works here, else why not (onnxruntime's own first line). */
export function providerProblem(provider: string): Promise<string | undefined> {
  if (provider === "cpu") return Promise.resolve(undefined);
  let p = probed.get(provider);
  if (!p) {
    p = (async () => {
      try {
        const s = await openSession(probeModelBytes(), { executionProviders: [provider], logSeverityLevel: 3 });
        await s.release();
        return undefined;
      } catch (e) {
        return firstCause((e as Error).message);
      }
    })();
    probed.set(provider, p);
  }
  return p;
}

/**
 * Whether the host shows any GPU device node (NVIDIA, or a DRM render node for Vulkan/WebGPU).
 * Without one, probing providers only prints driver warnings, so it is skipped.
 */
export function hostShowsGpu(): boolean {
  if (existsSync("/dev/nvidia0") || existsSync("/dev/nvidiactl")) return true;
  try {
    return readdirSync("/dev/dri").some((f) => f.startsWith("renderD"));
  } catch {
    return false;
  }
}

export interface ProviderStatus { available: boolean; reason: string }

const SESSION_MODULE = new URL("./session.mjs", import.meta.url).href;

/** In a child process: availability of each provider, with the reason for each unavailable one. */
export function probeProviders(providers: readonly string[] = EXECUTION_PROVIDERS): Record<string, ProviderStatus> {
  const bundled = new Map(ort.listSupportedBackends().map((b) => [b.name, b.bundled]));
  const out: Record<string, ProviderStatus> = {};
  const toTry: string[] = [];
  for (const ep of providers) {
    if (!bundled.has(ep)) out[ep] = { available: false, reason: `onnxruntime-node ${onnxruntimeVersion()} has no '${ep}' backend on ${process.platform}-${process.arch}` };
    else if (!bundled.get(ep)) out[ep] = { available: false, reason: `'${ep}' is not bundled with onnxruntime-node on ${process.platform}-${process.arch} (its provider libraries are not installed)` };
    else toTry.push(ep);
  }
  if (toTry.length > 0) {
    const script = `
      const { openSession } = await import(process.argv[1]);
      const bytes = Buffer.from(process.argv[2], "base64");
      const out = {};
      for (const ep of process.argv.slice(3)) {
        try { const s = await openSession(bytes, { executionProviders: [ep], logSeverityLevel: 4 }); await s.release(); out[ep] = { available: true, reason: "ok" }; }
        catch (e) { out[ep] = { available: false, reason: String(e && e.message || e).split("\\n")[0] }; }
      }
      process.stdout.write(JSON.stringify(out));`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script, SESSION_MODULE, Buffer.from(probeModelBytes()).toString("base64"), ...toTry], { encoding: "utf8", timeout: 60000 });
    let parsed: Record<string, ProviderStatus> = {};
    try { parsed = JSON.parse(r.stdout) as Record<string, ProviderStatus>; } catch { /* reported below */ }
    for (const ep of toTry) out[ep] = parsed[ep] ?? { available: false, reason: `probe failed (${(r.stderr || r.error?.message || "no output").split("\n")[0]})` };
  }
  for (const s of Object.values(out)) if (!s.available) s.reason = explain(s.reason);
  return Object.fromEntries(providers.map((ep) => [ep, out[ep]!]));
}

/** Shortens onnxruntime's messages to what a user can act on. */
function explain(reason: string): string {
  if (/WebGPU adapter/i.test(reason)) return "compiled in, but no WebGPU adapter was found (no GPU / no Vulkan driver on this machine)";
  if (/Failed to load shared library/i.test(reason)) return "its provider library is not installed";
  return reason.replace(/^\/onnxruntime_src\/\S+\s*/, "");
}
