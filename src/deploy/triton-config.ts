// Triton model configurations as sparoa writes them: the fields of
// src/deploy/triton-model-config.proto as TypeScript types, ONNX element types as Triton's
// DataType names, and a writer for protobuf text format in the layout Triton's documentation
// uses (`dims: [ -1, 3 ]`, one block per input). What the writer produces is checked with
// protobufjs's own text-format parser against the schema (triton-schema.ts), so the two cannot
// drift apart silently.
import { DataType } from "../../ir/dtype.ts";

export type TritonDataType =
  | "TYPE_BOOL" | "TYPE_UINT8" | "TYPE_UINT16" | "TYPE_UINT32" | "TYPE_UINT64" | "TYPE_INT8" | "TYPE_INT16"
  | "TYPE_INT32" | "TYPE_INT64" | "TYPE_FP16" | "TYPE_FP32" | "TYPE_FP64" | "TYPE_STRING" | "TYPE_BF16";

const FROM_ONNX: Partial<Record<DataType, TritonDataType>> = {
  [DataType.BOOL]: "TYPE_BOOL", [DataType.UINT8]: "TYPE_UINT8", [DataType.UINT16]: "TYPE_UINT16", [DataType.UINT32]: "TYPE_UINT32",
  [DataType.UINT64]: "TYPE_UINT64", [DataType.INT8]: "TYPE_INT8", [DataType.INT16]: "TYPE_INT16", [DataType.INT32]: "TYPE_INT32",
  [DataType.INT64]: "TYPE_INT64", [DataType.FLOAT16]: "TYPE_FP16", [DataType.FLOAT]: "TYPE_FP32", [DataType.DOUBLE]: "TYPE_FP64",
  [DataType.STRING]: "TYPE_STRING", [DataType.BFLOAT16]: "TYPE_BF16",
};

/** Triton's name for an ONNX element type, or undefined when Triton has none (complex, 4-bit, float8). */
export function tritonDataType(dtype: number): TritonDataType | undefined {
  return FROM_ONNX[dtype as DataType];
}

export interface TritonTensor {
  name: string;
  data_type: TritonDataType;
  /** Without the batch dimension when max_batch_size > 0; -1 for a variable size. */
  dims: number[];
  /** The shape the model itself takes, when it differs from dims (rank-0 tensors: dims [1], reshape []). */
  reshape?: number[];
}

export interface TritonInstanceGroup { kind: "KIND_CPU" | "KIND_GPU"; count: number; gpus?: number[] }

export interface TritonStep { model_name: string; model_version: number; input_map: [string, string][]; output_map: [string, string][] }

export interface TritonModelConfig {
  name: string;
  platform: "onnxruntime_onnx" | "ensemble";
  max_batch_size: number;
  input: TritonTensor[];
  output: TritonTensor[];
  instance_group?: TritonInstanceGroup[];
  /** Backend parameters (string values), e.g. intra_op_thread_count. */
  parameters?: [string, string][];
  ensemble_scheduling?: { step: TritonStep[] };
}

const quote = (s: string) => JSON.stringify(s); // protobuf text strings take the same escapes for what names hold

function tensorText(t: TritonTensor, indent: string): string {
  const lines = [`name: ${quote(t.name)}`, `data_type: ${t.data_type}`, `dims: [ ${t.dims.join(", ")} ]`];
  if (t.reshape) lines.push(`reshape: { shape: [ ${t.reshape.join(", ")} ] }`);
  return `${indent}{\n${lines.map((l) => `${indent}  ${l}`).join("\n")}\n${indent}}`;
}

const list = (items: string[]) => `[\n${items.join(",\n")}\n]`;

/** The config as protobuf text format (config.pbtxt). */
export function configText(c: TritonModelConfig): string {
  const out = [`name: ${quote(c.name)}`, `platform: ${quote(c.platform)}`, `max_batch_size: ${c.max_batch_size}`];
  out.push(`input ${list(c.input.map((t) => tensorText(t, "  ")))}`);
  out.push(`output ${list(c.output.map((t) => tensorText(t, "  ")))}`);
  if (c.instance_group) {
    out.push(`instance_group ${list(c.instance_group.map((g) => `  {\n    kind: ${g.kind}\n    count: ${g.count}${g.gpus ? `\n    gpus: [ ${g.gpus.join(", ")} ]` : ""}\n  }`))}`);
  }
  for (const [key, value] of c.parameters ?? []) out.push(`parameters {\n  key: ${quote(key)}\n  value: { string_value: ${quote(value)} }\n}`);
  if (c.ensemble_scheduling) {
    const steps = c.ensemble_scheduling.step.map((s) => {
      const maps = (field: string, pairs: [string, string][]) => pairs.map(([k, v]) => `      ${field} { key: ${quote(k)} value: ${quote(v)} }`);
      return [`    {`, `      model_name: ${quote(s.model_name)}`, `      model_version: ${s.model_version}`, ...maps("input_map", s.input_map), ...maps("output_map", s.output_map), `    }`].join("\n");
    });
    out.push(`ensemble_scheduling {\n  step [\n${steps.join(",\n")}\n  ]\n}`);
  }
  return out.join("\n") + "\n";
}
