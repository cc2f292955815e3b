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
  /** Elements of a string tensor (dtype STRING), as raw bytes: ONNX strings need not be UTF-8. */
  readonly stringData: readonly Uint8Array[] | undefined;
  private loader: () => Uint8Array;
  private cached: Uint8Array | undefined;
  private pinned = false;

  constructor(init: {
    name: string; dtype: number; dims: readonly number[]; load: () => Uint8Array;
    source?: unknown; external?: ExternalLocation; stringData?: readonly Uint8Array[];
  }) {
    this.name = init.name;
    this.dtype = init.dtype;
    this.dims = init.dims;
    this.loader = init.load;
    this.source = init.source;
    this.external = init.external;
    this.stringData = init.stringData;
  }

  static fromStrings(name: string, dims: readonly number[], strings: readonly string[]): Tensor {
    const data = strings.map((s) => new Uint8Array(Buffer.from(s, "utf8")));
    return new Tensor({ name, dtype: DataType.STRING, dims, load: () => new Uint8Array(0), stringData: data });
  }

  /** Elements of a string tensor decoded as UTF-8. */
  toStrings(): string[] {
    if (this.dtype !== DataType.STRING) throw new Error(`tensor '${this.name}': not a string tensor`);
    return (this.stringData ?? []).map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("utf8"));
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

  /** Drops cached external bytes so large models need not stay resident (unless pinned). */
  release(): void {
    if (this.external && !this.pinned) this.cached = undefined;
  }

  /** Reads the bytes now and keeps them: the file they come from is about to change. */
  pin(): void {
    this.bytes();
    this.pinned = true;
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
      case DataType.FLOAT16: return halfToFloat(new Uint16Array(copy), float16Value);
      case DataType.BFLOAT16: return halfToFloat(new Uint16Array(copy), bfloat16Value);
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

/** The number a bfloat16's 16 bits stand for (the high half of a float32). */
export function bfloat16Value(h: number): number {
  scratch.setUint32(0, (h << 16) >>> 0);
  return scratch.getFloat32(0);
}

/** The number an IEEE float16's 16 bits stand for (subnormals, infinities and NaN included). */
export function float16Value(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/**
 * A sparse constant (SparseTensorProto): `values` holds the non-zero elements, `indices` their
 * positions (shape [NNZ] as linear indices, or [NNZ, rank] as coordinates), `dims` the dense shape.
 */
export class SparseTensor {
  constructor(
    readonly values: Tensor,
    readonly indices: Tensor,
    readonly dims: readonly number[],
    /** The SparseTensorProto it came from; export reuses it while the parts are unchanged. */
    readonly source?: unknown,
  ) {}

  get name(): string {
    return this.values.name;
  }

  get dtype(): number {
    return this.values.dtype;
  }

  /** Number of stored (non-zero) elements. */
  get nnz(): number {
    return this.values.dims[0] ?? 0;
  }

  /** The dense tensor it stands for (numeric types only). */
  toDense(name = this.name): Tensor {
    const size = this.dims.reduce((a, b) => a * b, 1);
    const elem = byteSize(this.dtype, 1);
    const out = new Uint8Array(size * elem);
    const values = this.values.bytes();
    const idx = this.indices.toArray() as ArrayLike<number | bigint>;
    const rank = this.dims.length;
    const coordinates = this.indices.dims.length === 2;
    for (let k = 0; k < this.nnz; k++) {
      let linear = 0;
      if (coordinates) for (let d = 0; d < rank; d++) linear = linear * this.dims[d]! + Number(idx[k * rank + d]!);
      else linear = Number(idx[k]!);
      if (!(linear >= 0 && linear < size)) throw new Error(`sparse tensor '${this.name}': index ${linear} of element ${k} is outside shape [${this.dims}]`);
      out.set(values.subarray(k * elem, (k + 1) * elem), linear * elem);
    }
    return Tensor.fromBytes(name, this.dtype, this.dims, out);
  }
}
