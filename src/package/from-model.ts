// A package made in memory from a model, for the runtime to run without `sparoa optimize`: a
// processor-annotated whole model (per-node metadata_props `sparoa.processor`, optionally
// `sparoa.partition`) is cut with the partitioner and package emitter that `optimize` uses; a
// plain model (no node annotated) is one partition on the CPU. `--engine ort` runs an annotated
// model as one session instead, given onnxruntime's layer annotations here.
import { basename, dirname, join } from "node:path";
import type { Model } from "../../ir/model.ts";
import type { Value } from "../../ir/value.ts";
import { NodeKey } from "../../ir/annotation-keys.ts";
import type { SessionSource } from "../../ort/session.mjs";
import { applyPartitions, assignPartitions } from "../../passes/partition.ts";
import { describePartitions, PartitionError } from "../../passes/describe-partitions.ts";
import { buildPackage, dataInputs, tensorSpec } from "./emit.ts";
import { LAYER_ANN_KEY, layerAnnotation } from "./layer-assignment.ts";
import { PROCESSOR_KEY, PACKAGE_SCHEMA, PARTITION_KEY, processorOf, type PackageManifest } from "./manifest.ts";
import { ManifestError } from "./validate.ts";
import { resolveValueTypes } from "./value-types.ts";
import { WEIGHTS_FILE } from "./weights-file.ts";

export interface ModelPackage {
  manifest: PackageManifest;
  /** Partition id -> its model (bytes in memory, or `source` itself for a plain model). */
  models: Map<number, SessionSource>;
  /** Whether any node carried a processor: "annotated model", else "model". */
  kind: "annotated model" | "model";
}

/** `model` as a package; `label` names it in messages, `source` is where onnxruntime finds the whole model. */
export async function packageFromModel(model: Model, label: string, source: { path: string } | { bytes: Uint8Array }): Promise<ModelPackage> {
  const nodes = model.graph.nodes;
  const annotated = nodes.filter((n) => processorOf(n.metadata) !== undefined).length;
  if (annotated === 0) return { manifest: plainManifest(model, label), models: new Map([[0, source]]), kind: "model" };
  if (annotated !== nodes.length) {
    const missing = nodes.find((n) => processorOf(n.metadata) === undefined)!;
    throw new ManifestError(`${label}: node '${missing.name}' (${missing.opType}) has no ${PROCESSOR_KEY} while ${annotated} of ${nodes.length} nodes do; annotate every node or none`);
  }
  for (const n of nodes) n.annotations.set(NodeKey.processor, processorOf(n.metadata)!);
  const labels = nodes.map((n) => n.metadata.get(PARTITION_KEY));
  try {
    if (labels.every((l) => l !== undefined && /^\d+$/.test(l))) nodes.forEach((n, i) => n.annotations.set(NodeKey.partition, Number(labels[i])));
    else applyPartitions(model.graph, assignPartitions(model.graph)); // processors only: cut as `optimize` would
    const partitioning = describePartitions(model.graph);
    const needed = new Set<Value>([...partitioning.boundaries.map((b) => b.value), ...dataInputs(model), ...model.graph.outputs]);
    const types = await resolveValueTypes(model, needed);
    const { manifest, files } = buildPackage(model, partitioning, types, { profile: model.metadata.get("sparoa.profile") ?? "annotated model" });
    return { manifest, models: inMemoryPartitions(files, manifest.partitions.map((p) => [p.id, p.file])), kind: "annotated model" };
  } catch (e) {
    if (e instanceof PartitionError) throw new ManifestError(`${label}: ${e.message}`);
    throw e;
  }
}

/**
 * Every node gets onnxruntime's `layer_ann` from its sparoa.processor / sparoa.partition, as
 * model.annotated.onnx has it (IR 10 for node metadata_props): how `--engine ort` runs a model
 * annotated elsewhere as one session.
 */
export function addLayerAnnotations(model: Model): void {
  for (const n of model.graph.nodes) n.metadata.set(LAYER_ANN_KEY, layerAnnotation(processorOf(n.metadata) ?? "cpu", n.metadata.get(PARTITION_KEY)));
  if (model.irVersion < 10) model.irVersion = 10;
}

function plainManifest(model: Model, label: string): PackageManifest {
  const g = model.graph;
  const inputs = g.inputs.filter((v) => !v.initializer);
  return {
    schema: PACKAGE_SCHEMA,
    source: { file: basename(label), inputs: inputs.map((v) => tensorSpec(v)), outputs: g.outputs.map((v) => tensorSpec(v)) },
    partitions: [{ id: 0, processor: "cpu", file: basename(label), inputs: inputs.map((v) => v.name), outputs: g.outputs.map((v) => v.name), dependsOn: [], nodes: g.nodes.length }],
    boundaries: [],
    plan: { profile: "none (plain model: one partition on the CPU)" },
  };
}

/** Joins a file that the package builder keeps as chunks (the weights file) into one buffer. */
function joined(data: Uint8Array | Uint8Array[]): Uint8Array {
  if (!Array.isArray(data)) return data;
  const out = new Uint8Array(data.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of data) { out.set(c, at); at += c.length; }
  return out;
}

/** Partitions of an in-memory package: their bytes and the shared weights file they refer to. */
function inMemoryPartitions(files: ReadonlyMap<string, Uint8Array | Uint8Array[]>, parts: [number, string][]): Map<number, SessionSource> {
  const weightsCache = new Map<string, Uint8Array>();
  const models = new Map<number, SessionSource>();
  for (const [id, file] of parts) {
    const weightsPath = join(dirname(file), WEIGHTS_FILE);
    const chunks = files.get(weightsPath);
    if (chunks && !weightsCache.has(weightsPath)) weightsCache.set(weightsPath, joined(chunks));
    const bytes = joined(files.get(file)!);
    const weights = weightsCache.get(weightsPath);
    models.set(id, weights ? { bytes, externalData: [{ path: WEIGHTS_FILE, data: weights }] } : { bytes });
  }
  return models;
}
