// Real packages for the deployment tests without running `sparoa optimize` (seconds per model on
// a loaded machine): a model's nodes are split in thirds on cpu / gpu / cpu, cut with the same
// partitioner and package emitter optimize uses, and written as a package folder beside a copy
// of nothing: source.file points back at the original. Also the seeded inputs each model needs.
import { basename, join, relative, resolve } from "node:path";
import * as ort from "onnxruntime-node";
import { loadModel, type Value } from "../../ir/index.ts";
import { NodeKey } from "../../ir/annotation-keys.ts";
import { applyPartitions, assignPartitions } from "../../passes/partition.ts";
import { describePartitions } from "../../passes/describe-partitions.ts";
import { buildPackage, dataInputs, MANIFEST_FILE } from "../../src/package/emit.ts";
import type { TensorSpec } from "../../src/package/manifest.ts";
import { resolveValueTypes } from "../../src/package/value-types.ts";
import { writeFolderAtomic } from "../../src/package/write.ts";
import { generateFeeds } from "../../src/runtime/generate-inputs.ts";

/** Writes a package of `modelPath` (thirds: cpu, gpu, cpu) to `dir`; returns `dir`. */
export async function writeThirdsPackage(modelPath: string, dir: string): Promise<string> {
  const model = loadModel(modelPath);
  const nodes = model.graph.nodes;
  nodes.forEach((n, i) => n.annotations.set(NodeKey.processor, ["cpu", "gpu", "cpu"][Math.min(2, Math.floor((i * 3) / nodes.length))]!));
  applyPartitions(model.graph, assignPartitions(model.graph));
  const partitioning = describePartitions(model.graph);
  const needed = new Set<Value>([...partitioning.boundaries.map((b) => b.value), ...dataInputs(model), ...model.graph.outputs]);
  const types = await resolveValueTypes(model, needed);
  const pkg = buildPackage(model, partitioning, types, { profile: "orin-nano" });
  pkg.manifest.source.file = relative(resolve(dir), resolve(modelPath));
  pkg.files.set(MANIFEST_FILE, new TextEncoder().encode(JSON.stringify(pkg.manifest, null, 2) + "\n"));
  writeFolderAtomic(dir, pkg.files);
  return dir;
}

/** Seeded inputs; the npm models' dynamic sizes and Silero's sample rate set as they need. */
export function deployFeeds(modelPath: string, specs: readonly TensorSpec[]): Record<string, ort.Tensor> {
  const name = basename(modelPath);
  const fixed = specs.map((s) => ({ ...s, shape: s.name === "state" ? [2, 1, 128] : s.name === "input" && name.startsWith("silero") ? [1, 512] : s.shape }));
  const feeds = generateFeeds(fixed, 1, { "p2o.DynamicDimension.0": 1, "p2o.DynamicDimension.1": 64, "p2o.DynamicDimension.2": 96 });
  if (specs.some((s) => s.name === "sr")) feeds.sr = new ort.Tensor("int64", BigInt64Array.from([16000n]), []);
  return feeds;
}

export function packageDirFor(root: string, modelPath: string): string {
  return join(root, basename(modelPath, ".onnx"));
}
