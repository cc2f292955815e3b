// WireTensor <-> ort.Tensor. A wire tensor owns its ArrayBuffer, so it can be transferred
// (moved, not copied) between threads; views onto larger or shared buffers are copied once.
import * as ort from "onnxruntime-node";
import type { WireTensor } from "./messages.ts";

type Numeric = Exclude<ort.Tensor["data"], string[]>;

/** Wraps an ort tensor's data; copies only when the data does not own its whole buffer. */
export function toWire(name: string, tensor: ort.Tensor): WireTensor {
  const data = tensor.data;
  if (!ArrayBuffer.isView(data)) throw new Error(`tensor '${name}': string tensors cannot cross devices here`);
  return { name, type: tensor.type, dims: tensor.dims.map(Number), data: ownedBuffer(data) };
}

export function ownedBuffer(view: ArrayBufferView): ArrayBuffer {
  const buffer = view.buffer;
  if (buffer instanceof ArrayBuffer && view.byteOffset === 0 && view.byteLength === buffer.byteLength) return buffer;
  return new Uint8Array(buffer, view.byteOffset, view.byteLength).slice().buffer;
}

const ARRAYS: Record<string, new (buffer: ArrayBuffer) => Numeric> = {
  float32: Float32Array, float64: Float64Array, float16: Uint16Array, int8: Int8Array, uint8: Uint8Array,
  bool: Uint8Array, int16: Int16Array, uint16: Uint16Array, int32: Int32Array, uint32: Uint32Array,
  int64: BigInt64Array, uint64: BigUint64Array,
};

export function fromWire(w: WireTensor): ort.Tensor {
  const Array = ARRAYS[w.type];
  if (!Array) throw new Error(`tensor '${w.name}': onnxruntime type ${w.type} is not supported here`);
  return new ort.Tensor(w.type as ort.Tensor.Type, new Array(w.data) as never, w.dims);
}

/** A second wire tensor with its own copy of the bytes (for values more than one partition reads). */
export function copyWire(w: WireTensor): WireTensor {
  return { name: w.name, type: w.type, dims: [...w.dims], data: w.data.slice(0) };
}

export function wireBytes(w: WireTensor): number {
  return w.data.byteLength;
}
