// The JSON form of the IR, schema `sparoa.ir.v1` (docs/ir-json.md: every field is documented
// there, and test/ir/json-schema.test.ts keeps the two in sync). Tensors are summarised, never
// inlined; subgraphs nest under the attribute that holds them. Only additive changes keep v1.
import type { Attribute } from "../attribute.ts";
import type { Graph } from "../graph.ts";
import type { Model } from "../model.ts";
import type { Annotation, Node } from "../node.ts";
import type { SparseTensor, Tensor } from "../tensor.ts";
import type { Value } from "../value.ts";
import { dtypeName } from "../dtype.ts";
import { formatType, type Dim } from "../types.ts";

export const IR_JSON_SCHEMA = "sparoa.ir.v1";

/** A number JSON can carry: non-finite floats become "NaN", "Infinity", "-Infinity". */
export type JsonNumber = number | "NaN" | "Infinity" | "-Infinity";
/** An integer: a number within ±(2^53-1), else its decimal string (INT64_MAX stays exact). */
export type JsonInt = number | string;
export type JsonAnnotation = string | boolean | JsonNumber | JsonNumber[];

export interface JsonTensor { dtype: string; dims: number[]; bytes: number; external?: { location: string; offset: number; length: number } }
export interface JsonSparseTensor { dtype: string; dims: number[]; nnz: number }
export interface JsonValue {
  name: string;
  /** The type as the text dump writes it (`f32[1,3,"N",?]`), null when unknown. */
  type: string | null;
  dtype?: string;
  shape?: Dim[];
  annotations?: Record<string, JsonAnnotation>;
  metadata?: Record<string, string>;
}
export type JsonAttribute =
  | JsonNumber | JsonInt | string | JsonNumber[] | JsonInt[] | string[]
  | JsonTensor | JsonTensor[] | JsonSparseTensor | JsonSparseTensor[] | { ref: string } | null;
export interface JsonNode {
  name: string; op: string; domain: string; inputs: (string | null)[]; outputs: string[];
  attributes: Record<string, JsonAttribute>; annotations: Record<string, JsonAnnotation>; metadata: Record<string, string>;
  subgraphs?: Record<string, JsonGraph[]>;
}
export interface JsonGraph {
  name: string; inputs: JsonValue[]; outputs: JsonValue[];
  initializers: Record<string, JsonTensor>; sparseInitializers: Record<string, JsonSparseTensor>;
  nodes: JsonNode[];
  /** Node outputs that have a known type, annotations or metadata, by name. */
  values: Record<string, JsonValue>;
  metadata: Record<string, string>;
}
export interface JsonFunction {
  name: string; domain: string; overload: string; attributes: string[]; opsets: Record<string, number>;
  metadata: Record<string, string>; graph: JsonGraph;
}
export interface JsonModel {
  schema: typeof IR_JSON_SCHEMA; irVersion: number; opsets: Record<string, number>;
  producer: { name: string; version: string }; domain: string; modelVersion: number; docString: string;
  metadata: Record<string, string>; graph: JsonGraph; functions: JsonFunction[];
}

const opsetsToJson = (opsets: ReadonlyMap<string, number>) => Object.fromEntries([...opsets].map(([d, v]) => [d || "ai.onnx", v]));

export function modelToJson(model: Model): JsonModel {
  return {
    schema: IR_JSON_SCHEMA,
    irVersion: model.irVersion,
    opsets: opsetsToJson(model.opsetImports),
    producer: { name: model.producerName, version: model.producerVersion },
    domain: model.domain,
    modelVersion: model.modelVersion,
    docString: model.docString,
    metadata: Object.fromEntries(model.metadata),
    graph: graphToJson(model.graph),
    functions: model.functions.map((f) => ({
      name: f.name, domain: f.domain, overload: f.overload, attributes: [...f.attributeNames, ...f.attributeDefaults.map((a) => a.name)],
      opsets: opsetsToJson(f.opsetImports), metadata: Object.fromEntries(f.metadata), graph: graphToJson(f.body),
    })),
  };
}

function jsonNumber(x: number): JsonNumber {
  if (Number.isFinite(x)) return x;
  return Number.isNaN(x) ? "NaN" : x > 0 ? "Infinity" : "-Infinity";
}

function jsonInt(x: bigint): JsonInt {
  return x <= BigInt(Number.MAX_SAFE_INTEGER) && x >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(x) : x.toString();
}

function annotationToJson(a: Annotation): JsonAnnotation {
  if (typeof a === "number") return jsonNumber(a);
  if (Array.isArray(a)) return a.map(jsonNumber);
  return a as string | boolean;
}

function annotationsToJson(map: ReadonlyMap<string, Annotation>): Record<string, JsonAnnotation> {
  return Object.fromEntries([...map].map(([k, v]) => [k, annotationToJson(v)]));
}

function valueToJson(v: Value): JsonValue {
  const t = v.type;
  const out: JsonValue = { name: v.name, type: t && t.kind !== "unknown" ? formatType(t) : null };
  if (t && (t.kind === "tensor" || t.kind === "sparse_tensor")) {
    out.dtype = dtypeName(t.elemType);
    if (t.shape) out.shape = [...t.shape];
  }
  if (v.hasAnnotations) out.annotations = annotationsToJson(v.annotations);
  if (v.hasMetadata) out.metadata = Object.fromEntries(v.metadata);
  return out;
}

function tensorToJson(t: Tensor): JsonTensor {
  const out: JsonTensor = { dtype: dtypeName(t.dtype), dims: [...t.dims], bytes: t.byteLength };
  if (t.external) out.external = { ...t.external };
  return out;
}

function sparseToJson(t: SparseTensor): JsonSparseTensor {
  return { dtype: dtypeName(t.dtype), dims: [...t.dims], nnz: t.nnz };
}

function attrToJson(a: Attribute): JsonAttribute {
  switch (a.kind) {
    case "float": return jsonNumber(a.value);
    case "floats": return a.value.map(jsonNumber);
    case "int": return jsonInt(a.value);
    case "ints": return a.value.map(jsonInt);
    case "string": return a.value;
    case "strings": return a.value;
    case "tensor": return tensorToJson(a.value);
    case "tensors": return a.value.map(tensorToJson);
    case "sparse_tensor": return sparseToJson(a.value);
    case "sparse_tensors": return a.value.map(sparseToJson);
    case "type": return formatType(a.value);
    case "types": return a.value.map(formatType);
    case "ref": return { ref: a.value };
    case "graph": case "graphs": case "opaque": return null;
  }
}

function nodeToJson(n: Node): JsonNode {
  const out: JsonNode = {
    name: n.name, op: n.opType, domain: n.domain,
    inputs: n.inputs.map((v) => v?.name ?? null), outputs: n.outputs.map((v) => v.name),
    attributes: {}, annotations: n.hasAnnotations ? annotationsToJson(n.annotations) : {}, metadata: n.hasMetadata ? Object.fromEntries(n.metadata) : {},
  };
  for (const a of n.attributes.values()) {
    if (a.kind === "graph") (out.subgraphs ??= {})[a.name] = [graphToJson(a.value)];
    else if (a.kind === "graphs") (out.subgraphs ??= {})[a.name] = a.value.map(graphToJson);
    else out.attributes[a.name] = attrToJson(a);
  }
  return out;
}

export function graphToJson(g: Graph): JsonGraph {
  const values: Record<string, JsonValue> = {};
  for (const n of g.nodes) {
    for (const v of n.outputs) {
      if (v.name !== "" && ((v.type && v.type.kind !== "unknown") || v.hasAnnotations || v.hasMetadata)) values[v.name] = valueToJson(v);
    }
  }
  return {
    name: g.name,
    inputs: g.inputs.map(valueToJson),
    outputs: g.outputs.map(valueToJson),
    initializers: Object.fromEntries([...g.initializers].map(([name, v]) => [name, tensorToJson(v.initializer!)])),
    sparseInitializers: Object.fromEntries(g.sparseInitializers.map((v) => [v.name, sparseToJson(v.sparseInitializer!)])),
    nodes: g.nodes.map(nodeToJson),
    values,
    metadata: Object.fromEntries(g.metadata),
  };
}
