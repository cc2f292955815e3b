// Triton is not installable here, so the tests run a model repository the way Triton's ensemble
// scheduler would: the request's tensors must match the ensemble's inputs (data type, dims,
// batch up to max_batch_size); a step runs as soon as every tensor its input_map names exists;
// each step's model is its own onnxruntime session loaded from <model>/<version>/model.onnx
// (version -1: the highest), fed through its config's input names with `reshape` applied, its
// outputs checked against the config and renamed by output_map; the ensemble's outputs are
// returned once every step has run. Only KIND_CPU execution exists here: KIND_GPU models run on
// the CPU provider, which is what Triton's onnxruntime backend would do without a GPU.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import type { TritonModelConfig, TritonTensor } from "../../src/deploy/triton-config.ts";
import { parseConfigText } from "../../src/deploy/triton-schema.ts";

const ORT_TYPE: Record<string, ort.Tensor.Type> = {
  TYPE_FP32: "float32", TYPE_FP64: "float64", TYPE_FP16: "float16", TYPE_INT8: "int8", TYPE_UINT8: "uint8", TYPE_INT16: "int16",
  TYPE_UINT16: "uint16", TYPE_INT32: "int32", TYPE_UINT32: "uint32", TYPE_INT64: "int64", TYPE_UINT64: "uint64", TYPE_BOOL: "bool", TYPE_STRING: "string",
};

/** A request as a Triton client sends it: rank-0 tensors as dims [1] where the ensemble input reshapes. */
export function tritonRequest(repo: string, ensemble: string, feeds: Record<string, ort.Tensor>): Record<string, ort.Tensor> {
  const top = config(repo, ensemble);
  return Object.fromEntries(Object.entries(feeds).map(([name, t]) => {
    const spec = top.input.find((x) => x.name === name);
    return [name, spec?.reshape && t.dims.length === spec.reshape.length ? reshaped(t, top.max_batch_size > 0 ? [t.dims[0]!, ...spec.dims] : spec.dims) : t];
  }));
}

export interface EnsembleRun { outputs: Record<string, ort.Tensor>; order: string[] }

function config(repo: string, model: string): TritonModelConfig {
  const file = join(repo, model, "config.pbtxt");
  return parseConfigText(readFileSync(file, "utf8"), file);
}

/** Checks a tensor against a config entry as Triton's request validation does; returns the model-side shape. */
function admit(t: ort.Tensor, spec: TritonTensor, maxBatchSize: number, where: string): number[] {
  if (ORT_TYPE[spec.data_type] !== t.type) throw new Error(`${where}: '${spec.name}' is ${t.type}, the config says ${spec.data_type}`);
  const dims = t.dims.map(Number);
  const batched = maxBatchSize > 0;
  const own = batched ? dims.slice(1) : dims;
  if (batched && (dims.length === 0 || dims[0]! < 1 || dims[0]! > maxBatchSize)) throw new Error(`${where}: '${spec.name}' batch ${dims[0]} outside 1..${maxBatchSize}`);
  if (own.length !== spec.dims.length || own.some((d, i) => spec.dims[i] !== -1 && spec.dims[i] !== d)) {
    throw new Error(`${where}: '${spec.name}' has shape [${dims.join(", ")}], the config says [${batched ? "batch, " : ""}${spec.dims.join(", ")}]`);
  }
  return spec.reshape ? [...(batched ? [dims[0]!] : []), ...spec.reshape] : dims;
}

function reshaped(t: ort.Tensor, dims: number[]): ort.Tensor {
  return dims.length === t.dims.length && dims.every((d, i) => d === t.dims[i]) ? t : new ort.Tensor(t.type, t.data as ort.Tensor.DataType, dims);
}

/** Runs `ensemble` of the repository at `repo` on `feeds`; the ensemble's outputs by name and the order steps ran in. */
export async function runEnsemble(repo: string, ensemble: string, feeds: Record<string, ort.Tensor>): Promise<EnsembleRun> {
  const top = config(repo, ensemble);
  if (top.platform !== "ensemble" || !top.ensemble_scheduling) throw new Error(`${ensemble}: not an ensemble`);
  const names = new Set(top.input.map((t) => t.name));
  for (const name of Object.keys(feeds)) if (!names.has(name)) throw new Error(`request: '${name}' is no input of ${ensemble}`);
  const ready = new Map<string, ort.Tensor>();
  for (const spec of top.input) {
    const t = feeds[spec.name];
    if (!t) throw new Error(`request: input '${spec.name}' missing`);
    admit(t, spec, top.max_batch_size, `${ensemble} input`);
    ready.set(spec.name, t);
  }
  const steps = top.ensemble_scheduling.step;
  const done = new Set<number>();
  const order: string[] = [];
  const sessions = new Map<string, { session: ort.InferenceSession; config: TritonModelConfig }>();
  try {
    while (done.size < steps.length) {
      const runnable = steps.map((s, i) => ({ s, i })).filter(({ s, i }) => !done.has(i) && s.input_map.every(([, v]) => ready.has(v)));
      if (runnable.length === 0) throw new Error(`${ensemble}: steps ${steps.map((_, i) => i).filter((i) => !done.has(i)).join(", ")} wait for tensors no step produces`);
      // Triton would start these at once; a session's run is synchronous in Node anyway.
      const results = await Promise.all(runnable.map(async ({ s, i }) => {
        let entry = sessions.get(s.model_name);
        if (!entry) {
          const c = config(repo, s.model_name);
          const versions = readdirSync(join(repo, s.model_name)).filter((v) => /^\d+$/.test(v)).map(Number).sort((a, b) => b - a);
          const version = s.model_version === -1 ? versions[0] : s.model_version;
          const threads = Number(new Map(c.parameters ?? []).get("intra_op_thread_count") ?? 1);
          const session = await ort.InferenceSession.create(join(repo, s.model_name, String(version), "model.onnx"), { executionProviders: ["cpu"], intraOpNumThreads: threads, interOpNumThreads: 1, logSeverityLevel: 3 });
          entry = { session, config: c };
          sessions.set(s.model_name, entry);
        }
        const c = entry.config;
        const modelFeeds: Record<string, ort.Tensor> = {};
        for (const [key, value] of s.input_map) {
          const spec = c.input.find((t) => t.name === key);
          if (!spec) throw new Error(`${s.model_name}: no input '${key}'`);
          const t = ready.get(value)!;
          modelFeeds[key] = reshaped(t, admit(t, spec, c.max_batch_size, `${s.model_name} input`));
        }
        const out = await entry.session.run(modelFeeds);
        const produced: [string, ort.Tensor][] = [];
        for (const [key, value] of s.output_map) {
          const spec = c.output.find((t) => t.name === key);
          const t = out[key];
          if (!spec || !t) throw new Error(`${s.model_name}: produced no output '${key}'`);
          // The model produced reshape's shape; Triton presents dims.
          const dims = spec.reshape ? [...(c.max_batch_size > 0 ? [t.dims[0]!] : []), ...spec.dims] : t.dims.map(Number);
          const presented = reshaped(t, dims);
          admit(presented, { ...spec, reshape: undefined }, c.max_batch_size, `${s.model_name} output`);
          produced.push([value, presented]);
        }
        return { i, name: s.model_name, produced };
      }));
      for (const r of results) {
        done.add(r.i);
        order.push(r.name);
        for (const [name, t] of r.produced) ready.set(name, t);
      }
    }
  } finally {
    await Promise.all([...sessions.values()].map((e) => e.session.release()));
  }
  const outputs: Record<string, ort.Tensor> = {};
  for (const spec of top.output) {
    const t = ready.get(spec.name);
    if (!t) throw new Error(`${ensemble}: no step produced output '${spec.name}'`);
    admit(t, spec, top.max_batch_size, `${ensemble} output`);
    // A rank-0 model output is presented as dims [1]; the original model returns it rank 0.
    outputs[spec.name] = spec.reshape ? reshaped(t, [...(top.max_batch_size > 0 ? [t.dims[0]!] : []), ...spec.reshape]) : t;
  }
  return { outputs, order };
}
