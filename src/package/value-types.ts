// Types for the values that cross partitions. A partition model's inputs must be typed for
// onnxruntime to load it. When the IR does not know a value's type, the shape-inference pass
// runs first (no shape pass may have run: a model annotated elsewhere); what it cannot infer
// comes from onnxruntime's own inference: the values are listed as extra model outputs and
// the session's outputMetadata read back without running anything (field notes: shape oracle).
import { SparoaError } from "../../ir/sparoa-error.ts";
import type * as ort from "onnxruntime-node";
import { openSession } from "../../ort/session.mjs";
import { create } from "@bufbuild/protobuf";
import type { Model } from "../../ir/model.ts";
import type { Dim, ValueType } from "../../ir/types.ts";
import type { Value } from "../../ir/value.ts";
import { modelToProto } from "../../ir/onnx/export.ts";
import { encodeModel, ValueInfoProtoSchema } from "../../ir/onnx/proto.ts";
import { dtypeOfOrt } from "../../ort/tensor-bridge.ts";
import { inferShapes } from "../../passes/shape-inference.ts";

/** A boundary value without a type onnxruntime could give: the model is one onnxruntime refuses (exit 2, like an invalid model). */
export class BoundaryTypeError extends SparoaError {
  override readonly exitCode = 2;
}

/** A tensor type with a known element type; the only kind a partition boundary can carry here. */
export function knownTensorType(v: Value): ValueType | undefined {
  const t = v.type;
  return t && t.kind === "tensor" && t.elemType !== 0 ? t : undefined;
}

/** Types for `values` (main-graph values of `model`): the IR's where known, else onnxruntime's inference. */
export async function resolveValueTypes(model: Model, values: Iterable<Value>): Promise<Map<Value, ValueType>> {
  const out = new Map<Value, ValueType>();
  const missing: Value[] = [];
  for (const v of values) {
    const t = knownTensorType(v);
    if (t) out.set(v, t);
    else if (!missing.includes(v)) missing.push(v);
  }
  if (missing.length === 0) return out;
  inferShapes(model);
  for (const v of [...missing]) {
    const t = knownTensorType(v);
    if (t) { out.set(v, t); missing.splice(missing.indexOf(v), 1); }
  }
  if (missing.length === 0) return out;
  const proto = modelToProto(model);
  const listed = new Set(proto.graph!.output.map((o) => o.name));
  for (const v of missing) if (!listed.has(v.name)) proto.graph!.output.push(create(ValueInfoProtoSchema, { name: v.name }));
  let session: ort.InferenceSession;
  try {
    session = await openSession(encodeModel(proto), { logSeverityLevel: 3, graphOptimizationLevel: "disabled" });
  } catch (e) {
    throw new BoundaryTypeError(`cannot infer the types of ${missing.length} partition boundary value(s) (e.g. '${missing[0]!.name}') (onnxruntime refuses the model: ${(e as Error).message.split("\n")[0]})`);
  }
  try {
    const meta = new Map(session.outputMetadata.map((m) => [m.name, m]));
    for (const v of missing) {
      const m = meta.get(v.name);
      if (!m || !m.isTensor) throw new BoundaryTypeError(`partition boundary value '${v.name}' is not a tensor (or has no inferable type); sparoa packages carry tensors only`);
      // outputMetadata reports an unknown rank as [] (indistinguishable from a scalar): leave the shape out then.
      const shape: Dim[] = m.shape.map((d) => (typeof d === "number" && d >= 0 ? d : typeof d === "string" && d !== "" ? d : null));
      out.set(v, shape.length > 0 ? { kind: "tensor", elemType: dtypeOfOrt(m.type), shape } : { kind: "tensor", elemType: dtypeOfOrt(m.type) });
    }
  } finally {
    await session.release();
  }
  return out;
}
