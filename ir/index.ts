// The IR's public surface: import from here.
export * from "./dtype.ts";
export * from "./types.ts";
export * from "./tensor.ts";
export * from "./attribute.ts";
export * from "./value.ts";
export * from "./node.ts";
export * from "./graph.ts";
export * from "./model.ts";
export * from "./topo.ts";
export * from "./verify.ts";
export * from "./builder.ts";
export { loadModel, saveModel, modelBytes, ModelFileError, PROTOBUF_LIMIT, type SaveOptions, type SaveResult } from "./onnx/file.ts";
export { modelFromProto } from "./onnx/import.ts";
export { modelToProto, typeToProto, type ExportOptions } from "./onnx/export.ts";
export { decodeModel, encodeModel } from "./onnx/proto.ts";
