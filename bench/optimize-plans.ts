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
import { singleDeviceAssignment } from "../src/optimize/baselines.ts";
import { optimizePipeline, type OptimizeOptions } from "../src/optimize/optimize.ts";
import { planLatencyMs } from "../src/predictor/grid-search.ts";
import { evaluate } from "../src/sim/simulator.ts";
import { lightModels, npmModels } from "../test/support/corpus.ts";
import { NPM_BINDINGS } from "../test/optimize/package.test.ts";

const staticOnly = process.argv.includes("--static");
const samples = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 4);
const out = mkdtempSync(join(tmpdir(), "sparoa-plans-"));
console.log(`| model | profile | partitions | thresholds (sparsity / intensity) | plan ms | cpu-only ms | gpu-only ms | vs cpu-only | vs gpu-only |`);
console.log(`| --- | --- | --- | --- | --- | --- | --- | --- | --- |`);
for (const path of [...lightModels(), ...npmModels()]) {
  const name = path.split("/").pop()!.replace(/\.onnx$/, "");
  const binding = NPM_BINDINGS[`${name}.onnx`];
  for (const device of ["orin-nano", "agx-orin"]) {
    const model = loadModel(path);
    const options: OptimizeOptions = { model: path, device, out, calibration: staticOnly ? undefined : { files: new Map(), samples, seed: 0 } };
    await new PassManager(instantiate(optimizePipeline(options, parseInputShapes(binding ? binding.shapes : [])))).run(model);
    const r = placementResult(model)!;
    const { sim } = r.problem;
    const plan = planLatencyMs(r.problem, r.outcome.assign);
    const single = (p: number) => evaluate(sim, singleDeviceAssignment(r.problem, p)).makespanMs;
    const cpu = single(r.problem.cpu);
    const gpu = single(r.problem.gpu);
    const f = (x: number) => (x >= 10 ? x.toFixed(1) : x.toFixed(2));
    console.log(`| ${name} | ${device} | ${plan.partitions} | ${r.thresholds.sparsity.toPrecision(2)} / ${r.thresholds.intensity.toPrecision(3)} | ${f(plan.makespanMs)} | ${f(cpu)} | ${f(gpu)} | ${(cpu / plan.makespanMs).toFixed(2)}x | ${(gpu / plan.makespanMs).toFixed(2)}x |`);
  }
}
rmSync(out, { recursive: true, force: true });
console.log(`\n${staticOnly ? "static analysis (weight sparsity only)" : `calibrated: activation sparsity from ${samples} generated samples (seed 0)`}; partitions = the partitioner's first-step count used by the search`);
