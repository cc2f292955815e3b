// `sparoa export PKG --format triton -o REPO`: a Triton Inference Server model repository from a
// package. One `onnxruntime_onnx` model per partition (its instance_group on the CPU or a GPU by
// the partition's processor, intra-op threads from the device profile) and one `ensemble` model
// whose steps wire the partitions by the manifest's inputs and outputs. Each partition model
// gets its own weights file with just its tensors (Triton loads a model from its version folder
// and resolves external data there). Every config is validated before anything is written.
import { create } from "@bufbuild/protobuf";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { decodeModel, encodeModel, StringStringEntryProtoSchema, type ModelProto, type TypeProto } from "../../ir/onnx/proto.ts";
import { loadProfile } from "../devices/profile.ts";
import type { PackageManifest } from "../package/manifest.ts";
import { isGpuName } from "../runtime/processor-placement.ts";
import { openPackage, ManifestError } from "../runtime/package.ts";
import type { PartitionModel } from "../runtime/messages.ts";
import { configText, tritonDataType, type TritonModelConfig, type TritonTensor } from "./triton-config.ts";
import { TritonConfigError } from "./triton-schema.ts";
import { diskRepository, repositoryProblems, type RepositoryFiles } from "./triton-validate.ts";
import { OutputError } from "../io/output.ts";
import { commitFolder, stageFolder, writeFiles } from "../package/write.ts";

export interface TritonExportOptions {
  /** The ensemble's model name (default: the source model's file name without .onnx). */
  name?: string;
  /** max_batch_size when every tensor's first dimension is the model's batch dimension (default 8). */
  maxBatchSize?: number;
  /** Instances per partition model (instance_group count, default 1). */
  instances?: number;
  /**
   * Take every tensor's leading dimension as the batch dimension when each one is dynamic, even
   * under different symbols (exporters often name an output's batch dimension anew, e.g.
   * PaddlePaddle's p2o.DynamicDimension.3). Triton fails requests at run time if that is wrong.
   */
  assumeBatch?: boolean;
}

export interface TritonRepository {
  /** Relative path -> contents; empty version folders of the ensemble are listed in `folders`. */
  files: Map<string, Uint8Array | string>;
  folders: string[];
  ensemble: string;
  models: { name: string; partition: number; processor: string; kind: "KIND_CPU" | "KIND_GPU"; threads: number }[];
  maxBatchSize: number;
  /** Why the repository has no dynamic batch dimension, when it has none. */
  batchNote?: string;
}

/** Triton model names: letters, digits, '_', '-', '.'. */
export function modelName(text: string): string {
  return text.replace(/\.onnx$/i, "").replace(/[^A-Za-z0-9_.-]/g, "_").replace(/^[._-]+/, "") || "model";
}

type Dim = number | string | null;
interface TypedTensor { name: string; dtype: number; shape: Dim[] | null }

function tensorTypes(list: { name: string; type?: TypeProto }[]): TypedTensor[] {
  return list.map((vi) => {
    const t = vi.type?.value.case === "tensorType" ? vi.type.value.value : undefined;
    const shape = t?.shape ? t.shape.dim.map((d): Dim => (d.value.case === "dimValue" ? Number(d.value.value) : d.value.case === "dimParam" ? d.value.value : null)) : null;
    return { name: vi.name, dtype: t?.elemType ?? 0, shape };
  });
}

/** Builds the repository in memory from a package folder (or an annotated model). */
export async function buildTritonRepository(target: string, options: TritonExportOptions = {}): Promise<TritonRepository> {
  const pkg = await openPackage(target);
  const m = pkg.manifest;
  const ensemble = modelName(options.name ?? basename(m.source.file));
  const threads = profileThreads(m);
  const weightFiles = new Map<string, Uint8Array>(); // read once, shared by every partition
  const partitions = m.partitions.map((p) => {
    const { proto, weights } = partitionBytes(pkg.models.get(p.id)!, target, p.file, weightFiles);
    const g = proto.graph!;
    const stored = new Set(g.initializer.map((t) => t.name));
    return { spec: p, proto, weights, inputs: tensorTypes(g.input.filter((i) => !stored.has(i.name))), outputs: tensorTypes(g.output) };
  });
  const batch = batchDimension(m, partitions.flatMap((p) => [...p.inputs, ...p.outputs]), options.assumeBatch === true);
  const maxBatchSize = batch.symbol ? options.maxBatchSize ?? 8 : 0;
  const files = new Map<string, Uint8Array | string>();
  const models: TritonRepository["models"] = [];
  const where = (p: { spec: { id: number; file: string } }) => `partition ${p.spec.id} (${p.spec.file})`;
  const toTriton = (t: TypedTensor, owner: string): TritonTensor => {
    const data_type = tritonDataType(t.dtype);
    if (!data_type) throw new TritonConfigError(`${owner}: tensor '${t.name}' has element type ${t.dtype}, which Triton has no data type for`);
    if (!t.shape) throw new TritonConfigError(`${owner}: tensor '${t.name}' has no known rank; Triton needs dims (re-run 'sparoa optimize' with --input-shape)`);
    const dims = t.shape.map((d) => (typeof d === "number" ? d : -1));
    if (dims.length === 0) return { name: t.name, data_type, dims: [1], reshape: [] };
    return { name: t.name, data_type, dims: maxBatchSize > 0 ? dims.slice(1) : dims };
  };
  const names = new Map<number, string>();
  for (const p of partitions) {
    const name = `${ensemble}_p${p.spec.id}_${modelName(p.spec.processor)}`;
    names.set(p.spec.id, name);
    const gpu = isGpuName(p.spec.processor);
    const count = threads.get(p.spec.processor) ?? 1;
    const config: TritonModelConfig = {
      name, platform: "onnxruntime_onnx", max_batch_size: maxBatchSize,
      input: p.inputs.map((t) => toTriton(t, where(p))),
      output: p.outputs.map((t) => toTriton(t, where(p))),
      instance_group: [gpu ? { kind: "KIND_GPU", count: options.instances ?? 1, gpus: [0] } : { kind: "KIND_CPU", count: options.instances ?? 1 }],
      parameters: [["intra_op_thread_count", String(gpu ? 1 : count)], ["inter_op_thread_count", "1"]],
    };
    files.set(`${name}/config.pbtxt`, configText(config));
    files.set(`${name}/1/model.onnx`, p.weights.length > 0 ? encodeModel(p.proto) : readPartition(pkg.models.get(p.spec.id)!));
    if (p.weights.length > 0) files.set(`${name}/1/weights.bin`, joined(p.weights));
    models.push({ name, partition: p.spec.id, processor: p.spec.processor, kind: gpu ? "KIND_GPU" : "KIND_CPU", threads: gpu ? 1 : count });
  }
  const sourceTensor = (spec: { name: string; dtype: string; shape: Dim[] | null }, from: string): TritonTensor => {
    const producer = partitions.flatMap((p) => [...p.inputs, ...p.outputs]).find((t) => t.name === spec.name);
    if (!producer) throw new TritonConfigError(`${from}: '${spec.name}' is read or written by no partition`);
    return toTriton(producer, from);
  };
  const ensembleConfig: TritonModelConfig = {
    name: ensemble, platform: "ensemble", max_batch_size: maxBatchSize,
    input: m.source.inputs.map((t, i) => sourceTensor(t, `manifest source.inputs[${i}]`)),
    output: m.source.outputs.map((t, i) => sourceTensor(t, `manifest source.outputs[${i}]`)),
    ensemble_scheduling: {
      step: partitions.map((p) => ({
        model_name: names.get(p.spec.id)!, model_version: -1,
        input_map: p.inputs.map((t): [string, string] => [t.name, t.name]),
        output_map: p.outputs.map((t): [string, string] => [t.name, t.name]),
      })),
    },
  };
  files.set(`${ensemble}/config.pbtxt`, configText(ensembleConfig));
  const repo: TritonRepository = { files, folders: [`${ensemble}/1`], ensemble, models, maxBatchSize, ...(batch.note ? { batchNote: batch.note } : {}) };
  const problems = repositoryProblems(inMemory(repo));
  if (problems.length > 0) throw new TritonConfigError(`internal error: the exported repository fails validation: ${problems[0]}`, { userFacing: false });
  return repo;
}

/** The repository as the validator reads it. */
export function inMemory(repo: TritonRepository): RepositoryFiles {
  const text = (p: string) => { const f = repo.files.get(p); return f === undefined ? undefined : typeof f === "string" ? f : new TextDecoder().decode(f); };
  return {
    label: "(repository)",
    models: () => [...new Set([...repo.files.keys(), ...repo.folders].map((p) => p.split("/")[0]!))].sort(),
    config: (model) => text(`${model}/config.pbtxt`),
    versions: (model) => [...new Set([...repo.files.keys(), ...repo.folders].filter((p) => p.startsWith(`${model}/`) && p.split("/").length >= 2).map((p) => p.split("/")[1]!).filter((v) => /^\d+$/.test(v)))],
    modelFile: (model, version) => { const f = repo.files.get(`${model}/${version}/model.onnx`); return typeof f === "string" ? undefined : f; },
  };
}

/**
 * The batch dimension: every source input and output, and every partition input and output,
 * starts with the same symbolic dimension. Otherwise the repository takes whole tensors
 * (max_batch_size 0) and says why.
 */
function batchDimension(m: PackageManifest, tensors: TypedTensor[], assume: boolean): { symbol?: string; note?: string } {
  const first = m.source.inputs[0]?.shape?.[0];
  if (typeof first !== "string") return { note: "the model's first input has no symbolic leading dimension" };
  const all = [...m.source.inputs, ...m.source.outputs, ...tensors];
  const odd = all.find((t) => !t.shape || t.shape.length === 0 || (assume ? typeof t.shape[0] === "number" : t.shape[0] !== first));
  if (!odd) return { symbol: first };
  return { note: assume ? `'${odd.name}' has no dynamic leading dimension` : `'${odd.name}' does not start with the batch dimension '${first}' (--assume-batch takes any dynamic leading dimension as the batch)` };
}

/** Intra-op threads per logical processor from the plan's device profile (1 when the profile is not a bundled or readable one). */
function profileThreads(m: PackageManifest): Map<string, number> {
  const out = new Map<string, number>();
  try {
    const profile = loadProfile(m.plan.profile);
    for (const [name, p] of Object.entries(profile.processors)) if (p.threads) out.set(name, p.threads);
  } catch {
    // Packages cut from annotated models name no profile: one thread, said in the config.
  }
  return out;
}

function readPartition(model: PartitionModel): Uint8Array {
  return "path" in model ? readFileSync(model.path) : model.bytes;
}

/**
 * The partition's bytes, its external-data initializers re-pointed at a weights file of their
 * own (`weights.bin` in the version folder): the chunks of that file, empty when it has none.
 */
function partitionBytes(model: PartitionModel, target: string, file: string, sources: Map<string, Uint8Array>): { proto: ModelProto; weights: Uint8Array[] } {
  const bytes = readPartition(model);
  const proto: ModelProto = decodeModel(bytes);
  const source = (location: string): Uint8Array => {
    const key = "path" in model ? resolve(dirname(model.path), location) : location;
    let data = sources.get(key);
    if (data) return data;
    if ("path" in model) {
      if (location.includes("..") || location.startsWith("/")) throw new ManifestError(`${file}: external data '${location}' is outside the package`);
      try {
        data = readFileSync(join(dirname(model.path), location));
      } catch {
        throw new ManifestError(`${join(target, file)}: its external data file '${location}' is missing`);
      }
    } else {
      data = model.externalData?.find((e) => e.path === location)?.data;
      if (!data) throw new ManifestError(`${file}: external data '${location}' is not in the package`);
    }
    sources.set(key, data);
    return data;
  };
  const weights: Uint8Array[] = [];
  let size = 0;
  for (const t of proto.graph!.initializer) {
    if (t.dataLocation !== 1) continue;
    const entry = new Map(t.externalData.map((e) => [e.key, e.value]));
    const data = source(entry.get("location") ?? "");
    const offset = Number(entry.get("offset") ?? 0);
    const length = Number(entry.get("length") ?? data.length - offset);
    if (offset + length > data.length) throw new ManifestError(`${join(target, file)}: initializer '${t.name}' reaches past the end of its external data file`);
    const aligned = Math.ceil(size / 64) * 64;
    if (aligned > size) weights.push(new Uint8Array(aligned - size));
    weights.push(data.subarray(offset, offset + length));
    size = aligned + length;
    t.externalData = [
      ...t.externalData.filter((e) => !["location", "offset", "length"].includes(e.key)),
      create(StringStringEntryProtoSchema, { key: "location", value: "weights.bin" }),
      create(StringStringEntryProtoSchema, { key: "offset", value: String(aligned) }),
      create(StringStringEntryProtoSchema, { key: "length", value: String(length) }),
    ];
  }
  return { proto, weights };
}

function joined(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.length; }
  return out;
}

/** Writes the repository to `out` at once (staged beside it); `out` must be new or empty. */
export async function exportTriton(target: string, out: string, options: TritonExportOptions = {}): Promise<TritonRepository> {
  if (existsSync(out) && (!statSync(out).isDirectory() || readdirSync(out).length > 0)) {
    throw new OutputError(`${out}: exists and is not an empty folder; sparoa export writes a new repository (choose a new or empty folder)`);
  }
  const repo = await buildTritonRepository(target, options);
  const stage = stageFolder(out);
  try {
    writeFiles(stage, repo.files);
    for (const f of repo.folders) mkdirSync(join(stage, f), { recursive: true });
    const problems = repositoryProblems({ ...diskRepository(stage), label: out });
    if (problems.length > 0) throw new TritonConfigError(`internal error: the written repository fails validation: ${problems[0]}`, { userFacing: false });
    if (existsSync(out)) rmdirSync(out); // empty, checked above; commitFolder renames the stage into its place
    commitFolder(stage, out);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
  return repo;
}
