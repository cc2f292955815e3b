// The JSON form of the IR, schema `sparoa.ir.v1` (docs/ir-json.md). Tensors are summarised,
// never inlined; subgraphs nest under the attribute that holds them.
import type { Attribute } from "../attribute.ts";
import type { Graph } from "../graph.ts";
import type { Model } from "../model.ts";
import type { Node } from "../node.ts";
import type { SparseTensor, Tensor } from "../tensor.ts";
import type { Value } from "../value.ts";
import { dtypeName } from "../dtype.ts";
import { formatType, type ValueType } from "../types.ts";
import type { Annotation } from "../node.ts";

export const IR_JSON_SCHEMA = "sparoa.ir.v1";

export interface JsonTensor { dtype: string; dims: number[]; bytes: number; external?: string }
export interface JsonValue { name: string; type: string | null; shape?: (number | string | null)[]; dtype?: string }
export interface JsonNode {
  name: string; op: string; domain: string; inputs: (string | null)[]; outputs: string[];
  attributes: Record<string, unknown>; annotations: Record<string, Annotation>; metadata: Record<string, string>;
  subgraphs?: Record<string, JsonGraph[]>;
}
export interface JsonGraph {
  name: string; inputs: JsonValue[]; outputs: JsonValue[];
  initializers: Record<string, JsonTensor>; nodes: JsonNode[];
}
export interface JsonModel {
  schema: typeof IR_JSON_SCHEMA; irVersion: number; opsets: Record<string, number>;
  producer: { name: string; version: string }; metadata: Record<string, string>;
  graph: JsonGraph; functions: { name: string; domain: string; graph: JsonGraph }[];
}

export function modelToJson(model: Model): JsonModel {
  return {
    schema: IR_JSON_SCHEMA,
    irVersion: model.irVersion,
    opsets: Object.fromEntries([...model.opsetImports].map(([d, v]) => [d || "ai.onnx", v])),
    producer: { name: model.producerName, version: model.producerVersion },
    metadata: Object.fromEntries(model.metadata),
    graph: graphToJson(model.graph),
    functions: model.functions.map((f) => ({ name: f.name, domain: f.domain, graph: graphToJson(f.body) })),
  };
}

function valueToJson(v: Value): JsonValue {
  const t: ValueType | undefined = v.type;
  const out: JsonValue = { name: v.name, type: t ? formatType(t) : null };
  if (t && (t.kind === "tensor" || t.kind === "sparse_tensor")) {
    out.dtype = dtypeName(t.elemType);
    if (t.shape) out.shape = [...t.shape];
  }
  return out;
}

function tensorToJson(t: Tensor): JsonTensor {
  const out: JsonTensor = { dtype: dtypeName(t.dtype), dims: [...t.dims], bytes: t.byteLength };
  if (t.external) out.external = t.external.location;
  return out;
}

function sparseToJson(t: SparseTensor): { dtype: string; dims: number[]; nnz: number } {
  return { dtype: dtypeName(t.dtype), dims: [...t.dims], nnz: t.nnz };
}

function attrToJson(a: Attribute): unknown {
  switch (a.kind) {
    case "int": return Number(a.value);
    case "ints": return a.value.map(Number);
    case "tensor": return tensorToJson(a.value);
    case "tensors": return a.value.map(tensorToJson);
    case "type": return formatType(a.value);
    case "types": return a.value.map(formatType);
    case "sparse_tensor": return sparseToJson(a.value);
    case "sparse_tensors": return a.value.map(sparseToJson);
    case "ref": return { ref: a.value };
    case "graph": case "graphs": case "opaque": return null;
    default: return a.value;
  }
}

function nodeToJson(n: Node): JsonNode {
  const out: JsonNode = {
    name: n.name, op: n.opType, domain: n.domain,
    inputs: n.inputs.map((v) => v?.name ?? null), outputs: n.outputs.map((v) => v.name),
    attributes: {}, annotations: n.hasAnnotations ? Object.fromEntries(n.annotations) : {}, metadata: n.hasMetadata ? Object.fromEntries(n.metadata) : {},
  };
  for (const a of n.attributes.values()) {
    if (a.kind === "graph") (out.subgraphs ??= {})[a.name] = [graphToJson(a.value)];
    else if (a.kind === "graphs") (out.subgraphs ??= {})[a.name] = a.value.map(graphToJson);
    else out.attributes[a.name] = attrToJson(a);
  }
  return out;
}

export function graphToJson(g: Graph): JsonGraph {
  return {
    name: g.name,
    inputs: g.inputs.map(valueToJson),
    outputs: g.outputs.map(valueToJson),
    initializers: Object.fromEntries([...g.initializers].map(([name, v]) => [name, tensorToJson(v.initializer!)])),
    nodes: g.nodes.map(nodeToJson),
  };
}
