// Flags and lifecycle shared by `sparoa run` and `sparoa bench`: processor map, threads, trace,
// and Ctrl-C closing every worker before exiting.
import type { Argv } from "yargs";
import { loadPackage, type Runtime } from "../runtime/runtime.ts";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { protectInput } from "../../ir/onnx/file-guard.ts";
import { OrtEngine } from "../runtime/ort-engine.ts";
import { loadAlone } from "../runtime/package.ts";
import { CliError } from "./errors.ts";
import { loadInputModel } from "../io/input-model.ts";

export interface RuntimeFlags { "processor-map"?: string[]; "device-map"?: string[]; threads?: string; trace?: string; dim?: string[]; batch?: number; "input-shape"?: string[]; seed: number; engine?: "workers" | "ort"; "layer-settings"?: string }

/** What run and bench drive: the bundled worker runtime, or one onnxruntime session (--engine ort). */
export type Engine = Runtime | OrtEngine;

export function withRuntimeFlags<T>(y: Argv<T>): Argv<T & RuntimeFlags> {
  return y
    .option("processor-map", { type: "string", array: true, describe: "processor -> onnxruntime provider: gpu=cuda | gpu=webgpu | gpu=cpu (default: a working GPU provider, else the CPU, said in the output)" })
    // The flag's name before package format v2; kept working, out of --help.
    .option("device-map", { type: "string", array: true, hidden: true, deprecated: "use --processor-map" })
    .option("threads", { type: "string", describe: "intra-op threads: N for every processor, or per processor (cpu=1,gpu=1); default shares the cores between CPU processors; at most 256" })
    .option("trace", { type: "string", describe: "write a Chrome/Perfetto trace (a track per processor worker, transfers, queue) to this .json file" })
    .option("batch", { type: "number", describe: "leading (batch) dimension of generated inputs (default: the batch the package was planned for, else 1)" })
    .option("input-shape", { type: "string", array: true, describe: "shape of a generated input, NAME=8x3x224x224 (repeatable)" })
    .option("dim", { type: "string", array: true, describe: "size of a named symbolic dimension for generated inputs, e.g. --dim seq=128" })
    .option("seed", { type: "number", default: 1, describe: "seed for generated inputs" })
    .option("engine", { choices: ["workers", "ort"] as const, default: "workers" as const, describe: "workers: a worker thread per processor over the partition models; ort: model.annotated.onnx as one onnxruntime session with its layer assignment (docs/deploy.md)" })
    .option("layer-settings", { type: "string", describe: "with --engine ort: onnxruntime layer_assignment_settings to use instead of the derived ones, e.g. \"cpu(sparoa/cpu/); gpu(sparoa/gpu/)\"" }) as unknown as Argv<T & RuntimeFlags>;
}

/**
 * Records the package's files (or the model file) as inputs no output may replace, and verifies
 * a plain model as every command does before running it.
 */
function guardTarget(target: string): void {
  let isFile = false;
  try { isFile = statSync(target).isFile(); } catch { return; } // the runtime names a missing target
  if (isFile) { loadInputModel(target, { spec: "refuse", load: loadAlone }); return; }
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
export async function openRuntime(target: string, flags: RuntimeFlags, ort: { profile?: boolean } = {}): Promise<Engine> {
  guardTarget(target);
  let runtime: Engine;
  if (flags.engine === "ort" && flags.trace !== undefined) throw new CliError("--trace: needs --engine workers (--engine ort is one onnxruntime session; 'sparoa run --engine ort' reports its profile instead)");
  if (flags.engine !== "ort" && flags["layer-settings"] !== undefined) throw new CliError("--layer-settings: only with --engine ort");
  if (flags["processor-map"] !== undefined && flags["device-map"] !== undefined) throw new CliError("--device-map is the old name of --processor-map: give one of them");
  const processorMap = flags["processor-map"] ?? flags["device-map"];
  if (flags["device-map"] !== undefined) process.stderr.write("sparoa: --device-map is deprecated, it is now --processor-map (it maps a processor of the plan to an onnxruntime provider)\n");
  runtime = flags.engine === "ort"
    ? await OrtEngine.load(target, { processorMap, threads: flags.threads, settings: flags["layer-settings"], profile: ort.profile })
    : await loadPackage(target, { processorMap, threads: flags.threads, trace: flags.trace !== undefined });
  const stop = (signal: NodeJS.Signals) => {
    process.stderr.write(`\nsparoa: ${signal}: closing the processor workers\n`);
    void runtime.close().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  return runtime;
}
