// Reading a tensor's elements without copying it: a typed-array view straight onto the model's
// bytes when the data is aligned, otherwise chunk by chunk through a small reused buffer.
import { DataType } from "../../ir/dtype.ts";
import type { Tensor } from "../../ir/tensor.ts";

/** The typed arrays a zero test can run on; f16/bf16 stay as raw 16-bit patterns. */
export type ElementArray = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array;

interface ArrayKind {
  bytes: number;
  make: (buffer: ArrayBufferLike, byteOffset: number, length: number) => ElementArray;
  /** Bits that must be zero for an element to be zero (f16/bf16: all but the sign bit). */
  mask: number;
}

const KINDS: Partial<Record<number, ArrayKind>> = {
  [DataType.FLOAT]: { bytes: 4, make: (b, o, n) => new Float32Array(b, o, n), mask: 0 },
  [DataType.DOUBLE]: { bytes: 8, make: (b, o, n) => new Float64Array(b, o, n), mask: 0 },
  [DataType.FLOAT16]: { bytes: 2, make: (b, o, n) => new Uint16Array(b, o, n), mask: 0x7fff },
  [DataType.BFLOAT16]: { bytes: 2, make: (b, o, n) => new Uint16Array(b, o, n), mask: 0x7fff },
  [DataType.INT8]: { bytes: 1, make: (b, o, n) => new Int8Array(b, o, n), mask: 0 },
  [DataType.UINT8]: { bytes: 1, make: (b, o, n) => new Uint8Array(b, o, n), mask: 0 },
  [DataType.INT16]: { bytes: 2, make: (b, o, n) => new Int16Array(b, o, n), mask: 0 },
  [DataType.UINT16]: { bytes: 2, make: (b, o, n) => new Uint16Array(b, o, n), mask: 0 },
  [DataType.INT32]: { bytes: 4, make: (b, o, n) => new Int32Array(b, o, n), mask: 0 },
  [DataType.UINT32]: { bytes: 4, make: (b, o, n) => new Uint32Array(b, o, n), mask: 0 },
  // f8 formats: a zero is the byte with every bit but the sign clear.
  [DataType.FLOAT8E4M3FN]: { bytes: 1, make: (b, o, n) => new Uint8Array(b, o, n), mask: 0x7f },
  [DataType.FLOAT8E5M2]: { bytes: 1, make: (b, o, n) => new Uint8Array(b, o, n), mask: 0x7f },
};

export function canScan(dtype: number): boolean {
  return KINDS[dtype] !== undefined;
}

/** A typed view onto the tensor's bytes, or null when they are not aligned for the element size. */
export function typedView(tensor: Tensor): { data: ElementArray; mask: number } | null {
  const kind = KINDS[tensor.dtype];
  if (!kind) return null;
  const raw = tensor.bytes();
  if (raw.byteOffset % kind.bytes !== 0) return null;
  return { data: kind.make(raw.buffer, raw.byteOffset, tensor.size), mask: kind.mask };
}

const CHUNK_BYTES = 8 << 20;

/**
 * Calls `visit` with consecutive runs of whole units (`unit` elements each) covering the tensor
 * in memory order: one call with a view when aligned, else chunks copied into a reused buffer
 * of about 8 MB (one unit at least), so an unaligned 400 MB tensor never doubles in memory.
 */
export function forEachChunk(tensor: Tensor, unit: number, visit: (data: ElementArray, mask: number, firstUnit: number, units: number) => void): void {
  const kind = KINDS[tensor.dtype];
  if (!kind) throw new Error(`tensor '${tensor.name}': element type ${tensor.dtype} cannot be scanned`);
  const total = tensor.size;
  const unitCount = unit > 0 ? Math.ceil(total / unit) : 0;
  if (unitCount === 0) return;
  const aligned = typedView(tensor);
  if (aligned) { visit(aligned.data, aligned.mask, 0, unitCount); return; }
  const raw = tensor.bytes();
  const unitsPerChunk = Math.min(unitCount, Math.max(1, Math.floor(CHUNK_BYTES / (unit * kind.bytes))));
  const scratch = new ArrayBuffer(Math.min(unitsPerChunk * unit, total) * kind.bytes);
  const bytes = new Uint8Array(scratch);
  for (let first = 0; first < unitCount; first += unitsPerChunk) {
    const units = Math.min(unitsPerChunk, unitCount - first);
    const elements = Math.min(units * unit, total - first * unit);
    const start = first * unit * kind.bytes;
    bytes.set(raw.subarray(start, start + elements * kind.bytes));
    visit(kind.make(scratch, 0, elements), kind.mask, first, units);
  }
}
