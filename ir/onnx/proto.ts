// The ONNX protobuf layer: the official IR 13 schema (onnx-buf, generated for @bufbuild/protobuf).
// Decoding keeps unknown fields and gives bytes fields as views onto the input buffer.
import { create, fromBinary, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { ModelProtoSchema, type ModelProto } from "onnx-buf";

export * from "onnx-buf";

export function decodeModel(bytes: Uint8Array): ModelProto {
  return fromBinary(ModelProtoSchema, bytes);
}

export function encodeModel(model: ModelProto): Uint8Array {
  return toBinary(ModelProtoSchema, model);
}

/**
 * A message built from `source` (when there is one) with `fields` written over it. A scalar
 * is only marked present when the source had it or it differs from the default, which is
 * what keeps re-encoding an unchanged model byte-identical. Unknown fields come along.
 */
export function rebuild<D extends DescMessage>(schema: D, source: unknown, fields: Partial<MessageShape<D>>): MessageShape<D> {
  const msg = create(schema) as unknown as Record<string, unknown>;
  const src = isMessageOf(schema, source) ? (source as unknown as Record<string, unknown>) : undefined;
  if (src) for (const key of Object.keys(src)) msg[key] = src[key];
  const defaults = Object.getPrototypeOf(msg) as Record<string, unknown>;
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (Object.hasOwn(msg, key) || !Object.is(value, defaults[key])) msg[key] = value;
  }
  return msg as unknown as MessageShape<D>;
}

export function isMessageOf<D extends DescMessage>(schema: D, value: unknown): value is MessageShape<D> {
  return typeof value === "object" && value !== null && (value as { $typeName?: string }).$typeName === schema.typeName;
}
