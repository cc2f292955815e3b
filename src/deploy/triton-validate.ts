// Checking a Triton model repository without Triton: every config.pbtxt parses against the
// schema (triton-schema.ts), each onnxruntime model's inputs and outputs agree with its
// model.onnx (names, data types, ranks, fixed sizes), and the ensemble's wiring holds: every
// step input is produced exactly once (by the ensemble's inputs or one step's output), maps
// name real model tensors, data types and shapes agree along every edge, the steps form no
// cycle, and every ensemble output is produced. Each problem names the file and the field.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { dtypeName } from "../../ir/dtype.ts";
import { decodeModel } from "../../ir/onnx/proto.ts";
import { tritonDataType, type TritonModelConfig, type TritonTensor } from "./triton-config.ts";
import { parseConfigText, TritonConfigError } from "./triton-schema.ts";

/** What the validator reads: a folder on disk or a repository built in memory. */
export interface RepositoryFiles {
  /** The repository's path, for messages. */
  label: string;
  models(): string[];
  config(model: string): string | undefined;
  /** Numeric version folder names. */
  versions(model: string): string[];
  modelFile(model: string, version: string): Uint8Array | undefined;
}

export function diskRepository(dir: string): RepositoryFiles {
  const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();
  return {
    label: dir,
    models: () => readdirSync(dir).filter((m) => isDir(join(dir, m))).sort(),
    config: (model) => (existsSync(join(dir, model, "config.pbtxt")) ? readFileSync(join(dir, model, "config.pbtxt"), "utf8") : undefined),
    versions: (model) => readdirSync(join(dir, model)).filter((v) => /^\d+$/.test(v) && isDir(join(dir, model, v))),
    modelFile: (model, version) => (existsSync(join(dir, model, version, "model.onnx")) ? readFileSync(join(dir, model, version, "model.onnx")) : undefined),
  };
}

export interface ValidatedRepository { ensembles: string[]; models: Map<string, TritonModelConfig> }

/** Every problem found, each one line naming the file and field; empty when the repository is sound. */
export function repositoryProblems(repo: RepositoryFiles): string[] {
  return checkRepository(repo).problems;
}

/** Validates a repository folder; throws TritonConfigError with the first problem. */
export function validateRepository(dir: string): ValidatedRepository {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new TritonConfigError(`${dir}: no such repository folder`);
  const { problems, configs } = checkRepository(diskRepository(dir));
  if (problems.length > 0) throw new TritonConfigError(problems.length === 1 ? problems[0]! : `${problems[0]} (and ${problems.length - 1} more problem${problems.length > 2 ? "s" : ""})`);
  return { ensembles: [...configs].filter(([, c]) => c.platform === "ensemble").map(([n]) => n), models: configs };
}

function checkRepository(repo: RepositoryFiles): { problems: string[]; configs: Map<string, TritonModelConfig> } {
  const problems: string[] = [];
  const configs = new Map<string, TritonModelConfig>();
  const fileOf = (model: string) => `${repo.label}/${model}/config.pbtxt`;
  for (const model of repo.models()) {
    const text = repo.config(model);
    if (text === undefined) { problems.push(`${fileOf(model)}: missing (every model folder needs one)`); continue; }
    try {
      configs.set(model, parseConfigText(text, fileOf(model)));
    } catch (e) {
      if (e instanceof TritonConfigError) { problems.push(e.message); continue; }
      throw e;
    }
  }
  for (const [model, c] of configs) {
    const bad = (field: string, what: string) => problems.push(`${fileOf(model)}: ${field}: ${what}`);
    if (c.name !== model) bad("name", `"${c.name}" but the folder is '${model}' (Triton requires them to be equal)`);
    if (c.max_batch_size < 0) bad("max_batch_size", `${c.max_batch_size} is negative`);
    checkTensors(c, bad);
    if (c.platform === "onnxruntime_onnx") checkOnnxModel(repo, model, c, bad);
    else if (c.platform === "ensemble") checkEnsemble(model, c, configs, bad);
    else bad("platform", `"${c.platform}" (sparoa writes "onnxruntime_onnx" or "ensemble")`);
  }
  return { problems, configs };
}

type Bad = (field: string, what: string) => void;

function checkTensors(c: TritonModelConfig, bad: Bad): void {
  for (const [kind, list] of [["input", c.input], ["output", c.output]] as const) {
    const seen = new Set<string>();
    list.forEach((t, i) => {
      if (!t.name) bad(`${kind}[${i}].name`, "empty");
      if (seen.has(t.name)) bad(`${kind}[${i}].name`, `'${t.name}' appears twice`);
      seen.add(t.name);
      if ((t.data_type as string) === "TYPE_INVALID") bad(`${kind}[${i}].data_type`, "missing");
      if (t.dims.length === 0) bad(`${kind}[${i}].dims`, "empty (a scalar is dims: [ 1 ] with reshape: { shape: [ ] })");
      t.dims.forEach((d, j) => { if (d !== -1 && d < 0) bad(`${kind}[${i}].dims[${j}]`, `${d} (sizes are >= 0, or -1 for variable)`); });
      if (t.reshape && !t.dims.includes(-1) && !t.reshape.includes(-1) && count(t.dims) !== count(t.reshape)) {
        bad(`${kind}[${i}].reshape`, `[${t.reshape.join(", ")}] holds ${count(t.reshape)} elements, dims [${t.dims.join(", ")}] ${count(t.dims)}`);
      }
    });
  }
}

const count = (dims: number[]) => dims.reduce((a, b) => a * b, 1);

/** The shape the model itself sees: reshape when given, else dims (with the batch dimension when batching). */
function modelShape(t: TritonTensor, maxBatchSize: number): number[] {
  return t.reshape ?? (maxBatchSize > 0 ? [-1, ...t.dims] : t.dims);
}

function checkOnnxModel(repo: RepositoryFiles, model: string, c: TritonModelConfig, bad: Bad): void {
  if (c.ensemble_scheduling) bad("ensemble_scheduling", `only an ensemble has steps; platform is "${c.platform}"`);
  for (const [i, g] of (c.instance_group ?? []).entries()) {
    if (g.kind === "KIND_CPU" && g.gpus?.length) bad(`instance_group[${i}].gpus`, "KIND_CPU takes no gpus");
    if (g.count < 1) bad(`instance_group[${i}].count`, `${g.count} (at least 1)`);
  }
  const versions = repo.versions(model);
  if (versions.length === 0) { bad("(versions)", `no version folder (expected ${repo.label}/${model}/1/model.onnx)`); return; }
  for (const v of versions) {
    const bytes = repo.modelFile(model, v);
    const file = `${repo.label}/${model}/${v}/model.onnx`;
    if (!bytes) { bad("(versions)", `${file} is missing`); continue; }
    let graph;
    try {
      graph = decodeModel(bytes).graph;
    } catch (e) {
      bad("(model)", `${file} is not an ONNX model (${(e as Error).message.split("\n")[0]})`);
      continue;
    }
    if (!graph) { bad("(model)", `${file} has no graph`); continue; }
    const stored = new Set(graph.initializer.map((t) => t.name));
    for (const [kind, declared, actual] of [["input", c.input, graph.input.filter((t) => !stored.has(t.name))], ["output", c.output, graph.output]] as const) {
      const byName = new Map(actual.map((vi) => [vi.name, vi]));
      declared.forEach((t, i) => {
        const vi = byName.get(t.name);
        if (!vi) { bad(`${kind}[${i}].name`, `'${t.name}' is no ${kind} of ${file} (its ${kind}s: ${[...byName.keys()].join(", ")})`); return; }
        const tt = vi.type?.value.case === "tensorType" ? vi.type.value.value : undefined;
        if (!tt) return;
        if (tritonDataType(tt.elemType) !== t.data_type) bad(`${kind}[${i}].data_type`, `${t.data_type} but ${file} declares '${t.name}' as ${dtypeName(tt.elemType)}`);
        if (!tt.shape) return;
        const dims = tt.shape.dim.map((d) => (d.value.case === "dimValue" ? Number(d.value.value) : -1));
        const shape = modelShape(t, c.max_batch_size);
        if (!compatible(shape, dims)) bad(`${kind}[${i}].dims`, `[${t.dims.join(", ")}]${c.max_batch_size > 0 ? " after the batch dimension" : ""} does not fit ${file}'s [${dims.join(", ")}]`);
      });
      const named = new Set(declared.map((t) => t.name));
      // Triton may leave model outputs out of the config, never inputs.
      if (kind === "input") for (const name of byName.keys()) if (!named.has(name)) bad(kind, `${file} has input '${name}', which the config does not list`);
    }
  }
}

function compatible(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === -1 || b[i] === -1 || d === b[i]);
}

interface EnsembleTensor { data_type: string; dims: number[]; from: string }

function checkEnsemble(model: string, c: TritonModelConfig, configs: Map<string, TritonModelConfig>, bad: Bad): void {
  if (c.instance_group) bad("instance_group", "an ensemble has none (its steps' models have their own)");
  const steps = c.ensemble_scheduling?.step ?? [];
  if (steps.length === 0) { bad("ensemble_scheduling.step", "an ensemble needs at least one step"); return; }
  const tensors = new Map<string, EnsembleTensor>();
  c.input.forEach((t, i) => tensors.set(t.name, { data_type: t.data_type, dims: t.dims, from: `ensemble input[${i}]` }));
  const producerStep = new Map<string, number>();
  const stepModel = steps.map((s, i) => {
    const field = `ensemble_scheduling.step[${i}]`;
    const m = configs.get(s.model_name);
    if (!m) { bad(`${field}.model_name`, `"${s.model_name}" is no model in the repository`); return undefined; }
    if (m.name === model) { bad(`${field}.model_name`, "an ensemble cannot run itself"); return undefined; }
    if (s.model_version !== -1 && s.model_version < 1) bad(`${field}.model_version`, `${s.model_version} (-1 for the latest, or a version number)`);
    if (c.max_batch_size > 0 && m.max_batch_size < c.max_batch_size) bad("max_batch_size", `${c.max_batch_size} exceeds step model '${m.name}''s ${m.max_batch_size}`);
    return m;
  });
  // Producers first: every output_map value names a new ensemble tensor, made exactly once.
  steps.forEach((s, i) => {
    const m = stepModel[i];
    if (!m) return;
    for (const [key, value] of s.output_map) {
      const field = `ensemble_scheduling.step[${i}].output_map["${key}"]`;
      const out = m.output.find((t) => t.name === key);
      if (!out) { bad(field, `model '${m.name}' has no output '${key}' (its outputs: ${m.output.map((t) => t.name).join(", ")})`); continue; }
      const earlier = tensors.get(value);
      if (earlier) { bad(field, `ensemble tensor '${value}' is already produced by ${earlier.from}`); continue; }
      tensors.set(value, { data_type: out.data_type, dims: out.dims, from: `step[${i}] (${m.name} output '${key}')` });
      producerStep.set(value, i);
    }
  });
  const dependsOn = steps.map(() => new Set<number>());
  steps.forEach((s, i) => {
    const m = stepModel[i];
    if (!m) return;
    const mapped = new Set<string>();
    for (const [key, value] of s.input_map) {
      const field = `ensemble_scheduling.step[${i}].input_map["${key}"]`;
      mapped.add(key);
      const input = m.input.find((t) => t.name === key);
      if (!input) { bad(field, `model '${m.name}' has no input '${key}' (its inputs: ${m.input.map((t) => t.name).join(", ")})`); continue; }
      const source = tensors.get(value);
      if (!source) { bad(field, `ensemble tensor '${value}' is produced by no step and is no ensemble input`); continue; }
      if (source.data_type !== input.data_type) bad(field, `ensemble tensor '${value}' is ${source.data_type} (${source.from}) but model '${m.name}' input '${key}' is ${input.data_type}`);
      else if (!compatible(source.dims, input.dims)) bad(field, `ensemble tensor '${value}' has dims [${source.dims.join(", ")}] (${source.from}) but model '${m.name}' input '${key}' takes [${input.dims.join(", ")}]`);
      const from = producerStep.get(value);
      if (from !== undefined) dependsOn[i]!.add(from);
    }
    m.input.forEach((t) => { if (!mapped.has(t.name)) bad(`ensemble_scheduling.step[${i}].input_map`, `model '${m.name}' input '${t.name}' is not mapped`); });
  });
  const read = new Set(steps.flatMap((s) => s.input_map.map(([, v]) => v)));
  c.input.forEach((t, i) => { if (!read.has(t.name)) bad(`input[${i}].name`, `ensemble input '${t.name}' is read by no step (Triton rejects unused ensemble inputs)`); });
  c.output.forEach((t, i) => {
    const source = tensors.get(t.name);
    if (!source || !producerStep.has(t.name)) { bad(`output[${i}].name`, `ensemble output '${t.name}' is produced by no step`); return; }
    if (source.data_type !== t.data_type) bad(`output[${i}].data_type`, `${t.data_type} but ${source.from} is ${source.data_type}`);
    else if (!compatible(source.dims, t.dims)) bad(`output[${i}].dims`, `[${t.dims.join(", ")}] but ${source.from} has [${source.dims.join(", ")}]`);
  });
  const cycle = stepCycle(dependsOn);
  if (cycle) bad("ensemble_scheduling.step", `steps ${cycle.join(" -> ")} wait on each other (a cycle)`);
}

/** A cycle among the steps, or undefined (Kahn's algorithm). */
function stepCycle(dependsOn: Set<number>[]): number[] | undefined {
  const left = dependsOn.map((d) => new Set(d));
  const done = new Set<number>();
  let progress = true;
  while (progress) {
    progress = false;
    left.forEach((d, i) => {
      if (done.has(i) || [...d].some((x) => !done.has(x))) return;
      done.add(i);
      progress = true;
    });
  }
  const stuck = left.map((_, i) => i).filter((i) => !done.has(i));
  return stuck.length > 0 ? stuck : undefined;
}
