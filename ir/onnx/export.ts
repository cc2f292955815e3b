// IR -> ModelProto. Every element reuses the message it was imported from while it is
// unchanged, so an untouched model re-encodes byte-identically, and new or edited
// elements are built fresh. `fresh: true` ignores every original message and builds the
// whole model from the IR alone (tests use it to prove the IR holds everything that matters).
import { create } from "@bufbuild/protobuf";
import type { Attribute } from "../attribute.ts";
import type { Graph } from "../graph.ts";
import type { Model, ModelFunction } from "../model.ts";
import type { Node } from "../node.ts";
import type { SparseTensor, Tensor } from "../tensor.ts";
import { sameType, type ValueType } from "../types.ts";
import type { Value } from "../value.ts";
import { typeFromProto } from "./import.ts";
import {
  AttributeProtoSchema, FunctionProtoSchema, GraphProtoSchema, ModelProtoSchema, NodeProtoSchema, OperatorSetIdProtoSchema,
  StringStringEntryProtoSchema, TensorProtoSchema, TensorShapeProtoSchema, TensorShapeProto_DimensionSchema, TypeProtoSchema,
  TypeProto_MapSchema, TypeProto_OptionalSchema, TypeProto_SequenceSchema, TypeProto_SparseTensorSchema, TypeProto_TensorSchema,
  SparseTensorProtoSchema, ValueInfoProtoSchema, isMessageOf, rebuild, type SparseTensorProto,
  type AttributeProto, type GraphProto, type OperatorSetIdProto, type ModelProto, type NodeProto, type StringStringEntryProto, type TensorProto,
  type TypeProto, type ValueInfoProto,
} from "./proto.ts";

export interface ExportOptions {
  /** Write node annotations into metadata_props as `sparoa.<key>` (dumps and emitted models). */
  annotationsAsMetadata?: boolean;
  /** Called for every initializer's proto; lets the file writer move data to external files. */
  mapInitializer?: (tensor: Tensor, proto: TensorProto) => TensorProto;
  /**
   * Build every message from the IR, reusing none of the imported ones. Fields the IR does not
   * model (training_info, device configurations, unknown fields, doc strings of tensors and
   * type denotations) are dropped; the graph's meaning is kept.
   */
  fresh?: boolean;
}

export function modelToProto(model: Model, options: ExportOptions = {}): ModelProto {
  const x = new Exporter(options);
  const source = x.original(model.source);
  const src = isMessageOf(ModelProtoSchema, source) ? source : undefined;
  return rebuild(ModelProtoSchema, source, {
    irVersion: BigInt(model.irVersion),
    opsetImport: x.opsets(model.opsetImports, src?.opsetImport),
    producerName: model.producerName,
    producerVersion: model.producerVersion,
    domain: model.domain,
    modelVersion: BigInt(model.modelVersion),
    docString: model.docString,
    graph: x.graph(model.graph),
    metadataProps: x.metadata(model.metadata, src?.metadataProps),
    functions: model.functions.map((f) => x.fn(f)),
  });
}

export function typeToProto(type: ValueType): TypeProto {
  const shapeProto = (shape: ValueType & { shape?: unknown }) => {
    if (!("shape" in shape) || shape.shape === undefined) return undefined;
    return create(TensorShapeProtoSchema, {
      dim: (shape.shape as (number | string | null)[]).map((d) => create(TensorShapeProto_DimensionSchema,
        typeof d === "number" ? { value: { case: "dimValue", value: BigInt(d) } }
          : typeof d === "string" ? { value: { case: "dimParam", value: d } } : {})),
    });
  };
  switch (type.kind) {
    case "tensor": return create(TypeProtoSchema, { value: { case: "tensorType", value: create(TypeProto_TensorSchema, { elemType: type.elemType, shape: shapeProto(type) }) } });
    case "sparse_tensor": return create(TypeProtoSchema, { value: { case: "sparseTensorType", value: create(TypeProto_SparseTensorSchema, { elemType: type.elemType, shape: shapeProto(type) }) } });
    case "sequence": return create(TypeProtoSchema, { value: { case: "sequenceType", value: create(TypeProto_SequenceSchema, { elemType: type.elem && typeToProto(type.elem) }) } });
    case "optional": return create(TypeProtoSchema, { value: { case: "optionalType", value: create(TypeProto_OptionalSchema, { elemType: type.elem && typeToProto(type.elem) }) } });
    case "map": return create(TypeProtoSchema, { value: { case: "mapType", value: create(TypeProto_MapSchema, { keyType: type.keyType, valueType: type.value && typeToProto(type.value) }) } });
    case "unknown": return create(TypeProtoSchema);
  }
}

class Exporter {
  constructor(private readonly options: ExportOptions) {}

  /** The imported message to start from, or nothing when exporting fresh. */
  original(source: unknown): unknown {
    return this.options.fresh ? undefined : source;
  }

  opsets(opsets: Map<string, number>, source: OperatorSetIdProto[] | undefined): OperatorSetIdProto[] {
    return [...opsets].map(([domain, version]) =>
      source?.find((o) => o.domain === domain && o.version === BigInt(version))
        ?? create(OperatorSetIdProtoSchema, { domain, version: BigInt(version) }));
  }

  metadata(map: ReadonlyMap<string, string>, source: StringStringEntryProto[] | undefined): StringStringEntryProto[] {
    // Indexed, not searched per entry: 100,000 metadata_props must not cost 10^10 comparisons.
    const original = new Map<string, StringStringEntryProto>();
    for (const e of source ?? []) {
      const k = `${e.key}\u0000${e.value}`;
      if (!original.has(k)) original.set(k, e);
    }
    return [...map].map(([key, value]) => original.get(`${key}\u0000${value}`) ?? create(StringStringEntryProtoSchema, { key, value }));
  }

  graph(g: Graph): GraphProto {
    const source = this.original(g.source);
    const src = isMessageOf(GraphProtoSchema, source) ? source : undefined;
    const described = new Set<Value>([...g.inputs, ...g.outputs, ...g.initializers.values()]);
    const valueInfo: Value[] = g.valueInfoOrder.filter((v) => v.graph === g);
    const listed = new Set(valueInfo);
    for (const n of g.nodes) {
      for (const v of n.outputs) if (v.type && v.name !== "" && !listed.has(v) && !described.has(v)) valueInfo.push(v);
    }
    return rebuild(GraphProtoSchema, source, {
      node: g.nodes.map((n) => this.node(n)),
      name: g.name,
      initializer: [...g.initializers.values()].map((v) => this.initializer(v)),
      sparseInitializer: g.sparseInitializers.map((v) => this.sparse(v.sparseInitializer!, v.name)),
      docString: g.docString,
      input: g.inputs.map((v) => this.valueInfo(v, v.source)),
      output: g.outputs.map((v) => this.valueInfo(v, g.outputSources.get(v) ?? v.source)),
      valueInfo: valueInfo.map((v) => this.valueInfo(v, v.source)),
      quantizationAnnotation: g.quantizationAnnotations as GraphProto["quantizationAnnotation"],
      metadataProps: this.metadata(g.metadata, src?.metadataProps),
    });
  }

  valueInfo(v: Value, source: unknown): ValueInfoProto {
    const original = this.original(source);
    const src = isMessageOf(ValueInfoProtoSchema, original) && original.name === v.name ? original : undefined;
    const type = src && sameType(typeFromProto(src.type), v.type) ? src.type : v.type && typeToProto(v.type);
    return rebuild(ValueInfoProtoSchema, src, {
      name: v.name, type, docString: v.docString, metadataProps: v.hasMetadata ? this.metadata(v.metadata, src?.metadataProps) : [],
    });
  }

  node(n: Node): NodeProto {
    const source = this.original(n.source);
    const src = isMessageOf(NodeProtoSchema, source) ? source : undefined;
    const metadata = n.hasMetadata ? new Map(n.metadata) : new Map<string, string>();
    if (this.options.annotationsAsMetadata && n.hasAnnotations) {
      for (const [k, a] of n.annotations) metadata.set(`sparoa.${k}`, Array.isArray(a) ? JSON.stringify(a) : String(a));
    }
    return rebuild(NodeProtoSchema, src, {
      input: n.inputs.map((v) => v?.name ?? ""),
      output: n.outputs.map((v) => v.name),
      name: n.name,
      opType: n.opType,
      domain: n.domain,
      overload: n.overload,
      attribute: [...n.attributes.values()].map((a) => this.attribute(a)),
      docString: n.docString,
      metadataProps: this.metadata(metadata, src?.metadataProps),
    });
  }

  initializer(v: Value): TensorProto {
    const proto = this.tensor(v.initializer!, v.name);
    return this.options.mapInitializer ? this.options.mapInitializer(v.initializer!, proto) : proto;
  }

  tensor(t: Tensor, name = t.name): TensorProto {
    const source = this.original(t.source);
    if (isMessageOf(TensorProtoSchema, source)) {
      return source.name === name ? source : rebuild(TensorProtoSchema, source, { name });
    }
    const dims = t.dims.map(BigInt);
    if (t.stringData) return create(TensorProtoSchema, { name, dataType: t.dtype, dims, stringData: t.stringData as Uint8Array<ArrayBuffer>[] });
    return create(TensorProtoSchema, { name, dataType: t.dtype, dims, rawData: t.bytes() as Uint8Array<ArrayBuffer> });
  }

  sparse(s: SparseTensor, name = s.name): SparseTensorProto {
    const source = this.original(s.source);
    if (isMessageOf(SparseTensorProtoSchema, source) && source.values?.name === name) return source;
    return create(SparseTensorProtoSchema, { values: this.tensor(s.values, name), indices: this.tensor(s.indices), dims: s.dims.map(BigInt) });
  }

  attribute(a: Attribute): AttributeProto {
    const source = this.original(a.source);
    const src = isMessageOf(AttributeProtoSchema, source) && source.name === a.name ? source : undefined;
    if (a.kind === "graph") return rebuild(AttributeProtoSchema, src, { name: a.name, type: 5, g: this.graph(a.value) });
    if (a.kind === "graphs") return rebuild(AttributeProtoSchema, src, { name: a.name, type: 10, graphs: a.value.map((g) => this.graph(g)) });
    if (src) return src;
    const base = { name: a.name, docString: a.docString ?? "" };
    const utf8 = (s: string) => new Uint8Array(Buffer.from(s, "utf8")) as Uint8Array<ArrayBuffer>;
    switch (a.kind) {
      case "float": return create(AttributeProtoSchema, { ...base, type: 1, f: a.value });
      case "int": return create(AttributeProtoSchema, { ...base, type: 2, i: a.value });
      case "string": return create(AttributeProtoSchema, { ...base, type: 3, s: utf8(a.value) });
      case "tensor": return create(AttributeProtoSchema, { ...base, type: 4, t: this.tensor(a.value) });
      case "floats": return create(AttributeProtoSchema, { ...base, type: 6, floats: a.value });
      case "ints": return create(AttributeProtoSchema, { ...base, type: 7, ints: a.value });
      case "strings": return create(AttributeProtoSchema, { ...base, type: 8, strings: a.value.map(utf8) });
      case "tensors": return create(AttributeProtoSchema, { ...base, type: 9, tensors: a.value.map((t) => this.tensor(t)) });
      case "type": return create(AttributeProtoSchema, { ...base, type: 13, tp: typeToProto(a.value) });
      case "types": return create(AttributeProtoSchema, { ...base, type: 14, typeProtos: a.value.map(typeToProto) });
      case "sparse_tensor": return create(AttributeProtoSchema, { ...base, type: 11, sparseTensor: this.sparse(a.value) });
      case "sparse_tensors": return create(AttributeProtoSchema, { ...base, type: 12, sparseTensors: a.value.map((t) => this.sparse(t)) });
      case "ref": return create(AttributeProtoSchema, { ...base, type: a.refType, refAttrName: a.value });
      case "opaque": throw new Error(`attribute '${a.name}' of an uninterpreted kind lost its source`);
    }
  }

  fn(f: ModelFunction) {
    const source = this.original(f.source);
    const src = isMessageOf(FunctionProtoSchema, source) ? source : undefined;
    const valueInfo = f.body.valueInfoOrder.filter((v) => v.graph === f.body);
    return rebuild(FunctionProtoSchema, src, {
      name: f.name,
      input: f.body.inputs.map((v) => v.name),
      output: f.body.outputs.map((v) => v.name),
      attribute: f.attributeNames,
      attributeProto: f.attributeDefaults.map((a) => this.attribute(a)),
      node: f.body.nodes.map((n) => this.node(n)),
      docString: f.docString,
      opsetImport: this.opsets(f.opsetImports, src?.opsetImport),
      domain: f.domain,
      overload: f.overload,
      valueInfo: valueInfo.map((v) => this.valueInfo(v, v.source)),
      metadataProps: this.metadata(f.metadata, src?.metadataProps),
    });
  }
}
