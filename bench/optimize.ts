// The static part of `sparoa optimize` (no calibration run) on a full-weight ResNet-50 (102 MB),
// against the anchor: onnxruntime creating a session on the same file. Stages: load the model,
// the pass pipeline (shape inference, cost, weight sparsity, placement with the threshold grid
// search, partition), cutting the package in memory (partition models, annotated model,
// manifest), and writing it. Medians of several runs; the ratio is what docs/benchmarks.md records.
//   node --import tsx bench/optimize.ts [model.onnx] [runs] [profile]
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { loadModel } from "../ir/index.ts";
import { registerBuiltinPasses } from "../passes/builtin-passes.ts";
import { PassManager } from "../passes/manager.ts";
import { instantiate } from "../passes/pipeline.ts";
import { placementAnalysis } from "../passes/placement.ts";
import { optimizePipeline } from "../src/optimize/optimize.ts";
import { packageModel } from "../src/package/package-model.ts";
import { writeFolderAtomic } from "../src/package/write.ts";
import { BACKEND_TESTS } from "../test/support/corpus.ts";
import { materialize } from "./support/materialize.ts";

registerBuiltinPasses();

const path = process.argv[2] || materialize(join(BACKEND_TESTS, "light", "light_resnet50.onnx"));
const runs = Number(process.argv[3] ?? 5);
const profile = process.argv[4] ?? "orin-nano";
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const out = mkdtempSync(join(tmpdir(), "sparoa-bench-optimize-"));

const stages = { load: [] as number[], passes: [] as number[], emit: [] as number[], write: [] as number[], total: [] as number[] };
const perPass = new Map<string, number[]>();
const session: number[] = [];
let summary = "";
for (let i = 0; i < runs; i++) {
  // Alternate with the anchor so both see the same machine load.
  const a = performance.now();
  const s = await ort.InferenceSession.create(path, { logSeverityLevel: 3 });
  session.push(performance.now() - a);
  await s.release();

  const t0 = performance.now();
  const analysed = loadModel(path);
  const t1 = performance.now();
  const passRuns = await new PassManager(instantiate(optimizePipeline({ model: path, device: profile, out }, []))).run(analysed);
  const t2 = performance.now();
  const placement = placementAnalysis(passRuns)!;
  const { files, partitioning } = await packageModel(analysed, { profile, thresholds: placement.thresholds });
  const t3 = performance.now();
  writeFolderAtomic(join(out, "pkg"), files.files);
  const t4 = performance.now();
  stages.load.push(t1 - t0); stages.passes.push(t2 - t1); stages.emit.push(t3 - t2); stages.write.push(t4 - t3); stages.total.push(t3 - t0);
  for (const r of passRuns) perPass.set(r.pass.name, [...(perPass.get(r.pass.name) ?? []), r.milliseconds]);
  summary = `${partitioning.partitions.length} partitions, thresholds sparsity ${placement.thresholds.sparsity.toPrecision(3)} / intensity ${placement.thresholds.intensity.toPrecision(3)}, ${placement.search?.distinctPlans ?? 0} plans simulated`;
}
rmSync(out, { recursive: true, force: true });
const ms = (x: number) => `${x.toFixed(0).padStart(6)} ms`;
const anchor = median(session);
console.log(`model ${path} (${(statSync(path).size / 1e6).toFixed(0)} MB), profile ${profile}, ${runs} runs, medians; ${summary}`);
for (const [k, v] of Object.entries(stages)) console.log(`  ${k.padEnd(22)}${ms(median(v))}`);
for (const [k, v] of perPass) console.log(`    pass ${k.padEnd(17)}${ms(median(v))}`);
console.log(`  anchor: onnxruntime InferenceSession.create ${ms(anchor)}`);
console.log(`  ratio static optimize (load + passes + emit) / ort session create: ${(median(stages.total) / anchor).toFixed(2)}x (with the write: ${((median(stages.total) + median(stages.write)) / anchor).toFixed(2)}x)`);
