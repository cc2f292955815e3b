// Seeded random data: the one generator behind fixture weights, calibration samples, --check
// inputs and benchmark inputs, so a seed means the same numbers everywhere.
// Distribution of generated tensors (docs/sparsity.md): floats ~ normal(0, 1) (Box-Muller),
// integers and bools uniform over {0, 1} (safe as indices and masks).
import { SparoaError } from "./sparoa-error.ts";
import { freemem } from "node:os";
import { DataType, dtypeBits, dtypeName } from "./dtype.ts";
import { Tensor, type NumericArray } from "./tensor.ts";

/** Mulberry32: small, fast, seedable; returns uniform numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A tensor of `dims` drawn from `rand` with the documented distribution; throws for types it cannot make. */
/** Largest size of one dimension given on the command line (--input-shape, --dim): 2^31 - 1. */
export const MAX_DIM = 2 ** 31 - 1;

/** Largest generated tensor (calibration samples, --check and run inputs): 1 GiB, and at most half the free memory. */
export const MAX_GENERATED_BYTES = 2 ** 30;

/** An input sparoa cannot generate (over the size limit, or an element type it has no distribution for); the message names the input. */
export class GeneratedInputError extends SparoaError {}

/** Element count of a tensor to generate, checked against the limits before anything is allocated. */
export function checkGeneratedSize(name: string, dtype: number, dims: readonly number[]): number {
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new GeneratedInputError(`input '${name}': dimension ${d} is not a valid size`);
  }
  const n = dims.reduce((a, b) => a * b, 1);
  const bytes = n * Math.max(1, dtypeBits(dtype) / 8);
  const limit = Math.min(MAX_GENERATED_BYTES, Math.floor(freemem() / 2));
  if (bytes > limit) {
    throw new GeneratedInputError(`input '${name}': shape ${dims.join("x")} (${dtypeName(dtype)}) is ${bytes} bytes, over the limit of ${limit} bytes for a generated input (bind smaller dims with --input-shape or --dim, or pass a file)`);
  }
  return n;
}

export function randomTensor(name: string, dtype: number, dims: readonly number[], rand: () => number): Tensor {
  const n = checkGeneratedSize(name, dtype, dims);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const bit = () => (rand() < 0.5 ? 0 : 1);
  let data: NumericArray;
  switch (dtype) {
    case DataType.FLOAT: data = Float32Array.from({ length: n }, normal); break;
    case DataType.DOUBLE: data = Float64Array.from({ length: n }, normal); break;
    case DataType.FLOAT16: data = Uint16Array.from({ length: n }, () => floatToHalf(normal())); break;
    case DataType.INT64: data = BigInt64Array.from({ length: n }, () => BigInt(bit())); break;
    case DataType.UINT64: data = BigUint64Array.from({ length: n }, () => BigInt(bit())); break;
    case DataType.INT32: data = Int32Array.from({ length: n }, bit); break;
    case DataType.UINT32: data = Uint32Array.from({ length: n }, bit); break;
    case DataType.INT16: data = Int16Array.from({ length: n }, bit); break;
    case DataType.UINT16: data = Uint16Array.from({ length: n }, bit); break;
    case DataType.INT8: data = Int8Array.from({ length: n }, bit); break;
    case DataType.UINT8: case DataType.BOOL: data = Uint8Array.from({ length: n }, bit); break;
    default: throw new GeneratedInputError(`input '${name}' has element type ${dtypeName(dtype)}, which sparoa cannot generate; pass a file`);
  }
  return Tensor.fromArray(name, dtype, dims, data);
}

function floatToHalf(x: number): number {
  const f = new Float32Array([x]);
  const bits = new Uint32Array(f.buffer)[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = ((bits >>> 23) & 0xff) - 127 + 15;
  const mant = bits & 0x7fffff;
  if (exp <= 0) return sign; // underflow to signed zero: normal(0,1) rarely goes there
  if (exp >= 31) return sign | 0x7c00;
  return sign | (exp << 10) | (mant >>> 13);
}
