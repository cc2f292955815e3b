// Inputs for `optimize --check`: given ones (`NAME=file.npy`, `NAME=file.pb`, or `NAME=3.5`: the
// input's shape filled with 3.5) checked against the model's interface, the rest generated from a seed:
// floats uniform in [0, 1), integers uniform in {0, 1, 2, 3} (safe as indices and counts),
// booleans false. Every generated tensor has the input's bound static shape.
import { extname } from "node:path";
import { DataType, dtypeName } from "../../ir/dtype.ts";
import { Tensor, type NumericArray } from "../../ir/tensor.ts";
import { formatShape, type Dim } from "../../ir/types.ts";
import type { Value } from "../../ir/value.ts";
import { readTensorFile } from "../../ir/onnx/tensor-file.ts";
import { didYouMean } from "../../ir/names.ts";
import { randomTensor, seededRandom } from "../../ir/random.ts";
import { SparoaError } from "../../ir/sparoa-error.ts";
import { dynamicInputsMessage } from "../../passes/shape-inference.ts";
import { readNpy } from "../io/npy.ts";

/** A `--check-input` (or a generated check input) the model cannot take, named in the message. */
export class CheckInputError extends SparoaError {}

/** Parses `NAME=FILE|NUMBER` flags and completes the set with generated tensors. */
export function checkInputs(inputs: readonly Value[], given: readonly string[], seed = 0): Map<string, Tensor> {
  const byName = new Map(inputs.map((v) => [v.name, v]));
  const out = new Map<string, Tensor>();
  for (const flag of given) {
    const at = flag.lastIndexOf("=");
    if (at <= 0) throw new CheckInputError(`--check-input '${flag}': expected NAME=FILE.npy, NAME=FILE.pb or NAME=NUMBER`);
    const name = flag.slice(0, at);
    const what = flag.slice(at + 1);
    const input = byName.get(name);
    if (!input) throw new CheckInputError(`--check-input '${flag}': the model has no input '${name}'${didYouMean(name, byName.keys())}; its inputs: ${[...byName.keys()].join(", ")}`);
    const { elemType, shape } = tensorInterface(input);
    let t: Tensor;
    if (/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(what)) t = filled(name, elemType, shape, Number(what), flag);
    else {
      try {
        t = extname(what) === ".npy" ? readNpy(what, name) : readTensorFile(what);
      } catch (e) {
        throw new CheckInputError(`--check-input ${name}: ${(e as Error).message}`);
      }
      t.name = name;
    }
    if (t.dtype !== elemType) throw new CheckInputError(`--check-input ${name}: ${what} holds ${dtypeName(t.dtype)}, the input is ${dtypeName(elemType)}`);
    const fits = shape === undefined || (shape.length === t.dims.length && shape.every((d, i) => typeof d !== "number" || d === t.dims[i]));
    if (!fits) throw new CheckInputError(`--check-input ${name}: ${what} has shape [${t.dims.join(",")}], the input expects ${formatShape(shape)}`);
    out.set(name, t);
  }
  const rand = seededRandom(seed + 1);
  for (const v of inputs) {
    if (out.has(v.name)) continue;
    const { elemType, shape } = tensorInterface(v);
    const dims = shape?.map((d) => d);
    if (!dims || dims.some((d) => typeof d !== "number")) {
      throw new CheckInputError(`${dynamicInputsMessage([v])} (or --check-input ${v.name}=FILE)`);
    }
    out.set(v.name, randomTensor(v.name, elemType, dims as number[], rand));
  }
  return out;
}

function tensorInterface(v: Value): { elemType: number; shape: Dim[] | undefined } {
  const t = v.type;
  if (!t || t.kind !== "tensor") throw new CheckInputError(`input '${v.name}' is not a tensor; --check supports tensor inputs only`);
  return { elemType: t.elemType, shape: t.shape };
}


/** NAME=NUMBER: the input's whole (bound) shape filled with the number; a scalar for a rank-0 input. */
function filled(name: string, dtype: number, shape: Dim[] | undefined, x: number, flag: string): Tensor {
  if (shape === undefined || shape.some((d) => typeof d !== "number")) {
    throw new CheckInputError(`--check-input '${flag}': input '${name}' has shape ${formatShape(shape)}; a NUMBER fills a known shape only (bind it with --input-shape or pass a file)`);
  }
  const dims = shape as number[];
  return Tensor.fromArray(name, dtype, dims, fill(dtype, dims.reduce((a, b) => a * b, 1), () => x));
}

function fill(dtype: number, size: number, next: () => number): NumericArray {
  switch (dtype) {
    case DataType.FLOAT: return Float32Array.from({ length: size }, next);
    case DataType.DOUBLE: return Float64Array.from({ length: size }, next);
    case DataType.INT8: return Int8Array.from({ length: size }, next);
    case DataType.UINT8: case DataType.BOOL: return Uint8Array.from({ length: size }, next);
    case DataType.INT16: return Int16Array.from({ length: size }, next);
    case DataType.UINT16: return Uint16Array.from({ length: size }, next);
    case DataType.INT32: return Int32Array.from({ length: size }, next);
    case DataType.UINT32: return Uint32Array.from({ length: size }, next);
    case DataType.INT64: return BigInt64Array.from({ length: size }, () => BigInt(Math.trunc(next())));
    case DataType.UINT64: return BigUint64Array.from({ length: size }, () => BigInt(Math.trunc(next())));
    default: throw new CheckInputError(`element type ${dtypeName(dtype)} cannot be generated for --check; pass the input with --check-input`);
  }
}
