// One weights file per package (partitions/weights.bin): every initializer of at least
// EXTERNAL_THRESHOLD bytes is written there once, and the partition models and the annotated
// model refer to it as ONNX external data. Weights are then neither duplicated across
// partitions nor re-encoded through protobuf (encoding a 100 MB model twice was most of
// optimize's time), and packages of models past protobuf's 2 GB limit still work.
import { create } from "@bufbuild/protobuf";
import type { Tensor } from "../../ir/tensor.ts";
import { StringStringEntryProtoSchema, TensorProtoSchema, rebuild, type TensorProto } from "../../ir/onnx/proto.ts";

export const WEIGHTS_FILE = "weights.bin";
/** Initializers smaller than this stay inside the models. */
export const EXTERNAL_THRESHOLD = 1024;

interface Placed { offset: number; length: number }

export class WeightsFile {
  /** The file's bytes as a list of chunks (views of the model's data, and zero padding). */
  readonly chunks: Uint8Array[] = [];
  private size = 0;
  private readonly placed = new Map<string, Placed>();

  /** Adds a tensor's bytes (once per name); small tensors are left inline (returns undefined). */
  add(name: string, tensor: Tensor): Placed | undefined {
    const known = this.placed.get(name);
    if (known) return known;
    if (tensor.byteLength < EXTERNAL_THRESHOLD) return undefined;
    const bytes = tensor.bytes();
    // Large tensors page-aligned so a runtime can map them; small ones on 64 bytes.
    const align = bytes.length >= 65536 ? 4096 : 64;
    const offset = Math.ceil(this.size / align) * align;
    if (offset > this.size) this.chunks.push(new Uint8Array(offset - this.size));
    this.chunks.push(bytes);
    this.size = offset + bytes.length;
    const at = { offset, length: bytes.length };
    this.placed.set(name, at);
    return at;
  }

  get byteLength(): number {
    return this.size;
  }
}

/** `proto` with its data moved to `location` (relative to the model that holds it). */
export function externalTensorProto(proto: TensorProto, location: string, at: Placed): TensorProto {
  const entry = (key: string, value: string) => create(StringStringEntryProtoSchema, { key, value });
  return rebuild(TensorProtoSchema, proto, {
    rawData: new Uint8Array(0), floatData: [], int32Data: [], int64Data: [], doubleData: [], uint64Data: [], stringData: [],
    dataLocation: 1,
    externalData: [entry("location", location), entry("offset", String(at.offset)), entry("length", String(at.length))],
  });
}
