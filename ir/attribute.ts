// Node attributes. Integers stay bigint: ONNX models use INT64_MAX as a sentinel (Slice ends).
import type { SparseTensor, Tensor } from "./tensor.ts";
import type { Graph } from "./graph.ts";
import type { ValueType } from "./types.ts";

interface AttrBase { name: string; docString?: string; source?: unknown }

export type Attribute = AttrBase & (
  | { kind: "float"; value: number }
  | { kind: "int"; value: bigint }
  | { kind: "string"; value: string }
  | { kind: "tensor"; value: Tensor }
  | { kind: "graph"; value: Graph }
  | { kind: "floats"; value: number[] }
  | { kind: "ints"; value: bigint[] }
  | { kind: "strings"; value: string[] }
  | { kind: "tensors"; value: Tensor[] }
  | { kind: "graphs"; value: Graph[] }
  | { kind: "type"; value: ValueType }
  | { kind: "types"; value: ValueType[] }
  | { kind: "sparse_tensor"; value: SparseTensor }
  | { kind: "sparse_tensors"; value: SparseTensor[] }
  /** Attribute types the IR carries without interpreting (UNDEFINED, future types). */
  | { kind: "opaque"; value: null }
  /** A reference to an attribute of the enclosing function. */
  | { kind: "ref"; value: string; refType: number }
);

export type AttributeKind = Attribute["kind"];

export function floatAttr(name: string, value: number): Attribute { return { name, kind: "float", value }; }
export function intAttr(name: string, value: number | bigint): Attribute { return { name, kind: "int", value: BigInt(value) }; }
export function intsAttr(name: string, value: readonly (number | bigint)[]): Attribute {
  return { name, kind: "ints", value: value.map((v) => BigInt(v)) };
}
export function stringAttr(name: string, value: string): Attribute { return { name, kind: "string", value }; }

/** Subgraphs held by an attribute (If branches, Loop/Scan bodies). */
export function attributeGraphs(attr: Attribute): Graph[] {
  if (attr.kind === "graph") return [attr.value];
  if (attr.kind === "graphs") return attr.value;
  return [];
}
