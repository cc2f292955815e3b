// Running a model in onnxruntime for tests: from a path (so external data is read the way
// onnxruntime reads it) or from bytes, with seeded random float inputs.
import * as ort from "onnxruntime-node";
import type { Model } from "../../ir/model.ts";
import { DataType } from "../../ir/dtype.ts";
import { Tensor } from "../../ir/tensor.ts";
import { fromOrtTensor, toOrtTensor } from "../../ort/tensor-bridge.ts";
import { seededRandom } from "../../ir/random.ts";

export const QUIET_SESSION: ort.InferenceSession.SessionOptions = { logSeverityLevel: 3, intraOpNumThreads: 1, interOpNumThreads: 1 };

/** One run of the model at `source` (a path or serialized bytes) in a session of its own; outputs by name. */
export async function runOrtSession(source: string | Uint8Array, feeds: Record<string, ort.Tensor>, options: ort.InferenceSession.SessionOptions = { logSeverityLevel: 3 }): Promise<{ outputs: Record<string, ort.Tensor>; outputNames: readonly string[] }> {
  const session = typeof source === "string"
    ? await ort.InferenceSession.create(source, options)
    : await ort.InferenceSession.create(source, options);
  try {
    return { outputs: await session.run(feeds), outputNames: session.outputNames };
  } finally {
    await session.release();
  }
}

/** Runs the model at `source` on IR tensors; outputs in the session's output order. */
export async function runOrt(source: string | Uint8Array, feeds: Record<string, Tensor>, options = QUIET_SESSION): Promise<Tensor[]> {
  const ortFeeds = Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, toOrtTensor(t)]));
  const { outputs, outputNames } = await runOrtSession(source, ortFeeds, options);
  return outputNames.map((name) => fromOrtTensor(name, outputs[name]!));
}

/** Seeded uniform [-1, 1) float32 inputs for every graph input without an initializer; symbolic dims become 1. */
export function randomFeeds(model: Model, seed = 7): Record<string, Tensor> {
  const rand = seededRandom(seed);
  const feeds: Record<string, Tensor> = {};
  for (const v of model.graph.inputs) {
    if (v.initializer || v.type?.kind !== "tensor") continue;
    if (v.type.elemType !== DataType.FLOAT) throw new Error(`input '${v.name}': randomFeeds makes float32 inputs only`);
    const dims = (v.type.shape ?? []).map((d) => (typeof d === "number" ? d : 1));
    const data = new Float32Array(dims.reduce((a, b) => a * b, 1)).map(() => rand() * 2 - 1);
    feeds[v.name] = Tensor.fromArray(v.name, DataType.FLOAT, dims, data);
  }
  return feeds;
}
