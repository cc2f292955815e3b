// Opening what the runtime runs: a package folder (manifest.json + partition models), a
// device-annotated whole model (per-node metadata_props `sparoa.device`, optionally
// `sparoa.partition`; cut in memory with the partitioner and package emitter that
// `sparoa optimize` uses), or a plain model (one partition on the CPU).
import { existsSync, readFileSync, statSync } from "node:fs";
import { readRegularFile } from "../../ir/read-file.ts";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { loadModel, modelBytes, type Model, type Value } from "../../ir/index.ts";
import { PACKAGE_SCHEMA, type PackageManifest } from "../package/manifest.ts";
import { ManifestError, validateManifest } from "../package/validate.ts";
import { buildPackage, dataInputs, tensorSpec } from "../package/emit.ts";
import { WEIGHTS_FILE } from "../package/weights-file.ts";
import type { PartitionModel } from "./messages.ts";
import { resolveValueTypes } from "../package/value-types.ts";
import { NodeKey } from "../../ir/annotation-keys.ts";
import { applyPartitions, assignPartitions } from "../../passes/partition.ts";
import { describePartitions, PartitionError } from "../../passes/describe-partitions.ts";

export const DEVICE_KEY = "sparoa.device";
export const PARTITION_KEY = "sparoa.partition";

export interface OpenedPackage {
  manifest: PackageManifest;
  /** Partition id -> where its model is. */
  models: Map<number, PartitionModel>;
  /** Where it came from, for messages: "package out/", "annotated model m.onnx", "model m.onnx". */
  origin: string;
  /** The original whole model, when known (the bench compares against it). */
  original?: { path: string } | { bytes: Uint8Array };
}

export async function openPackage(target: string | Model): Promise<OpenedPackage> {
  if (typeof target !== "string") return openModel(target, "in-memory model", { bytes: modelBytes(target) });
  if (!existsSync(target)) throw new ManifestError(`${target}: no such file or folder`);
  if (statSync(target).isDirectory()) return openFolder(target);
  return openModel(loadAlone(target), target, { path: resolve(target) });
}

/**
 * A package's model.annotated.onnx shares the partitions' weights file (partitions/weights.bin)
 * rather than carrying a second copy; copied out of its folder it cannot find them, and the
 * loader's own message would not say why.
 */
export function loadAlone(target: string): Model {
  try {
    return loadModel(target);
  } catch (e) {
    // The loader reports it as a ModelFileError naming the location; the location is the sign.
    if (e instanceof Error && e.message.includes(`external data location 'partitions/${WEIGHTS_FILE}' does not exist`)) {
      throw new ManifestError(`${target}: its weights are in partitions/${WEIGHTS_FILE} of the package it was written in, not beside it; keep it inside its package folder (copy the whole folder), or make a self-contained copy inside the package with 'sparoa convert PKG/model.annotated.onnx -o model.onnx --external-data-threshold 2GB'`);
    }
    throw e;
  }
}

function openFolder(dir: string): OpenedPackage {
  const file = join(dir, "manifest.json");
  if (!existsSync(file)) throw new ManifestError(`${dir}: not a sparoa package (no manifest.json; make one with 'sparoa optimize')`);
  let raw: unknown;
  try {
    raw = JSON.parse(readRegularFile(file, 64 * 2 ** 20, "manifest").toString("utf8"));
  } catch (e) {
    throw new ManifestError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  const manifest = validateManifest(raw, file);
  const models = new Map<number, { path: string }>();
  manifest.partitions.forEach((p, i) => {
    const full = resolve(dir, p.file);
    const rel = relative(resolve(dir), full);
    if (isAbsolute(p.file) || rel.startsWith("..")) throw new ManifestError(`${file}: partitions[${i}].file: '${p.file}' is outside the package folder`);
    if (!existsSync(full)) throw new ManifestError(`${file}: partitions[${i}].file: '${p.file}' does not exist`);
    models.set(p.id, { path: full });
  });
  const originalPath = resolve(dir, manifest.source.file);
  const original = !isAbsolute(manifest.source.file) && existsSync(originalPath) ? { path: originalPath } : undefined;
  return { manifest, models, origin: `package ${dir}`, original };
}

async function openModel(model: Model, label: string, source: { path: string } | { bytes: Uint8Array }): Promise<OpenedPackage> {
  const nodes = model.graph.nodes;
  const devices = nodes.map((n) => n.metadata.get(DEVICE_KEY));
  const annotated = devices.filter((d) => d !== undefined).length;
  if (annotated === 0) {
    const g = model.graph;
    const inputs = g.inputs.filter((v) => !v.initializer);
    const manifest: PackageManifest = {
      schema: PACKAGE_SCHEMA,
      source: { file: basename(label), inputs: inputs.map((v) => tensorSpec(v)), outputs: g.outputs.map((v) => tensorSpec(v)) },
      partitions: [{ id: 0, device: "cpu", file: basename(label), inputs: inputs.map((v) => v.name), outputs: g.outputs.map((v) => v.name), dependsOn: [], nodes: nodes.length }],
      boundaries: [],
      plan: { profile: "none (plain model: one partition on the CPU)" },
    };
    return { manifest, models: new Map([[0, source]]), origin: `model ${label}`, original: source };
  }
  if (annotated !== nodes.length) {
    const missing = nodes.find((n) => !n.metadata.has(DEVICE_KEY))!;
    throw new ManifestError(`${label}: node '${missing.name}' (${missing.opType}) has no ${DEVICE_KEY} while ${annotated} of ${nodes.length} nodes do; annotate every node or none`);
  }
  for (const n of nodes) n.annotations.set(NodeKey.device, n.metadata.get(DEVICE_KEY)!);
  const labels = nodes.map((n) => n.metadata.get(PARTITION_KEY));
  try {
    if (labels.every((l) => l !== undefined && /^\d+$/.test(l))) nodes.forEach((n, i) => n.annotations.set(NodeKey.partition, Number(labels[i])));
    else applyPartitions(model.graph, assignPartitions(model.graph)); // devices only: cut as `optimize` would
    const partitioning = describePartitions(model.graph);
    const needed = new Set<Value>([...partitioning.boundaries.map((b) => b.value), ...dataInputs(model), ...model.graph.outputs]);
    const types = await resolveValueTypes(model, needed);
    const { manifest, files } = buildPackage(model, partitioning, types, { profile: model.metadata.get("sparoa.profile") ?? "annotated model" });
    const models = inMemoryPartitions(files, manifest.partitions.map((p) => [p.id, p.file]));
    return { manifest, models, origin: `annotated model ${label}`, original: source };
  } catch (e) {
    if (e instanceof PartitionError) throw new ManifestError(`${label}: ${e.message}`);
    throw e;
  }
}

export { ManifestError };

/** Joins a file that the package builder keeps as chunks (the weights file) into one buffer. */
function joined(data: Uint8Array | Uint8Array[]): Uint8Array {
  if (!Array.isArray(data)) return data;
  const out = new Uint8Array(data.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of data) { out.set(c, at); at += c.length; }
  return out;
}

/** Partitions of an in-memory package: their bytes and the shared weights file they refer to. */
function inMemoryPartitions(files: ReadonlyMap<string, Uint8Array | Uint8Array[]>, parts: [number, string][]): Map<number, PartitionModel> {
  const weightsCache = new Map<string, Uint8Array>();
  const models = new Map<number, PartitionModel>();
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
