// Where a constant input's elements come from: an initializer or a Constant's tensor, a
// ConstantOfShape fill, reached through ops that only reshape or reorder elements.
import { DataType } from "../../ir/dtype.ts";
import type { Node } from "../../ir/node.ts";
import { Tensor } from "../../ir/tensor.ts";
import type { Value } from "../../ir/value.ts";

export type WeightSource =
  /** `permuted`: a Transpose lies on the way, so the consumer sees the elements in another order. */
  | { kind: "tensor"; tensor: Tensor; permuted: boolean }
  /** Every element equals `value` (ConstantOfShape). */
  | { kind: "fill"; value: number; count: number };

/** Ops whose output holds exactly the input's elements (row-major order kept unless noted). */
const RESHAPING = new Set(["Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity"]);
const REORDERING = new Set(["Transpose"]);

/** The data behind a constant value, or null when it is computed by something else (Mul of weights...). */
export function weightSource(value: Value): WeightSource | null {
  let v: Value = value;
  let permuted = false;
  for (;;) {
    if (v.initializer) return { kind: "tensor", tensor: v.initializer, permuted };
    const p = v.producer;
    if (!p) return null;
    if (p.opType === "Constant") return constantTensor(p, permuted);
    if (p.opType === "ConstantOfShape") return fill(p);
    if (!RESHAPING.has(p.opType) && !REORDERING.has(p.opType)) return null;
    if (REORDERING.has(p.opType)) permuted = true;
    const next = p.inputs[0];
    if (!next) return null;
    v = next;
  }
}

function constantTensor(node: Node, permuted: boolean): WeightSource | null {
  const value = node.attr("value");
  if (value?.kind === "tensor") return { kind: "tensor", tensor: value.value, permuted };
  const floats = node.attr("value_floats") ?? node.attr("value_float");
  if (floats?.kind === "floats" || floats?.kind === "float") {
    const data = Float32Array.from(floats.kind === "floats" ? floats.value : [floats.value]);
    return { kind: "tensor", tensor: Tensor.fromArray(node.outputs[0]?.name ?? "", DataType.FLOAT, [data.length], data), permuted };
  }
  return null;
}

function fill(node: Node): WeightSource | null {
  const shape = node.inputs[0];
  const dims = shape?.initializer?.toNumbers() ?? (shape?.producer?.opType === "Constant" ? constantDims(shape.producer) : undefined);
  if (!dims) return null;
  const value = node.attr("value");
  const fillValue = value?.kind === "tensor" ? value.value.toNumbers()[0] ?? 0 : 0;
  return { kind: "fill", value: fillValue, count: dims.reduce((a, b) => a * b, 1) };
}

function constantDims(node: Node): number[] | undefined {
  const value = node.attr("value");
  return value?.kind === "tensor" ? value.value.toNumbers() : undefined;
}
