// @ts-check
// Wire tensors <-> onnxruntime tensors, shared by the main thread and the processor workers
// (checked JavaScript, so a worker starts without a TypeScript loader: tsx costs 0.5-1 s per
// worker). A wire tensor owns its ArrayBuffer, so it can be transferred (moved, not copied)
// between threads; views onto larger or shared buffers are copied once.
import * as ort from "onnxruntime-node";

/**
 * A tensor in flight: onnxruntime type name, dims, and the bytes it owns outright.
 * @typedef {{ name: string, type: string, dims: number[], data: ArrayBuffer }} WireTensor
 */

/** @type {Record<string, new (buffer: ArrayBuffer) => ArrayBufferView>} */
const ARRAYS = {
  float32: Float32Array, float64: Float64Array, float16: Uint16Array, int8: Int8Array, uint8: Uint8Array,
  bool: Uint8Array, int16: Int16Array, uint16: Uint16Array, int32: Int32Array, uint32: Uint32Array,
  int64: BigInt64Array, uint64: BigUint64Array,
};

/**
 * The view's buffer when the view covers all of it and it is not shared, else a copy.
 * @param {ArrayBufferView} view
 * @returns {ArrayBuffer}
 */
export function ownedBuffer(view) {
  const buffer = view.buffer;
  if (buffer instanceof ArrayBuffer && view.byteOffset === 0 && view.byteLength === buffer.byteLength) return buffer;
  return new Uint8Array(buffer, view.byteOffset, view.byteLength).slice().buffer;
}

/**
 * Wraps an ort tensor's data; copies only when the data does not own its whole buffer.
 * @param {string} name
 * @param {ort.Tensor} tensor
 * @returns {WireTensor}
 */
export function toWire(name, tensor) {
  const data = tensor.data;
  if (!ArrayBuffer.isView(data)) throw new Error(`tensor '${name}': string tensors cannot cross processors here`);
  return { name, type: tensor.type, dims: tensor.dims.map(Number), data: ownedBuffer(data) };
}

/**
 * @param {WireTensor} w
 * @returns {ort.Tensor}
 */
export function fromWire(w) {
  const View = ARRAYS[w.type];
  if (!View) throw new Error(`tensor '${w.name}': onnxruntime type ${w.type} is not supported here`);
  // The table pairs each type with its array, which the constructor's overloads cannot see.
  return new ort.Tensor(/** @type {"float32"} */ (w.type), /** @type {Float32Array} */ (new View(w.data)), w.dims);
}

/**
 * A second wire tensor with its own copy of the bytes (for values more than one partition reads).
 * @param {WireTensor} w
 * @returns {WireTensor}
 */
export function copyWire(w) {
  return { name: w.name, type: w.type, dims: [...w.dims], data: w.data.slice(0) };
}

/** @param {WireTensor} w */
export function wireBytes(w) {
  return w.data.byteLength;
}
