// Shapes static inference cannot decide (ops without rules, data-dependent sizes, If on a
// runtime value) filled from one calibration run on onnxruntime, marked shape_source=observed.
// Known dims (numbers and symbols) stay as inferred; only unknown dims and unknown ranks take
// the observed sizes, which are those of this run's input sizes (bound ones, else calibrate's
// defaults; or the first sample of calibration files).
//
// The run uses the model as the file declared it (types captured before inference), fed with
// the bound sizes: with bound input types onnxruntime re-infers untaken If branches at those
// sizes and can refuse a model that runs fine (Silero VAD's 8 kHz branch on 512 samples).
import type { Model } from "../../ir/model.ts";
import { tensorType, type Dim, type ValueType } from "../../ir/types.ts";
import type { Value } from "../../ir/value.ts";
import { ValueKey } from "../../ir/annotation-keys.ts";
import { calibrate } from "../support/calibrate.ts";

/** Types of every graph input and node output (all graphs), to restore later. */
export type TypeSnapshot = Map<Value, ValueType | undefined>;

export function snapshotTypes(model: Model): TypeSnapshot {
  const snapshot: TypeSnapshot = new Map();
  for (const g of model.graph.allGraphs()) {
    for (const v of g.inputs) snapshot.set(v, v.type);
    for (const n of g.nodes) for (const v of n.outputs) snapshot.set(v, v.type);
  }
  return snapshot;
}

/** Runs `fn` with the snapshot's types in place, then puts the current types back. */
async function withTypes<T>(snapshot: TypeSnapshot, fn: () => Promise<T>): Promise<T> {
  const current = new Map([...snapshot.keys()].map((v) => [v, v.type] as const));
  for (const [v, t] of snapshot) v.type = t;
  try {
    return await fn();
  } finally {
    for (const [v, t] of current) v.type = t;
  }
}

const fullyKnown = (v: Value) => v.type?.kind === "tensor" && v.type.shape !== undefined && v.type.shape.every((d) => typeof d === "number");

export interface ObserveResult { observed: number; unresolved: number }

/**
 * Observes main-graph node outputs whose shape is not fully known after static inference.
 * `declared` is the snapshot taken before inference; `inputShapes` the bound input sizes.
 */
export async function observeUnknownShapes(model: Model, declared: TypeSnapshot, inputShapes: ReadonlyMap<string, readonly Dim[]>,
  data: { seed: number; files?: ReadonlyMap<string, readonly string[]> }): Promise<ObserveResult> {
  const wanted = model.graph.nodes.flatMap((n) => n.outputs).filter((v) => v.name !== "" && (v.type === undefined || v.type.kind === "tensor") && !fullyKnown(v));
  if (wanted.length === 0) return { observed: 0, unresolved: 0 };
  const sizes = new Map<string, number[]>();
  for (const [name, dims] of inputShapes) if (dims.every((d) => typeof d === "number")) sizes.set(name, dims as number[]);
  const seen = new Map<Value, { dtype: number; dims: number[] }>();
  const wantedSet = new Set(wanted);
  await withTypes(declared, () => calibrate(model, { samples: 1, seed: data.seed, files: data.files, inputShapes: sizes, values: wanted }, (o) => {
    if (wantedSet.has(o.value) && !seen.has(o.value)) seen.set(o.value, { dtype: o.dtype, dims: [...o.dims] });
  }));
  for (const [v, o] of seen) {
    const t = v.type?.kind === "tensor" ? v.type : undefined;
    const shape = t?.shape?.length === o.dims.length ? t.shape.map((d, i) => d ?? o.dims[i]!) : o.dims;
    v.type = tensorType(t?.elemType ?? o.dtype, shape);
    v.annotations.set(ValueKey.shapeSource, "observed");
  }
  return { observed: seen.size, unresolved: wanted.length - seen.size };
}
