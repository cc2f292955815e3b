// `sparoa plan MODEL --device PROFILE`: predicted latency, energy and data movement of the
// baselines, the oracle and sparoa's own plan for a model on a device profile, from the
// simulator, every plan judged by the same cost (simulation + one runtime call per extra partition).
import type { Argv, CommandModule } from "yargs";
import { loadInputModel } from "../../io/input-model.ts";
import { NodeKey } from "../../../ir/annotation-keys.ts";
import { passEntry, type PipelineEntry } from "../../../passes/pipeline.ts";
import { activationSparsityPass } from "../../../passes/activation-sparsity.ts";
import { registerBuiltinPasses } from "../../../passes/builtin-passes.ts";
import { lookupPass } from "../../../passes/registry.ts";
import type { BaselineReport, Plan } from "../../planner/baselines/index.ts";
import { comparePlans } from "../../planner/compare.ts";
import { DEFAULT_SEARCH_EVALUATIONS_TEXT } from "../../planner/local-search.ts";
import type { DeviceProfile } from "../../devices/profile.ts";
import { resolveDeviceProfile } from "../../profiler/live-host.ts";
import { toChromeTrace } from "../../sim/plan-trace.ts";
import { CliError } from "../errors.ts";
import { prepareOutputPath, writeAtomic } from "../../io/output.ts";
import { withPipelineFlags } from "../pipeline-options.ts";
import { runPipeline, type PipelineFlags } from "../../optimize/run-pipeline.ts";
import { bindShapesFromFlags, printNotes } from "../shape-options.ts";

interface PlanArgs extends PipelineFlags {
  model: string;
  device: string;
  compare: boolean;
  json: boolean;
  trace?: string;
  "trace-plan": string;
  batch: number;
  "input-shape"?: string[];
  activations: boolean;
  "exact-limit": number;
  "search-ms"?: number;
  "search-evaluations"?: number;
  "search-seed": number;
}

/** The analyses a plan needs, in order (activation sparsity only with --activations: it runs the model). */
const ANALYSES = ["shape-inference", "cost", "weight-sparsity"];

export const planCommand: CommandModule<object, PlanArgs> = {
  command: "plan <model>",
  describe: "predict a model's latency, energy and transfers on a device profile for CPU-only, GPU-only, greedy, HEFT, CoDL-style, the oracle and sparoa's own plan",
  builder: (y) => withPipelineFlags(y as Argv<object>)
    .positional("model", { type: "string", demandOption: true, describe: "an .onnx file" })
    .option("device", { alias: "d", type: "string", demandOption: true, describe: "device profile: orin-nano, agx-orin, h100-pcie, host (this machine: measured on first use, then cached), host-2x1 (this machine as two one-thread CPU workers, likewise), or a profile .json" })
    .option("compare", { type: "boolean", default: false, describe: "print every baseline in one table (default: the best plan against CPU-only and GPU-only)" })
    .option("json", { type: "boolean", default: false, describe: "machine-readable output" })
    .option("trace", { type: "string", describe: "write the chosen plan's timeline as a Chrome trace JSON (open in ui.perfetto.dev)" })
    .option("trace-plan", { type: "string", default: "oracle", describe: "which plan --trace draws (cpu-only, gpu-only, greedy, heft, codl, oracle, sparoa)" })
    .option("batch", { type: "number", default: 1, describe: "also predict a batch of this many samples (a leading symbolic batch dimension is bound to 1 for the per-sample figures)" })
    .option("input-shape", { type: "string", array: true, describe: "bind an input's dynamic dimensions, NAME=1x3x224x224" })
    .option("activations", { type: "boolean", default: false, describe: "measure activation sparsity with a calibration run first (for profiles whose kernels exploit activation zeros)" })
    .option("exact-limit", { type: "number", default: 25, describe: "prove the optimum by branch and bound up to this many placeable nodes" })
    .option("search-evaluations", { type: "number", describe: `budget of the oracle's local search and of sparoa's refinement, in simulations (default ${DEFAULT_SEARCH_EVALUATIONS_TEXT}); same budget and seed, same plans` })
    .option("search-seed", { type: "number", default: 1, describe: "seed of the searches' perturbations" })
    .option("search-ms", { type: "number", describe: "also stop the searches after this many ms (makes results depend on the machine's speed)" })
    .example("$0 plan model.onnx --device orin-nano", "the best plan against CPU-only and GPU-only")
    .example("$0 plan model.onnx --device agx-orin --compare", "every baseline, the oracle and sparoa's plan in one table, under one cost")
    .example("$0 plan model.onnx --device orin-nano --compare --search-evaluations 40000", "a longer (still repeatable) oracle and refinement")
    .example("$0 plan model.onnx --device h100-pcie --json --trace plan.json", "JSON, and the oracle's timeline for Perfetto") as unknown as Argv<PlanArgs>,
  handler: async (argv) => {
    registerBuiltinPasses(); // it looks the analyses up by name before running them
    if (!Number.isInteger(argv.batch) || argv.batch < 1) throw new CliError(`--batch ${argv.batch}: expected a whole number >= 1`);
    if (!Number.isInteger(argv["exact-limit"]) || argv["exact-limit"] < 0 || argv["exact-limit"] > 40) throw new CliError(`--exact-limit ${argv["exact-limit"]}: expected a whole number in 0..40`);
    if (argv["search-ms"] !== undefined && !(argv["search-ms"] > 0)) throw new CliError(`--search-ms ${argv["search-ms"]}: expected a positive number`);
    if (argv["search-evaluations"] !== undefined && (!Number.isInteger(argv["search-evaluations"]) || argv["search-evaluations"] < 1)) throw new CliError(`--search-evaluations ${argv["search-evaluations"]}: expected a whole number >= 1`);
    if (!Number.isInteger(argv["search-seed"]) || argv["search-seed"] < 0) throw new CliError(`--search-seed ${argv["search-seed"]}: expected a whole number >= 0`);
    prepareOutputPath(argv.trace, "--trace");
    const profile = await resolveDeviceProfile(argv.device);
    const model = loadInputModel(argv.model, { spec: "refuse" });
    // The simulator scales one sample to --batch itself, so the model's own batch is bound to 1.
    printNotes(bindShapesFromFlags(model, argv, 1));

    const missingPasses = ANALYSES.filter((name) => !lookupPass(name));
    if (missingPasses.includes("cost")) throw new CliError("the cost pass is not available in this build: sparoa plan needs per-node FLOPs and bytes");
    const entries: PipelineEntry[] = ANALYSES.filter((name) => lookupPass(name)).map((name) => ({ name, options: {} }));
    if (argv.activations) entries.push(passEntry(activationSparsityPass, { "if-unrunnable": "warn" }));
    const runs = await runPipeline(model, argv, entries);
    const warnings = [...new Set(runs.flatMap((r) => r.messages.map((m) => `${r.pass.name}: ${m}`)))];
    if (missingPasses.length > 0) warnings.push(`pass(es) ${missingPasses.join(", ")} not available in this build`);
    const unknownCost = model.graph.nodes.filter((n) => n.annotations.get(NodeKey.costUnknown) === true).length;
    if (unknownCost > 0) warnings.push(`${unknownCost} node(s) have no cost formula: they count only their dispatch overhead`);

    const search = { maxEvaluations: argv["search-evaluations"], seed: argv["search-seed"], timeLimitMs: argv["search-ms"] };
    const report = comparePlans(model, profile, { batch: argv.batch, search, oracle: { maxExactNodes: argv["exact-limit"], timeLimitMs: argv["search-ms"] } });
    if (report.sim.unknownSizes > 0) warnings.push(`${report.sim.unknownSizes} value(s) have unknown sizes and count as 0 bytes moved`);

    if (argv.trace) {
      const chosen = report.plans.find((p) => p.name === argv["trace-plan"]);
      if (!chosen) throw new CliError(`--trace-plan '${argv["trace-plan"]}': no such plan here (plans: ${report.plans.map((p) => p.name).join(", ")})`);
      writeAtomic(argv.trace, JSON.stringify(toChromeTrace(chosen.result, `${argv.model} on ${profile.name}: ${chosen.name}`)) + "\n");
    }
    const honesty = provenance(profile);
    if (argv.json) {
      process.stdout.write(JSON.stringify(planJson(argv.model, profile, report, honesty, warnings), null, 2) + "\n");
      return;
    }
    for (const w of warnings) process.stderr.write(`sparoa: warning: ${w}\n`);
    process.stdout.write(formatPlans(argv.model, profile, report, argv.compare, honesty, argv.batch));
  },
};

/** Where the numbers come from, said plainly: nothing here ran on the profile's GPU. */
export function provenance(profile: DeviceProfile): string {
  const src = profile.measured ? `measured by sparoa profile on ${profile.measured.date}` : "spec-sheet figures, see docs/devices.md";
  const gpus = Object.entries(profile.processors).filter(([, p]) => p.kind === "gpu").map(([n]) => n);
  return `Predicted by the simulator from profile '${profile.name}' (${src}); nothing was run${gpus.length ? `, and no GPU was used` : ""}.`;
}

function speedups(report: BaselineReport, plan: Plan): { cpu?: number; gpu?: number } {
  const cpu = report.plans.find((p) => p.name === "cpu-only");
  const gpu = report.plans.find((p) => p.name === "gpu-only");
  return { cpu: cpu ? cpu.latency.ms / plan.latency.ms : undefined, gpu: gpu ? gpu.latency.ms / plan.latency.ms : undefined };
}

/** Placeable nodes per processor (constants and shape computations always sit on the host). */
function counts(plan: Plan, report: BaselineReport): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [n, p] of plan.placement) if (!report.sim.hostOnly[report.sim.index.get(n)!]) out[p] = (out[p] ?? 0) + 1;
  return out;
}

export function planJson(modelPath: string, profile: DeviceProfile, report: BaselineReport, provenanceText: string, warnings: string[]) {
  return {
    model: modelPath,
    device: profile.name,
    provenance: provenanceText,
    nodes: report.sim.nodes.length,
    placeableNodes: report.placeableNodes,
    plans: report.plans.map((p) => {
      const s = speedups(report, p);
      return {
        name: p.name, label: p.label, latencyMs: p.latency.ms, simulatedMs: p.latency.simulatedMs, partitions: p.latency.partitions, callsMs: p.latency.callsMs, cutsMs: p.latency.cutsMs, contentionMs: p.latency.contentionMs, criticalPathMs: p.result.criticalPathMs,
        batch: p.result.batch, speedupOverCpuOnly: s.cpu ?? null, speedupOverGpuOnly: s.gpu ?? null,
        crossings: p.result.crossings, bytesMoved: p.result.bytesMoved, transferMs: p.result.transferMs, energyMj: p.result.energyMj,
        processors: p.result.processors, nodesPerProcessor: counts(p, report), notes: p.notes,
        placement: Object.fromEntries([...p.placement].map(([n, d]) => [n.name || n.opType, d])),
      };
    }),
    missing: report.missing,
    warnings,
  };
}

const fmtMs = (x: number) => (x >= 100 ? x.toFixed(1) : x >= 1 ? x.toFixed(3) : x.toFixed(4));
const fmtX = (x: number | undefined) => (x === undefined ? "n/a" : `${x.toFixed(2)}x`);
const fmtBytes = (b: number) => (b >= 1e6 ? `${(b / 1e6).toFixed(2)} MB` : b >= 1e3 ? `${(b / 1e3).toFixed(1)} KB` : `${b} B`);

export function formatPlans(modelPath: string, profile: DeviceProfile, report: BaselineReport, compare: boolean, provenanceText: string, batch: number): string {
  const lines: string[] = [];
  const procs = Object.entries(profile.processors).map(([n, p]) => `${n} [${p.executionProvider}${p.threads ? `, ${p.threads} threads` : ""}]`).join(", ");
  lines.push(`${modelPath} on ${profile.name}: ${report.sim.nodes.length} nodes (${report.placeableNodes} placeable); processors ${procs}`);
  lines.push(provenanceText, "");
  const shown = compare ? report.plans : report.plans.filter((p) => ["cpu-only", "gpu-only", "oracle", "sparoa"].includes(p.name));
  const header = ["plan", "latency ms", "partitions", ...(batch > 1 ? [`batch ${batch} ms`] : []), "vs CPU-only", "vs GPU-only", "crossings", "moved", "energy mJ", "nodes", "what"];
  const rows = shown.map((p) => {
    const s = speedups(report, p);
    const c = counts(p, report);
    return [p.name, fmtMs(p.latency.ms), String(p.latency.partitions), ...(batch > 1 ? [fmtMs(p.result.batch.makespanMs)] : []), fmtX(s.cpu), fmtX(s.gpu), String(p.result.crossings), fmtBytes(p.result.bytesMoved),
      p.result.energyMj.toFixed(2), Object.entries(c).map(([k, v]) => `${k}:${v}`).join(" "), p.label];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((x, i) => (i === 0 || i === r.length - 1 || i === r.length - 2 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join("  ").trimEnd();
  lines.push(fmt(header), ...rows.map(fmt));
  for (const m of report.missing) if (compare || m.name === "gpu-only") lines.push(`${m.name}: not available (${m.reason})`);
  const best = report.plans.find((p) => p.name === "oracle");
  if (best) lines.push("", `oracle: ${best.notes.join("; ")}`);
  const sparoa = report.plans.find((p) => p.name === "sparoa");
  if (sparoa) lines.push(`sparoa: ${sparoa.notes.join("; ")} (what optimize writes with the same analyses${"; optimize calibrates activation sparsity by default, plan only with --activations"})`);
  lines.push("latency = one simulated inference; for a split plan, its partitions run as the runtime runs them (whole, one at a time per processor, each with its run call and cut costs), for every plan");
  for (const p of report.plans) if (p.name === "codl" && compare) lines.push(`codl: ${p.notes.join("; ")}`);
  return lines.join("\n") + "\n";
}
