// TensorProto <-> packed little-endian bytes, and external data read under the model's folder only.
import { closeSync, openSync, readSync, realpathSync, statSync } from "node:fs";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { DataType, byteSize } from "../dtype.ts";
import { SparseTensor, Tensor, type ExternalLocation } from "../tensor.ts";
import type { SparseTensorProto, TensorProto } from "./proto.ts";

const EXTERNAL = 1;

export class ExternalDataError extends Error {}

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
  const dims = t.dims.map(Number);
  const ext = externalLocation(t);
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
