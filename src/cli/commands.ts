// The list of `sparoa` commands, each with the name and one-line description `sparoa --help`
// shows and a loader that imports the command's module only when that command runs: a start
// that loads every command's modules (onnxruntime, the passes, the planner) costs ~1 s even for
// `--help`. A new command is one line here plus its file in commands/.
import type { CommandModule } from "yargs";

export interface CommandEntry {
  /** yargs command string, e.g. "inspect <model>"; must equal the module's own. */
  readonly command: string;
  readonly describe: string;
  readonly load: () => Promise<CommandModule<object, never>>;
}

// In the order a user meets them (the main job first); one per line so additions merge cleanly.
export const COMMANDS: readonly CommandEntry[] = [
  { command: "optimize <model>", describe: "place nodes on CPU/GPU by sparsity and intensity, partition, and write a package with a report", load: async () => (await import("./commands/optimize.ts")).optimizeCommand as never },
  { command: "analyze <model>", describe: "per-node shapes, FLOPs, bytes, intensity, weight and activation sparsity, and SparOA quadrants", load: async () => (await import("./commands/analyze.ts")).analyzeCommand as never },
  { command: "plan <model>", describe: "predict a model's latency, energy and transfers on a device profile for CPU-only, GPU-only, greedy, HEFT, CoDL-style, the oracle and sparoa's own plan", load: async () => (await import("./commands/plan.ts")).planCommand as never },
  { command: "run <package>", describe: "run a package (folder with manifest.json), a processor-annotated model or a plain model once on the bundled runtime", load: async () => (await import("./commands/run.ts")).runCommand as never },
  { command: "bench <package>", describe: "measure the runtime (p50/p90/p99, throughput, processor utilisation) against plain onnxruntime in the same run", load: async () => (await import("./commands/bench.ts")).benchCommand as never },
  { command: "export <package>", describe: "write a package as a Triton Inference Server model repository (one model per partition + an ensemble), or --validate one", load: async () => (await import("./commands/export.ts")).exportCommand as never },
  { command: "inspect <model>", describe: "print a model's IR (text, JSON or Graphviz DOT), optionally after a pass pipeline", load: async () => (await import("./commands/inspect.ts")).inspectCommand as never },
  { command: "convert <model>", describe: "write a model back out through the IR (optionally after passes), inline or with external data", load: async () => (await import("./commands/convert.ts")).convertCommand as never },
  { command: "passes", describe: "list the available passes, their options and the named pipelines", load: async () => (await import("./commands/passes.ts")).passesCommand as never },
  { command: "profile", describe: "measure this machine through onnxruntime (per-op latency, bandwidth, dispatch overhead) and write a device profile", load: async () => (await import("./commands/profile.ts")).profileCommand as never },
  { command: "zoo", describe: "generate a seeded zoo of CNN, multi-branch and transformer ONNX models with random pruning, plus zoo.json (specs, held-out split)", load: async () => (await import("./commands/zoo.ts")).zooCommand as never },
  { command: "train <what>", describe: "train the threshold predictor or the SAC scheduler on a model zoo (its training split)", load: async () => (await import("./commands/train.ts")).trainCommand as never },
];

export const commandName = (entry: CommandEntry): string => entry.command.split(" ")[0]!;
