// WireTensor <-> ort.Tensor, shared by the main thread and the device workers (plain JS so a
// worker starts without a TypeScript loader: tsx costs 0.5-1 s per worker; types: wire.d.mts).
// A wire tensor owns its ArrayBuffer, so it can be transferred (moved, not copied) between
// threads; views onto larger or shared buffers are copied once.
import * as ort from "onnxruntime-node";

const ARRAYS = {
  float32: Float32Array, float64: Float64Array, float16: Uint16Array, int8: Int8Array, uint8: Uint8Array,
  bool: Uint8Array, int16: Int16Array, uint16: Uint16Array, int32: Int32Array, uint32: Uint32Array,
  int64: BigInt64Array, uint64: BigUint64Array,
};

export function ownedBuffer(view) {
  const buffer = view.buffer;
  if (buffer instanceof ArrayBuffer && view.byteOffset === 0 && view.byteLength === buffer.byteLength) return buffer;
  return new Uint8Array(buffer, view.byteOffset, view.byteLength).slice().buffer;
}

export function toWire(name, tensor) {
  const data = tensor.data;
  if (!ArrayBuffer.isView(data)) throw new Error(`tensor '${name}': string tensors cannot cross devices here`);
  return { name, type: tensor.type, dims: tensor.dims.map(Number), data: ownedBuffer(data) };
}

export function fromWire(w) {
  const View = ARRAYS[w.type];
  if (!View) throw new Error(`tensor '${w.name}': onnxruntime type ${w.type} is not supported here`);
  return new ort.Tensor(w.type, new View(w.data), w.dims);
}

export function copyWire(w) {
  return { name: w.name, type: w.type, dims: [...w.dims], data: w.data.slice(0) };
}

export function wireBytes(w) {
  return w.data.byteLength;
}

/** Milliseconds since the epoch with sub-millisecond resolution, comparable between threads. */
export function nowMs() {
  return performance.timeOrigin + performance.now();
}
