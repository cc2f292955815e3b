// Flags and lifecycle shared by `sparoa run` and `sparoa bench`: device map, threads, trace,
// runtime errors as one-line CliErrors, and Ctrl-C closing every worker before exiting.
import type { Argv } from "yargs";
import { loadPackage, type Runtime } from "../runtime/runtime.ts";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { protectInput } from "../../ir/onnx/file-guard.ts";
import { CliError } from "./errors.ts";
import { loadInputModel } from "./input-model.ts";

export interface RuntimeFlags { "device-map"?: string[]; threads?: string; trace?: string; dim?: string[]; seed: number }

export function withRuntimeFlags<T>(y: Argv<T>): Argv<T & RuntimeFlags> {
  return y
    .option("device-map", { type: "string", array: true, describe: "logical device -> provider: gpu=cuda | gpu=webgpu | gpu=cpu (default: a working GPU provider, else the CPU, said in the output)" })
    .option("threads", { type: "string", describe: "intra-op threads: N for every device, or per device (cpu=1,gpu=1); default shares the cores between CPU devices; at most 256" })
    .option("trace", { type: "string", describe: "write a Chrome/Perfetto trace (a track per device worker, transfers, queue) to this .json file" })
    .option("dim", { type: "string", array: true, describe: "size of a symbolic dimension for generated inputs, e.g. --dim batch=8 (default 1)" })
    .option("seed", { type: "number", default: 1, describe: "seed for generated inputs" }) as unknown as Argv<T & RuntimeFlags>;
}

const USER_ERRORS = new Set(["ManifestError", "ProviderError", "InputError", "RuntimeError", "CutError", "ModelFileError"]);

/** Re-throws the runtime's own errors as one-line CLI errors; others pass through. */
export function asCliError(e: unknown): unknown {
  if (e instanceof Error && (USER_ERRORS.has(e.name) || USER_ERRORS.has(e.constructor.name))) return new CliError(e.message.split("\n")[0]!);
  return e;
}

/**
 * Records the package's files (or the model file) as inputs no output may replace, and verifies
 * a plain model as every command does before running it.
 */
function guardTarget(target: string): void {
  let isFile = false;
  try { isFile = statSync(target).isFile(); } catch { return; } // the runtime names a missing target
  if (isFile) { loadInputModel(target, { spec: "refuse" }); return; }
  const walk = (dir: string, depth: number) => {
    let entries;
    try { entries = readdirSync(dir, { withFileTypes: true }); } catch { return; }
    for (const e of entries.slice(0, 10_000)) {
      if (e.isFile()) protectInput(join(dir, e.name));
      else if (e.isDirectory() && depth < 3) walk(join(dir, e.name), depth + 1);
    }
  };
  walk(target, 0);
}

/** Opens the runtime; Ctrl-C (and SIGTERM) close it, so no worker thread outlives the command. */
export async function openRuntime(target: string, flags: RuntimeFlags): Promise<Runtime> {
  guardTarget(target);
  let runtime: Runtime;
  try {
    runtime = await loadPackage(target, { deviceMap: flags["device-map"], threads: flags.threads, trace: flags.trace !== undefined });
  } catch (e) {
    throw asCliError(e);
  }
  const stop = (signal: NodeJS.Signals) => {
    process.stderr.write(`\nsparoa: ${signal}: closing the device workers\n`);
    void runtime.close().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  return runtime;
}
