// Seeded inputs for `sparoa bench` and `sparoa run` without --input: uniform [-1, 1) floats,
// small non-negative integers, symbolic dimensions set by the caller (default 1).
import * as ort from "onnxruntime-node";
import { dtypeFromName } from "../../ir/dtype.ts";
import type { TensorSpec } from "../package/manifest.ts";
import { ortTypeOf } from "./ort-tensor.ts";

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export function seededTensor(type: ort.Tensor.Type, dims: readonly number[], seed: number): ort.Tensor {
  const size = dims.reduce((a, b) => a * b, 1);
  const next = lcg(seed);
  const shape = [...dims];
  switch (type) {
    case "float32": return new ort.Tensor(type, Float32Array.from({ length: size }, () => next() * 2 - 1), shape);
    case "float64": return new ort.Tensor(type, Float64Array.from({ length: size }, () => next() * 2 - 1), shape);
    case "int64": return new ort.Tensor(type, BigInt64Array.from({ length: size }, () => BigInt(Math.floor(next() * 4))), shape);
    case "int32": return new ort.Tensor(type, Int32Array.from({ length: size }, () => Math.floor(next() * 4)), shape);
    case "int8": return new ort.Tensor(type, Int8Array.from({ length: size }, () => Math.floor(next() * 4)), shape);
    case "uint8": return new ort.Tensor(type, Uint8Array.from({ length: size }, () => Math.floor(next() * 4)), shape);
    case "bool": return new ort.Tensor(type, Uint8Array.from({ length: size }, () => (next() < 0.5 ? 1 : 0)), shape);
    default: throw new Error(`cannot generate inputs of type ${type}; pass --input NAME=FILE`);
  }
}

/** One tensor per spec; `dims` sets symbolic or unknown dimensions by name (default 1). */
export function generateFeeds(specs: readonly TensorSpec[], seed = 1, dims: Record<string, number> = {}): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  specs.forEach((spec, i) => {
    const dtype = dtypeFromName(spec.dtype);
    if (dtype === undefined) throw new Error(`input '${spec.name}': unknown dtype '${spec.dtype}'`);
    if (!spec.shape) throw new Error(`input '${spec.name}': its shape is unknown; pass --input ${spec.name}=FILE`);
    const shape = spec.shape.map((d) => (typeof d === "number" ? d : dims[d ?? ""] ?? 1));
    feeds[spec.name] = seededTensor(ortTypeOf(dtype), shape, seed * 7919 + i);
  });
  return feeds;
}
