// Types for wire.mjs (plain JS so device workers start without a TypeScript loader).
import type * as ort from "onnxruntime-node";
import type { WireTensor } from "./messages.ts";

/** The view's buffer when the view covers all of it and it is not shared, else a copy. */
export function ownedBuffer(view: ArrayBufferView): ArrayBuffer;
/** Wraps an ort tensor's data; copies only when the data does not own its whole buffer. */
export function toWire(name: string, tensor: ort.Tensor): WireTensor;
export function fromWire(w: WireTensor): ort.Tensor;
/** A second wire tensor with its own copy of the bytes (for values more than one partition reads). */
export function copyWire(w: WireTensor): WireTensor;
export function wireBytes(w: WireTensor): number;
/** Milliseconds since the epoch with sub-millisecond resolution, comparable between threads. */
export function nowMs(): number;
