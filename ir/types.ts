// The type of a value: tensors with (possibly symbolic) shapes, and ONNX's container types.
import { dtypeName } from "./dtype.ts";

/** A dimension: a known size, a named symbol, or unknown (`null`). */
export type Dim = number | string | null;

export type ValueType =
  | { kind: "tensor"; elemType: number; shape?: Dim[] }
  | { kind: "sparse_tensor"; elemType: number; shape?: Dim[] }
  | { kind: "sequence"; elem?: ValueType }
  | { kind: "optional"; elem?: ValueType }
  | { kind: "map"; keyType: number; value?: ValueType }
  | { kind: "unknown" };

export function tensorType(elemType: number, shape?: Dim[]): ValueType {
  return shape === undefined ? { kind: "tensor", elemType } : { kind: "tensor", elemType, shape };
}

/** `[1,3,"N",?]` style. */
export function formatShape(shape: readonly Dim[] | undefined): string {
  if (shape === undefined) return "[*]";
  return `[${shape.map((d) => (d === null ? "?" : String(d))).join(",")}]`;
}

export function formatType(type: ValueType | undefined): string {
  if (type === undefined) return "?";
  switch (type.kind) {
    case "tensor": return `${dtypeName(type.elemType)}${formatShape(type.shape)}`;
    case "sparse_tensor": return `sparse<${dtypeName(type.elemType)}${formatShape(type.shape)}>`;
    case "sequence": return `seq<${formatType(type.elem)}>`;
    case "optional": return `opt<${formatType(type.elem)}>`;
    case "map": return `map<${dtypeName(type.keyType)},${formatType(type.value)}>`;
    case "unknown": return "?";
  }
}

/** Number of elements when every dimension is known, else undefined. */
export function staticSize(shape: readonly Dim[] | undefined): number | undefined {
  if (shape === undefined) return undefined;
  let n = 1;
  for (const d of shape) {
    if (typeof d !== "number") return undefined;
    n *= d;
  }
  return n;
}

export function sameType(a: ValueType | undefined, b: ValueType | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
