// Serialized TensorProto files (`input_0.pb`, `output_0.pb` of the ONNX test corpus).
import { readRegularFile } from "../read-file.ts";
import { ModelFileError } from "./file.ts";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { TensorProtoSchema } from "./proto.ts";
import { tensorFromProto } from "./tensor-data.ts";
import type { Tensor } from "../tensor.ts";

export function readTensorFile(path: string): Tensor {
  let proto;
  try {
    proto = fromBinary(TensorProtoSchema, readRegularFile(path, 2 ** 31, "tensor file"));
  } catch (e) {
    throw new ModelFileError(`${path}: not a serialized TensorProto (${(e as Error).message})`);
  }
  return tensorFromProto(proto, undefined);
}

export function tensorFileBytes(tensor: Tensor): Uint8Array {
  return toBinary(TensorProtoSchema, create(TensorProtoSchema, {
    name: tensor.name, dataType: tensor.dtype, dims: tensor.dims.map(BigInt), rawData: tensor.bytes() as Uint8Array<ArrayBuffer>,
  }));
}
