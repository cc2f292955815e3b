// Opening what the runtime runs: a package folder (manifest.json + partition models), a
// device-annotated whole model (per-node metadata_props `sparoa.device`, optionally
// `sparoa.partition`), or a plain model (one partition on the CPU).
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { dtypeName, loadModel, modelBytes, type Model, type Value } from "../../ir/index.ts";
import { PACKAGE_SCHEMA, type PackageManifest, type TensorSpec } from "../package/manifest.ts";
import { ManifestError, validateManifest } from "../package/validate.ts";
import { cutModel, runsOfDevice } from "./cut.ts";

export const DEVICE_KEY = "sparoa.device";
export const PARTITION_KEY = "sparoa.partition";

export interface OpenedPackage {
  manifest: PackageManifest;
  /** Partition id -> where its model is. */
  models: Map<number, { path: string } | { bytes: Uint8Array }>;
  /** Where it came from, for messages: "package out/", "annotated model m.onnx", "model m.onnx". */
  origin: string;
  /** The original whole model, when known (the bench compares against it). */
  original?: { path: string } | { bytes: Uint8Array };
}

export async function openPackage(target: string | Model): Promise<OpenedPackage> {
  if (typeof target !== "string") return openModel(target, "in-memory model", { bytes: modelBytes(target) });
  if (!existsSync(target)) throw new ManifestError(`${target}: no such file or folder`);
  if (statSync(target).isDirectory()) return openFolder(target);
  return openModel(loadModel(target), target, { path: resolve(target) });
}

function openFolder(dir: string): OpenedPackage {
  const file = join(dir, "manifest.json");
  if (!existsSync(file)) throw new ManifestError(`${dir}: not a sparoa package (no manifest.json; make one with 'sparoa optimize')`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
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

export function tensorSpec(v: Value): TensorSpec {
  const t = v.type;
  if (t?.kind !== "tensor") return { name: v.name, dtype: "undef", shape: null };
  return { name: v.name, dtype: dtypeName(t.elemType), shape: t.shape ? [...t.shape] : null };
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
      source: { file: basename(label), inputs: inputs.map(tensorSpec), outputs: g.outputs.map(tensorSpec) },
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
  const labels = nodes.map((n) => n.metadata.get(PARTITION_KEY));
  let partitionOf: number[];
  if (labels.every((l) => l !== undefined && /^\d+$/.test(l))) partitionOf = labels.map(Number);
  else partitionOf = runsOfDevice(devices as string[]);
  const deviceOfLabel = new Map<number, string>();
  partitionOf.forEach((l, i) => {
    const d = devices[i]!;
    const prev = deviceOfLabel.get(l);
    if (prev !== undefined && prev !== d) throw new ManifestError(`${label}: node '${nodes[i]!.name}' is in partition ${l} on device '${d}', but that partition's other nodes are on '${prev}'`);
    deviceOfLabel.set(l, d);
  });
  const cut = await cutModel({
    source: "path" in source ? source : { bytes: source.bytes, name: label },
    partitionOf: (_n, i) => partitionOf[i]!,
    deviceOf: (l) => deviceOfLabel.get(l)!,
    profile: model.metadata.get("sparoa.profile") ?? "annotated model",
  });
  const models = new Map(cut.manifest.partitions.map((p, i) => [p.id, { bytes: cut.models[i]! }]));
  return { manifest: cut.manifest, models, origin: `annotated model ${label}`, original: source };
}

export { ManifestError };
export function packageDir(path: string): string {
  return statSync(path).isDirectory() ? path : dirname(path);
}
