// Constant tensors (initializers, Constant values, tensor attributes). Data stays where the
// file put it: a view onto the model's bytes, or a lazily read range of an external file.
import { DataType, byteSize } from "./dtype.ts";

/** Where an externally stored tensor lives, as written in the model (path relative to the model). */
export interface ExternalLocation { location: string; offset: number; length: number }

export type NumericArray =
  | Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array
  | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;

export class Tensor {
  name: string;
  readonly dtype: number;
  readonly dims: readonly number[];
  /** The serialized form this tensor came from; export reuses it when the tensor is unchanged. */
  readonly source: unknown;
  readonly external: ExternalLocation | undefined;
  private loader: () => Uint8Array;
  private cached: Uint8Array | undefined;

  constructor(init: {
    name: string; dtype: number; dims: readonly number[]; load: () => Uint8Array;
    source?: unknown; external?: ExternalLocation;
  }) {
    this.name = init.name;
    this.dtype = init.dtype;
    this.dims = init.dims;
    this.loader = init.load;
    this.source = init.source;
    this.external = init.external;
  }

  static fromBytes(name: string, dtype: number, dims: readonly number[], bytes: Uint8Array): Tensor {
    return new Tensor({ name, dtype, dims, load: () => bytes });
  }

  static fromArray(name: string, dtype: number, dims: readonly number[], data: NumericArray): Tensor {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    return Tensor.fromBytes(name, dtype, dims, bytes);
  }

  get size(): number {
    return this.dims.reduce((a, b) => a * b, 1);
  }

  /** Bytes the data takes when packed (what `raw_data` would hold). */
  get byteLength(): number {
    return byteSize(this.dtype, this.size);
  }

  /** Little-endian packed bytes, read on first use. */
  bytes(): Uint8Array {
    this.cached ??= this.loader();
    return this.cached;
  }

  /** Drops cached external bytes so large models need not stay resident. */
  release(): void {
    if (this.external) this.cached = undefined;
  }

  /** Elements as a typed array (a copy, aligned). float16/bfloat16 come back as Float32Array. */
  toArray(): NumericArray {
    const raw = this.bytes();
    const copy = new Uint8Array(raw).buffer; // a copy: raw may be a Buffer view into a larger pool
    switch (this.dtype) {
      case DataType.FLOAT: return new Float32Array(copy);
      case DataType.DOUBLE: return new Float64Array(copy);
      case DataType.INT8: return new Int8Array(copy);
      case DataType.UINT8: case DataType.BOOL: return new Uint8Array(copy);
      case DataType.INT16: return new Int16Array(copy);
      case DataType.UINT16: return new Uint16Array(copy);
      case DataType.INT32: return new Int32Array(copy);
      case DataType.UINT32: return new Uint32Array(copy);
      case DataType.INT64: return new BigInt64Array(copy);
      case DataType.UINT64: return new BigUint64Array(copy);
      case DataType.FLOAT16: return halfToFloat(new Uint16Array(copy), decodeHalf);
      case DataType.BFLOAT16: return halfToFloat(new Uint16Array(copy), (h) => bitsToFloat(h << 16));
      default: throw new Error(`tensor '${this.name}': element type ${this.dtype} has no numeric view`);
    }
  }

  /** Elements as plain numbers (int64 converted, precision beyond 2^53 lost). */
  toNumbers(): number[] {
    return Array.from(this.toArray() as ArrayLike<number | bigint>, Number);
  }
}

function halfToFloat(halves: Uint16Array, convert: (h: number) => number): Float32Array {
  const out = new Float32Array(halves.length);
  for (let i = 0; i < halves.length; i++) out[i] = convert(halves[i]!);
  return out;
}

const scratch = new DataView(new ArrayBuffer(4));
function bitsToFloat(bits: number): number {
  scratch.setUint32(0, bits >>> 0);
  return scratch.getFloat32(0);
}

function decodeHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}
