// The pass-pipeline flags shared by every command that runs passes (inspect, analyze, optimize);
// src/optimize/run-pipeline.ts runs what they ask for.
import type { Argv } from "yargs";
import { DUMP_ONNX_LIMIT_MB } from "../optimize/run-pipeline.ts";

export function withPipelineFlags<T>(y: Argv<T>, defaultPipeline?: string) {
  return y
    .option("passes", { type: "string", describe: "pass pipeline, e.g. 'topo-sort,dce', a named pipeline, or options as 'pass{key=value}' (see sparoa passes --help)", default: defaultPipeline })
    .option("print-ir-after-all", { type: "boolean", describe: "print the IR after every pass (stderr)" })
    .option("print-ir-after", { type: "string", array: true, describe: "print the IR after the named pass(es)" })
    .option("print-ir-after-change", { type: "boolean", describe: "print the IR after each pass that changed it" })
    .option("dump-dir", { type: "string", describe: "write NN-pass.txt (and NN-pass.onnx, see --dump-onnx) after each pass into DIR" })
    .option("dump-onnx", { type: "boolean", describe: `with --dump-dir, also an .onnx per pass (default: only for models whose weights are under ${DUMP_ONNX_LIMIT_MB} MB)` })
    .option("time-passes", { type: "boolean", describe: "print a table of wall time per pass (stderr)" })
    .option("pass-statistics", { type: "boolean", describe: "print each pass's statistics (stderr)" })
    .option("verify-each", { type: "boolean", describe: "run the verifier after every pass" })
    .group(["passes", "print-ir-after-all", "print-ir-after", "print-ir-after-change", "dump-dir", "dump-onnx", "time-passes", "pass-statistics", "verify-each"], "Pass pipeline:");
}
