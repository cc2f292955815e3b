// Element types and shapes of intermediate values, from onnxruntime itself (field notes: list
// every node output as a graph output by name, disable optimisations, read outputMetadata).
// Partition boundaries need them: a graph input must declare its type.
import * as ort from "onnxruntime-node";
import type { Model } from "../../ir/model.ts";
import { modelBytes } from "../../ir/onnx/file.ts";
import { tensorType, type Dim, type ValueType } from "../../ir/types.ts";
import { dtypeOfOrt } from "./ort-tensor.ts";

/** Types of the named main-graph values; `model` is left as it was. */
export async function inferValueTypes(model: Model, names: Iterable<string>): Promise<Map<string, ValueType>> {
  const wanted = new Set(names);
  const g = model.graph;
  const added = [];
  const listed = new Set(g.outputs);
  for (const n of g.nodes) for (const v of n.outputs) if (wanted.has(v.name) && !listed.has(v)) { g.outputs.push(v); added.push(v); listed.add(v); }
  let bytes: Uint8Array;
  try {
    bytes = modelBytes(model);
  } finally {
    g.outputs.splice(g.outputs.length - added.length, added.length);
  }
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3, graphOptimizationLevel: "disabled" });
  const out = new Map<string, ValueType>();
  for (const meta of session.outputMetadata) {
    if (!wanted.has(meta.name) || !meta.isTensor) continue;
    const shape: Dim[] = meta.shape.map((d) => (typeof d === "number" && d >= 0 ? d : typeof d === "string" && d !== "" ? d : null));
    out.set(meta.name, tensorType(dtypeOfOrt(meta.type), shape));
  }
  await session.release();
  return out;
}
