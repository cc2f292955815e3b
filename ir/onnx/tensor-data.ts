// TensorProto <-> packed little-endian bytes, and external data read under the model's folder only.
import { SparoaError } from "../sparoa-error.ts";
import { closeSync, openSync, readSync, realpathSync, statSync } from "node:fs";
import { protectInput } from "./file-guard.ts";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { DataType, byteSize, dtypeBits } from "../dtype.ts";
import { SparseTensor, Tensor, type ExternalLocation } from "../tensor.ts";
import type { SparseTensorProto, TensorProto } from "./proto.ts";

const EXTERNAL = 1;

export class ExternalDataError extends SparoaError {}

/** The file breaks a rule of the ONNX spec (a tensor whose data does not fit its dims...): exit code 2, like the verifier. */
export class InvalidModelError extends SparoaError {
  override readonly exitCode = 2;
}

/** How many elements each typed field holds per tensor element (raw_data is checked in bytes). */
function typedCount(t: TensorProto): { count: number; perElement: number } | undefined {
  switch (t.dataType) {
    case DataType.FLOAT: return { count: t.floatData.length, perElement: 1 };
    case DataType.COMPLEX64: return { count: t.floatData.length, perElement: 2 };
    case DataType.DOUBLE: return { count: t.doubleData.length, perElement: 1 };
    case DataType.COMPLEX128: return { count: t.doubleData.length, perElement: 2 };
    case DataType.INT64: return { count: t.int64Data.length, perElement: 1 };
    case DataType.UINT32: case DataType.UINT64: return { count: t.uint64Data.length, perElement: 1 };
    case DataType.INT32: case DataType.INT16: case DataType.INT8: case DataType.UINT16: case DataType.UINT8:
    case DataType.BOOL: case DataType.FLOAT16: case DataType.BFLOAT16: case DataType.FLOAT8E4M3FN:
    case DataType.FLOAT8E4M3FNUZ: case DataType.FLOAT8E5M2: case DataType.FLOAT8E5M2FNUZ: case DataType.FLOAT8E8M0:
      return { count: t.int32Data.length, perElement: 1 };
    default: return undefined; // sub-byte types pack several elements per int32
  }
}

/**
 * Checks, before anything is allocated, that a tensor's dims are valid and that its data holds
 * exactly what they say (the spec's rule; onnxruntime refuses such a tensor too).
 */
export function checkTensorData(t: TensorProto, ext: ExternalLocation | null): void {
  const what = `tensor '${t.name}'`;
  const bad = (why: string) => new InvalidModelError(`${what}: ${why}`);
  for (const d of t.dims) if (d < 0n) throw bad(`dimension ${d} is negative`);
  const elements = t.dims.reduce((a, d) => a * d, 1n);
  const shape = `[${t.dims.join(",")}]`;
  if (t.dataType === DataType.STRING) {
    if (!ext && BigInt(t.stringData.length) !== elements) throw bad(`dims ${shape} hold ${elements} strings, its data has ${t.stringData.length}`);
    return;
  }
  const bits = dtypeBits(t.dataType);
  if (bits === 0) throw bad(`data type ${t.dataType} is not an ONNX tensor element type`);
  const bytes = (elements * BigInt(bits) + 7n) / 8n;
  const have = (n: number | bigint, unit: string, need: bigint) => {
    if (BigInt(n) !== need) throw bad(`dims ${shape} need ${need} ${unit} of data, it has ${n}`);
  };
  if (ext) return have(ext.length, "bytes", bytes);
  if (t.rawData.length > 0) return have(t.rawData.length, "bytes", bytes);
  const typed = typedCount(t);
  if (typed) return have(typed.count, "values", elements * BigInt(typed.perElement));
  if (elements > 0n && t.int32Data.length === 0) have(0, "bytes", bytes);
}

/** Parses a tensor's external_data entries; `null` when the tensor is stored inline. */
export function externalLocation(t: TensorProto): ExternalLocation | null {
  if (t.dataLocation !== EXTERNAL) return null;
  const kv = new Map(t.externalData.map((e) => [e.key, e.value]));
  const location = kv.get("location");
  if (!location) throw new ExternalDataError(`tensor '${t.name}': external data has no 'location'`);
  const offset = Number(kv.get("offset") ?? 0);
  const length = kv.has("length") ? Number(kv.get("length")) : byteSize(t.dataType, t.dims.reduce((a, d) => a * Number(d), 1));
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw new ExternalDataError(`tensor '${t.name}': external data offset/length are not valid byte counts`);
  }
  return { location, offset, length };
}

/** Resolves an external-data location, refusing any path that leaves the model's folder. */
export function resolveExternalPath(baseDir: string, tensorName: string, location: string): string {
  const refuse = (why: string) => new ExternalDataError(`tensor '${tensorName}': external data location '${location}' ${why}`);
  if (isAbsolute(location)) throw refuse("is absolute; only paths inside the model's folder are read");
  const base = realpathSync(baseDir);
  const full = resolve(base, location);
  const escapes = (p: string) => { const r = relative(base, p); return r === "" || r.startsWith(`..${sep}`) || r === ".." || isAbsolute(r); };
  if (escapes(full)) throw refuse("points outside the model's folder");
  let real: string;
  try {
    real = realpathSync(full);
  } catch {
    throw refuse(`does not exist (looked for ${full})`);
  }
  if (escapes(real)) throw refuse("resolves (through a link) outside the model's folder");
  const st = statSync(real);
  if (st.isDirectory()) throw refuse("is a folder, not a data file");
  if (!st.isFile()) throw refuse("is not a regular file; only files are read");
  protectInput(real);
  return real;
}

function readRange(file: string, offset: number, length: number, tensorName: string): Uint8Array {
  const fd = openSync(file, "r");
  try {
    const buf = Buffer.allocUnsafe(length);
    const got = readSync(fd, buf, 0, length, offset);
    if (got !== length) throw new ExternalDataError(`tensor '${tensorName}': external file '${file}' ends before offset+length (${offset}+${length})`);
    return new Uint8Array(buf.buffer, buf.byteOffset, length);
  } finally {
    closeSync(fd);
  }
}

/** Packs the typed-field storage of a TensorProto into raw little-endian bytes. */
export function packedBytes(t: TensorProto): Uint8Array {
  if (t.rawData.length > 0) return t.rawData;
  const dt = t.dataType;
  const count = t.dims.reduce((a, d) => a * Number(d), 1);
  const out = new Uint8Array(byteSize(dt, count));
  const view = new DataView(out.buffer);
  switch (dt) {
    case DataType.FLOAT: t.floatData.forEach((v, i) => view.setFloat32(i * 4, v, true)); break;
    case DataType.DOUBLE: t.doubleData.forEach((v, i) => view.setFloat64(i * 8, v, true)); break;
    case DataType.INT64: t.int64Data.forEach((v, i) => view.setBigInt64(i * 8, v, true)); break;
    case DataType.UINT64: t.uint64Data.forEach((v, i) => view.setBigUint64(i * 8, v, true)); break;
    case DataType.UINT32: t.uint64Data.forEach((v, i) => view.setUint32(i * 4, Number(v), true)); break;
    case DataType.INT32: t.int32Data.forEach((v, i) => view.setInt32(i * 4, v, true)); break;
    case DataType.INT16: t.int32Data.forEach((v, i) => view.setInt16(i * 2, v, true)); break;
    case DataType.UINT16: case DataType.FLOAT16: case DataType.BFLOAT16:
      t.int32Data.forEach((v, i) => view.setUint16(i * 2, v, true)); break;
    case DataType.INT8: t.int32Data.forEach((v, i) => view.setInt8(i, v)); break;
    case DataType.UINT8: case DataType.BOOL: t.int32Data.forEach((v, i) => view.setUint8(i, v)); break;
    case DataType.COMPLEX64: t.floatData.forEach((v, i) => view.setFloat32(i * 4, v, true)); break;
    case DataType.COMPLEX128: t.doubleData.forEach((v, i) => view.setFloat64(i * 8, v, true)); break;
    default:
      // 8-bit floats and sub-byte types are stored one element (or packed pair) per int32.
      if (t.int32Data.length > 0) t.int32Data.forEach((v, i) => { if (i < out.length) view.setUint8(i, v & 0xff); });
  }
  return out;
}

/** IR tensor over a TensorProto; external data is checked now and read on first use. */
export function tensorFromProto(t: TensorProto, baseDir: string | undefined): Tensor {
  const ext = externalLocation(t);
  checkTensorData(t, ext);
  const dims = t.dims.map(Number);
  if (t.dataType === DataType.STRING) {
    return new Tensor({ name: t.name, dtype: t.dataType, dims, load: () => new Uint8Array(0), source: t, stringData: t.stringData });
  }
  if (!ext) return new Tensor({ name: t.name, dtype: t.dataType, dims, load: () => packedBytes(t), source: t });
  if (baseDir === undefined) {
    throw new ExternalDataError(`tensor '${t.name}': stored in external file '${ext.location}', but the model was not loaded from a file`);
  }
  const file = resolveExternalPath(baseDir, t.name, ext.location);
  // Checked now (a stat, no read) so a short or wrong file fails at load, not mid-pass.
  const size = statSync(file).size;
  if (ext.offset + ext.length > size) {
    throw new ExternalDataError(`tensor '${t.name}': external data '${ext.location}' is ${size} bytes, too short for offset ${ext.offset} + length ${ext.length}`);
  }
  return new Tensor({
    name: t.name, dtype: t.dataType, dims, source: t, external: ext,
    load: () => readRange(file, ext.offset, ext.length, t.name),
  });
}

/** IR sparse tensor over a SparseTensorProto (its values and indices may be external too). */
export function sparseTensorFromProto(st: SparseTensorProto, baseDir: string | undefined): SparseTensor {
  if (!st.values || !st.indices) throw new ExternalDataError(`sparse tensor '${st.values?.name ?? ""}': missing values or indices`);
  return new SparseTensor(tensorFromProto(st.values, baseDir), tensorFromProto(st.indices, baseDir), st.dims.map(Number), st);
}
