// Which onnxruntime execution providers work on this machine. A provider is tried by creating a
// one-node session with only that provider (ORT throws instead of falling back, field notes), in
// a child process: a failing WebGPU/CUDA load prints native warnings we must not mix into output.
// (The runtime probes in-process when it places devices, src/runtime/providers.ts; both create
// the same one-node model.)
import { SparoaError } from "../../ir/sparoa-error.ts";
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as ort from "onnxruntime-node";
import { probeModelBytes } from "../runtime/providers.ts";
import { EXECUTION_PROVIDERS, type DeviceProfile, type ExecutionProvider } from "../devices/profile.ts";

export interface ProviderStatus { available: boolean; reason: string }

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Availability of each provider, with the reason for each unavailable one. */
export function probeProviders(providers: readonly string[] = EXECUTION_PROVIDERS): Record<string, ProviderStatus> {
  const bundled = new Map(ort.listSupportedBackends().map((b) => [b.name, b.bundled]));
  const out: Record<string, ProviderStatus> = {};
  const toTry: string[] = [];
  for (const ep of providers) {
    if (!bundled.has(ep)) out[ep] = { available: false, reason: `onnxruntime-node ${ort.env.versions.common} has no '${ep}' backend on ${process.platform}-${process.arch}` };
    else if (!bundled.get(ep)) out[ep] = { available: false, reason: `'${ep}' is not bundled with onnxruntime-node on ${process.platform}-${process.arch} (its provider libraries are not installed)` };
    else toTry.push(ep);
  }
  if (toTry.length > 0) {
    const script = `
      import * as ort from "onnxruntime-node";
      const bytes = Buffer.from(process.argv[1], "base64");
      const out = {};
      for (const ep of process.argv.slice(2)) {
        try { const s = await ort.InferenceSession.create(bytes, { executionProviders: [ep], logSeverityLevel: 4 }); await s.release(); out[ep] = { available: true, reason: "ok" }; }
        catch (e) { out[ep] = { available: false, reason: String(e && e.message || e).split("\\n")[0] }; }
      }
      process.stdout.write(JSON.stringify(out));`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script, Buffer.from(probeModelBytes()).toString("base64"), ...toTry], { cwd: projectRoot, encoding: "utf8", timeout: 60000 });
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
