// The analyses the predictor's features need, run once per model (they do not depend on the
// device): shapes, cost, weight sparsity and activation sparsity from a short seeded calibration
// run on onnxruntime, as `optimize` runs them by default.
import { loadModel } from "../../ir/onnx/file.ts";
import type { Model } from "../../ir/model.ts";
import { registerBuiltinPasses } from "../../passes/builtin-passes.ts";
import { PassManager } from "../../passes/manager.ts";
import { instantiate, type PipelineEntry } from "../../passes/pipeline.ts";

export interface AnalyseOptions { samples?: number; seed?: number; calibrate?: boolean }

export async function analyseForPlacement(path: string, options: AnalyseOptions = {}): Promise<Model> {
  registerBuiltinPasses();
  const model = loadModel(path);
  const entries: PipelineEntry[] = [
    { name: "shape-inference", options: {} },
    { name: "cost", options: {} },
    { name: "weight-sparsity", options: {} },
    ...(options.calibrate === false ? [] : [{ name: "activation-sparsity", options: { samples: String(options.samples ?? 2), seed: String(options.seed ?? 0), "if-unrunnable": "warn" } }]),
  ];
  await new PassManager(instantiate(entries)).run(model);
  return model;
}
