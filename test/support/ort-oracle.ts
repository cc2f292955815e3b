// onnxruntime as the oracle: inferred shapes of every intermediate value (without running),
// and reference outputs. Field notes: list every value as a graph output by name, disable
// graph optimisations, read session.outputMetadata.
import * as ort from "onnxruntime-node";
import type { Model } from "../../ir/model.ts";
import { exposeValues } from "../../passes/support/calibrate.ts";
import { modelBytes } from "../../ir/onnx/file.ts";
import { loadModel } from "../../ir/onnx/file.ts";
import { dtypeOfOrt } from "../../ort/tensor-bridge.ts";
import type { Dim } from "../../ir/types.ts";

export interface OracleShape { dtype: number | undefined; shape: Dim[] | undefined }

export const QUIET: ort.InferenceSession.SessionOptions = { logSeverityLevel: 3, graphOptimizationLevel: "disabled" };

/** onnxruntime's inferred type and shape for every node output of the main graph (by name). */
export async function ortInferredShapes(modelPath: string, options: ort.InferenceSession.SessionOptions = {}): Promise<Map<string, OracleShape>> {
  const model = loadModel(modelPath);
  exposeAllValues(model);
  const session = await ort.InferenceSession.create(modelBytes(model), { ...QUIET, ...options });
  const out = new Map<string, OracleShape>();
  for (const meta of session.outputMetadata) {
    if (!meta.isTensor) { out.set(meta.name, { dtype: undefined, shape: undefined }); continue; }
    let dtype: number | undefined;
    try { dtype = dtypeOfOrt(meta.type); } catch { dtype = undefined; }
    const shape = meta.shape.map((d) => (typeof d === "number" && d >= 0 ? d : typeof d === "string" && d !== "" ? d : null));
    out.set(meta.name, { dtype, shape });
  }
  await session.release();
  return out;
}

/** Makes every named node output of the main graph a graph output (name only, no type). */
export function exposeAllValues(model: Model): void {
  exposeValues(model, model.graph.nodes.flatMap((n) => n.outputs));
}

/** One-thread, fatal-only sessions: 2x faster to create when sweeping thousands of small models. */
export const SWEEP: ort.InferenceSession.SessionOptions = { logSeverityLevel: 4, intraOpNumThreads: 1, interOpNumThreads: 1 };

/** Shapes of every main-graph node output in a real run with `feeds` (what the model really produced). */
export async function ortObservedShapes(modelPath: string, feeds: Record<string, ort.Tensor>): Promise<Map<string, OracleShape>> {
  const model = loadModel(modelPath);
  exposeAllValues(model);
  const session = await ort.InferenceSession.create(modelBytes(model), QUIET);
  const results = await session.run(feeds);
  const out = new Map<string, OracleShape>();
  for (const [name, t] of Object.entries(results)) out.set(name, { dtype: dtypeOfOrt(t.type), shape: [...t.dims] });
  await session.release();
  return out;
}
