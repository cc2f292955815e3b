// IR tensors <-> onnxruntime tensors, and the element-type names between them. Data is copied
// into a fresh, aligned, non-shared ArrayBuffer: onnxruntime-node rejects SharedArrayBuffer-backed
// tensors (field notes). `compareTensors` is the allclose every oracle comparison uses.
import * as ort from "onnxruntime-node";
import { DataType, dtypeName } from "../ir/dtype.ts";
import { Tensor } from "../ir/tensor.ts";
import { fromWire } from "./wire.mjs";

const TO_ORT: Partial<Record<DataType, ort.Tensor.Type>> = {
  [DataType.FLOAT]: "float32", [DataType.DOUBLE]: "float64", [DataType.FLOAT16]: "float16", [DataType.INT8]: "int8",
  [DataType.UINT8]: "uint8", [DataType.INT16]: "int16", [DataType.UINT16]: "uint16", [DataType.INT32]: "int32",
  [DataType.UINT32]: "uint32", [DataType.INT64]: "int64", [DataType.UINT64]: "uint64", [DataType.BOOL]: "bool",
  [DataType.STRING]: "string",
};

export function ortTypeOf(dtype: number): ort.Tensor.Type {
  const t = TO_ORT[dtype as DataType];
  if (!t) throw new Error(`element type ${dtypeName(dtype)} has no onnxruntime tensor type`);
  return t;
}

export function dtypeOfOrt(type: string): DataType {
  const found = Object.entries(TO_ORT).find(([, t]) => t === type);
  if (!found) throw new Error(`onnxruntime tensor type '${type}' has no ONNX element type here`);
  return Number(found[0]);
}

export function toOrtTensor(t: Tensor): ort.Tensor {
  const type = ortTypeOf(t.dtype);
  const dims = [...t.dims];
  if (type === "string") return new ort.Tensor("string", t.toStrings(), dims);
  const bytes = new Uint8Array(t.bytes()); // a copy with its own buffer (bytes() may view a pooled Buffer)
  return fromWire({ name: t.name, type, dims, data: bytes.buffer });
}

/** A float32 tensor over `data` itself (no copy): generated inputs that need no IR tensor first. */
export function float32Tensor(data: Float32Array, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor("float32", data, dims);
}

export function fromOrtTensor(name: string, t: ort.Tensor): Tensor {
  const data = t.data;
  if (t.type === "string") return Tensor.fromStrings(name, t.dims.map(Number), data as string[]);
  if (!ArrayBuffer.isView(data)) throw new Error(`output '${name}': ${t.type} tensors are not supported here`);
  const bytes = new Uint8Array(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return Tensor.fromBytes(name, dtypeOfOrt(t.type), t.dims.map(Number), bytes);
}

export interface Mismatch { index: number; actual: number; expected: number }

/**
 * How much `atol` shrinks for an output whose largest magnitude is `peak`: by the peak when it
 * is below 1, to at most 100x tighter. An absolute tolerance is a floor for rounding noise, and
 * rounding noise scales with the values: a fixed atol of 1e-5 cannot see a 1% error in a softmax
 * whose probabilities are all about 1e-3 (measured: a 1% change of Inception v1's classifier
 * weights moved them by 5e-6 and passed), while a 100x tighter floor still sits far above fp32
 * rounding (about 1e-7 of the values).
 */
export function atolScale(peak: number): number {
  return Number.isFinite(peak) ? Math.min(1, Math.max(0.01, peak)) : 1;
}

/**
 * Largest absolute and relative errors between two tensors, and whether they pass `allclose`
 * with `atol` scaled to the expected tensor's peak magnitude (see `atolScale`); `atol` in the
 * result is the absolute tolerance actually applied.
 */
export function compareTensors(actual: Tensor, expected: Tensor, rtol = 1e-3, atol = 1e-7): { ok: boolean; maxAbs: number; maxRel: number; atol?: number; first?: Mismatch; reason?: string } {
  if (actual.dtype !== expected.dtype) return { ok: false, maxAbs: Infinity, maxRel: Infinity, reason: `dtype ${dtypeName(actual.dtype)} vs ${dtypeName(expected.dtype)}` };
  if (actual.dims.join("x") !== expected.dims.join("x")) return { ok: false, maxAbs: Infinity, maxRel: Infinity, reason: `shape [${actual.dims}] vs [${expected.dims}]` };
  if (actual.dtype === DataType.STRING) {
    const [a, e] = [actual.toStrings(), expected.toStrings()];
    const index = a.findIndex((s, i) => s !== e[i]);
    return index < 0 ? { ok: true, maxAbs: 0, maxRel: 0 } : { ok: false, maxAbs: Infinity, maxRel: Infinity, reason: `string ${index}: '${a[index]}' vs '${e[index]}'` };
  }
  const a = actual.toArray();
  const e = expected.toArray();
  let peak = 0;
  for (let i = 0; i < e.length; i++) {
    const y = Math.abs(Number(e[i]!));
    if (y > peak && Number.isFinite(y)) peak = y;
  }
  atol *= atolScale(peak);
  let maxAbs = 0;
  let maxRel = 0;
  let first: Mismatch | undefined;
  for (let i = 0; i < a.length; i++) {
    const x = Number(a[i]!);
    const y = Number(e[i]!);
    if (Number.isNaN(x) && Number.isNaN(y)) continue;
    if (x === y) continue;
    const abs = Math.abs(x - y);
    const rel = abs / Math.max(Math.abs(y), Number.MIN_VALUE);
    if (!(abs <= atol + rtol * Math.abs(y)) && !first) first = { index: i, actual: x, expected: y };
    if (abs > maxAbs || Number.isNaN(abs)) maxAbs = Number.isNaN(abs) ? Infinity : abs;
    if (rel > maxRel) maxRel = rel;
  }
  return { ok: first === undefined, maxAbs, maxRel, atol, first };
}
