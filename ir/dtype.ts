// ONNX element types (TensorProto.DataType) with the facts passes need about each.

export enum DataType {
  UNDEFINED = 0, FLOAT = 1, UINT8 = 2, INT8 = 3, UINT16 = 4, INT16 = 5, INT32 = 6, INT64 = 7,
  STRING = 8, BOOL = 9, FLOAT16 = 10, DOUBLE = 11, UINT32 = 12, UINT64 = 13, COMPLEX64 = 14,
  COMPLEX128 = 15, BFLOAT16 = 16, FLOAT8E4M3FN = 17, FLOAT8E4M3FNUZ = 18, FLOAT8E5M2 = 19,
  FLOAT8E5M2FNUZ = 20, UINT4 = 21, INT4 = 22, FLOAT4E2M1 = 23, FLOAT8E8M0 = 24, UINT2 = 25, INT2 = 26,
}

interface DataTypeInfo { short: string; bits: number }

const INFO: Record<number, DataTypeInfo> = {
  [DataType.UNDEFINED]: { short: "undef", bits: 0 },
  [DataType.FLOAT]: { short: "f32", bits: 32 },
  [DataType.UINT8]: { short: "u8", bits: 8 },
  [DataType.INT8]: { short: "i8", bits: 8 },
  [DataType.UINT16]: { short: "u16", bits: 16 },
  [DataType.INT16]: { short: "i16", bits: 16 },
  [DataType.INT32]: { short: "i32", bits: 32 },
  [DataType.INT64]: { short: "i64", bits: 64 },
  [DataType.STRING]: { short: "str", bits: 0 },
  [DataType.BOOL]: { short: "bool", bits: 8 },
  [DataType.FLOAT16]: { short: "f16", bits: 16 },
  [DataType.DOUBLE]: { short: "f64", bits: 64 },
  [DataType.UINT32]: { short: "u32", bits: 32 },
  [DataType.UINT64]: { short: "u64", bits: 64 },
  [DataType.COMPLEX64]: { short: "c64", bits: 64 },
  [DataType.COMPLEX128]: { short: "c128", bits: 128 },
  [DataType.BFLOAT16]: { short: "bf16", bits: 16 },
  [DataType.FLOAT8E4M3FN]: { short: "f8e4m3fn", bits: 8 },
  [DataType.FLOAT8E4M3FNUZ]: { short: "f8e4m3fnuz", bits: 8 },
  [DataType.FLOAT8E5M2]: { short: "f8e5m2", bits: 8 },
  [DataType.FLOAT8E5M2FNUZ]: { short: "f8e5m2fnuz", bits: 8 },
  [DataType.UINT4]: { short: "u4", bits: 4 },
  [DataType.INT4]: { short: "i4", bits: 4 },
  [DataType.FLOAT4E2M1]: { short: "f4e2m1", bits: 4 },
  [DataType.FLOAT8E8M0]: { short: "f8e8m0", bits: 8 },
  [DataType.UINT2]: { short: "u2", bits: 2 },
  [DataType.INT2]: { short: "i2", bits: 2 },
};

/** Short name used in dumps, e.g. `f32`; unknown codes print as `dtype<N>`. */
export function dtypeName(dtype: number): string {
  return INFO[dtype]?.short ?? `dtype<${dtype}>`;
}

export function dtypeFromName(name: string): DataType | undefined {
  for (const [code, info] of Object.entries(INFO)) if (info.short === name) return Number(code);
  return undefined;
}

/** Storage size in bits of one element (0 for strings and unknown types). */
export function dtypeBits(dtype: number): number {
  return INFO[dtype]?.bits ?? 0;
}

/** Bytes taken by `count` packed elements, rounding sub-byte types up. */
export function byteSize(dtype: number, count: number): number {
  return Math.ceil((dtypeBits(dtype) * count) / 8);
}

export function isFloatType(dtype: number): boolean {
  return [DataType.FLOAT, DataType.FLOAT16, DataType.DOUBLE, DataType.BFLOAT16,
    DataType.FLOAT8E4M3FN, DataType.FLOAT8E4M3FNUZ, DataType.FLOAT8E5M2, DataType.FLOAT8E5M2FNUZ,
    DataType.FLOAT4E2M1, DataType.FLOAT8E8M0].includes(dtype);
}
