// A command's pass pipeline run as a library call: the pipeline string and instrument options
// every pass-running command shares (inspect, analyze, convert, plan, optimize), progress bars
// on stderr. The flags themselves are declared in src/cli/pipeline-options.ts.
import type { Model } from "../../ir/model.ts";
import { registerBuiltinPasses } from "../../passes/builtin-passes.ts";
import { PassManager, type PassRun } from "../../passes/manager.ts";
import { instantiate, parsePipeline, type PipelineEntry } from "../../passes/pipeline.ts";
import { currentPassName } from "../../passes/registry.ts";
import type { ProgressHook } from "../../passes/pass.ts";
import { Progress } from "../io/progress.ts";
import { DumpDir, PassStatistics, PrintIR, TimePasses, VerifyEach } from "../../passes/instruments.ts";

export interface PipelineFlags {
  passes?: string;
  "print-ir-after-all"?: boolean;
  "print-ir-after"?: string[];
  "print-ir-after-change"?: boolean;
  "dump-dir"?: string;
  "dump-onnx"?: boolean;
  "time-passes"?: boolean;
  "pass-statistics"?: boolean;
  "verify-each"?: boolean;
}

const toStderr = (text: string) => { process.stderr.write(text); };

/** Above this much weight data, --dump-dir writes text only unless --dump-onnx. */
export const DUMP_ONNX_LIMIT_MB = 16;

function dumpOnnx(model: Model, asked: boolean | undefined): boolean {
  if (asked !== undefined) return asked;
  let bytes = 0;
  for (const v of model.graph.initializers.values()) bytes += v.initializer?.byteLength ?? 0;
  if (bytes <= DUMP_ONNX_LIMIT_MB * 2 ** 20) return true;
  process.stderr.write(`sparoa: note: --dump-dir writes text dumps only: the model holds ${(bytes / 2 ** 20).toFixed(0)} MB of weights, an .onnx per pass would repeat them (--dump-onnx to write them anyway)\n`);
  return false;
}

/** Draws a pass's progress reports as a bar on stderr, one bar per label. */
export function progressBars(): ProgressHook {
  let bar: { label: string; progress: Progress; done: number } | undefined;
  return (label, done, total) => {
    if (bar?.label !== label) bar = { label, progress: new Progress(label, total), done: 0 };
    bar.progress.tick(done - bar.done);
    bar.done = done;
    if (done >= total) { bar.progress.finish(); bar = undefined; }
  };
}

/**
 * Builds the pipeline and its instruments from the flags and runs it over `model`. `extra` runs
 * after `--passes`: a pipeline string, or entries built in code (options with any characters).
 */
export async function runPipeline(model: Model, flags: PipelineFlags, extra: string | readonly PipelineEntry[] = ""): Promise<PassRun[]> {
  registerBuiltinPasses();
  const text = [flags.passes ?? "", typeof extra === "string" ? extra : ""].filter((s) => s.trim() !== "").join(",");
  const entries = [...(text.trim() === "" ? [] : parsePipeline(text)), ...(typeof extra === "string" ? [] : extra)];
  const pm = new PassManager(instantiate(entries)).setProgress(progressBars());
  if (flags["print-ir-after-all"]) pm.addInstrument(new PrintIR("all", toStderr));
  else if (flags["print-ir-after-change"]) pm.addInstrument(new PrintIR("change", toStderr));
  else if (flags["print-ir-after"]?.length) pm.addInstrument(new PrintIR(new Set(flags["print-ir-after"].flatMap((s) => s.split(",")).map(currentPassName)), toStderr));
  if (flags["verify-each"]) pm.addInstrument(new VerifyEach());
  if (flags["dump-dir"]) pm.addInstrument(new DumpDir(flags["dump-dir"], dumpOnnx(model, flags["dump-onnx"])));
  if (flags["time-passes"]) pm.addInstrument(new TimePasses(toStderr));
  if (flags["pass-statistics"]) pm.addInstrument(new PassStatistics(toStderr));
  return pm.run(model);
}
