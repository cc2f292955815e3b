// Predicted latency of the plans `sparoa optimize` chooses, against the single-device baselines,
// for every light-corpus and npm model under both Jetson profiles: the table in
// docs/benchmarks.md. Predictions from the profiles' latency model and simulator, not runs.
//   node --import tsx bench/optimize-plans.ts [--static] [samples]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadModel } from "../ir/index.ts";
import "../passes/index.ts";
import { PassManager } from "../passes/manager.ts";
import { instantiate } from "../passes/pipeline.ts";
import { placementResult } from "../passes/placement.ts";
import { parseInputShapes } from "../passes/shape-inference.ts";
import { runBaselines } from "../src/planner/baselines/index.ts";
import { optimizePipeline, type OptimizeOptions } from "../src/optimize/optimize.ts";
import { planLatencyMs } from "../src/planner/thresholds.ts";
import { lightModels, npmModels } from "../test/support/corpus.ts";
import { NPM_BINDINGS } from "../test/support/npm-bindings.ts";

const staticOnly = process.argv.includes("--static");
const samples = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 4);
const out = mkdtempSync(join(tmpdir(), "sparoa-plans-"));
const BASELINES = ["cpu-only", "gpu-only", "greedy", "heft", "codl", "oracle"];
console.log(`| model | profile | partitions | thresholds (s / i) | plan ms | ${BASELINES.map((b) => `vs ${b}`).join(" | ")} |`);
console.log(`| --- | --- | --- | --- | --- | ${BASELINES.map(() => "---").join(" | ")} |`);
for (const path of [...lightModels(), ...npmModels()]) {
  const name = path.split("/").pop()!.replace(/\.onnx$/, "");
  const binding = NPM_BINDINGS[`${name}.onnx`];
  for (const device of ["orin-nano", "agx-orin"]) {
    const model = loadModel(path);
    const options: OptimizeOptions = { model: path, device, out, calibration: staticOnly ? undefined : { files: new Map(), samples, seed: 0 } };
    await new PassManager(instantiate(optimizePipeline(options, parseInputShapes(binding ? binding.shapes : [])))).run(model);
    const r = placementResult(model)!;
    const plan = planLatencyMs(r.problem, r.outcome.assign);
    // The baselines as `sparoa plan` makes them; the oracle with a short budget ("best known" past 25 nodes).
    const report = runBaselines(model, r.problem.profile, { oracle: { timeLimitMs: 2000, search: { timeLimitMs: 2000 } } });
    const ms = new Map(report.plans.map((p) => [p.name, p.result.makespanMs]));
    const f = (x: number) => (x >= 10 ? x.toFixed(1) : x.toFixed(2));
    const vs = BASELINES.map((b) => (ms.has(b) ? `${(ms.get(b)! / plan.makespanMs).toFixed(2)}x` : "-"));
    console.log(`| ${name} | ${device} | ${plan.partitions} | ${r.thresholds.sparsity.toPrecision(2)} / ${r.thresholds.intensity.toPrecision(3)} | ${f(plan.makespanMs)} | ${vs.join(" | ")} |`);
  }
}
rmSync(out, { recursive: true, force: true });
console.log("\nspeedup = baseline ms / plan ms. Plan ms includes one runtime call (profile runOverheadUs) per extra partition; the baselines are charged the simulation only, even when they split the model (greedy, HEFT, CoDL, oracle).");
console.log(`${staticOnly ? "static analysis (weight sparsity only)" : `calibrated: activation sparsity from ${samples} generated samples (seed 0)`}; partitions = the partitioner's first-step count used by the search`);
