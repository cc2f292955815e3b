// ModelProto -> IR. Two phases per graph (create every node's outputs, then wire inputs) so
// unsorted models and subgraphs that read later outer values import too; undefined names
// become free values that the verifier reports instead of import failing.
import { Graph } from "../graph.ts";
import { Model, type ModelFunction } from "../model.ts";
import { Node } from "../node.ts";
import { Value } from "../value.ts";
import type { Attribute } from "../attribute.ts";
import type { Dim, ValueType } from "../types.ts";
import type {
  AttributeProto, FunctionProto, GraphProto, ModelProto, NodeProto, TensorShapeProto, TypeProto, ValueInfoProto,
} from "./proto.ts";
import { sparseTensorFromProto, tensorFromProto } from "./tensor-data.ts";

/** Name lookup through enclosing graphs. */
class Scope {
  readonly names = new Map<string, Value>();
  constructor(readonly graph: Graph, readonly parent: Scope | null) {}
  lookup(name: string): Value | undefined {
    for (let s: Scope | null = this; s; s = s.parent) {
      const v = s.names.get(name);
      if (v) return v;
    }
    return undefined;
  }
  define(v: Value): void {
    if (v.name !== "") this.names.set(v.name, v);
  }
}

/** `nextOrigin`: the next Node.origin, counted over the whole model. */
interface ImportContext { baseDir: string | undefined; nextOrigin: number }

export function modelFromProto(proto: ModelProto, options: { path?: string; baseDir?: string } = {}): Model {
  const ctx: ImportContext = { baseDir: options.baseDir, nextOrigin: 0 };
  const graph = proto.graph ? importGraph(proto.graph, null, ctx) : new Graph("");
  const model = new Model(graph, { irVersion: Number(proto.irVersion), opsets: {} });
  for (const op of proto.opsetImport) model.opsetImports.set(op.domain, Number(op.version));
  model.producerName = proto.producerName;
  model.producerVersion = proto.producerVersion;
  model.domain = proto.domain;
  model.modelVersion = Number(proto.modelVersion);
  model.docString = proto.docString;
  for (const e of proto.metadataProps) model.metadata.set(e.key, e.value);
  for (const f of proto.functions) model.functions.push(importFunction(f, ctx));
  model.path = options.path;
  model.source = proto;
  return model;
}

export function typeFromProto(tp: TypeProto | undefined): ValueType | undefined {
  if (!tp) return undefined;
  const v = tp.value;
  switch (v.case) {
    case "tensorType": return withShape({ kind: "tensor", elemType: v.value.elemType }, v.value.shape);
    case "sparseTensorType": return withShape({ kind: "sparse_tensor", elemType: v.value.elemType }, v.value.shape);
    case "sequenceType": return { kind: "sequence", elem: typeFromProto(v.value.elemType) };
    case "optionalType": return { kind: "optional", elem: typeFromProto(v.value.elemType) };
    case "mapType": return { kind: "map", keyType: v.value.keyType, value: typeFromProto(v.value.valueType) };
    default: return { kind: "unknown" };
  }
}

function withShape<T extends { kind: "tensor" | "sparse_tensor"; elemType: number }>(t: T, shape: TensorShapeProto | undefined): T & { shape?: Dim[] } {
  if (!shape) return t;
  const dims: Dim[] = shape.dim.map((d) =>
    d.value.case === "dimValue" ? Number(d.value.value) : d.value.case === "dimParam" ? d.value.value : null);
  return { ...t, shape: dims };
}

function applyValueInfo(v: Value, info: ValueInfoProto): void {
  v.type = typeFromProto(info.type);
  v.docString = info.docString;
  for (const e of info.metadataProps) v.metadata.set(e.key, e.value);
  v.source ??= info;
}

/** Phase 1 creates every node and the values it defines; phase 2 wires inputs and attributes. */
function importNodes(protos: NodeProto[], graph: Graph, scope: Scope, ctx: ImportContext): void {
  const pairs: [Node, NodeProto][] = protos.map((np) => {
    const node = new Node(np.opType, [], np.output.map((name) => new Value(name)), { domain: np.domain, name: np.name });
    node.origin = ctx.nextOrigin++;
    graph.appendNode(node);
    node.outputs.forEach((v) => scope.define(v));
    return [node, np];
  });
  for (const [node, np] of pairs) {
    node.setInputs(np.input.map((name) => (name === "" ? null : resolveName(scope, name))));
    for (const ap of np.attribute) node.setAttr(importAttribute(ap, scope, ctx));
    for (const sub of node.subgraphs()) sub.parent = node;
    node.overload = np.overload;
    node.docString = np.docString;
    for (const e of np.metadataProps) node.metadata.set(e.key, e.value);
    node.source = np;
  }
}

function importGraph(gp: GraphProto, outer: Scope | null, ctx: ImportContext): Graph {
  const graph = new Graph(gp.name);
  graph.docString = gp.docString;
  graph.source = gp;
  graph.quantizationAnnotations = [...gp.quantizationAnnotation];
  for (const e of gp.metadataProps) graph.metadata.set(e.key, e.value);
  const scope = new Scope(graph, outer);

  for (const info of gp.input) {
    const v = graph.addInput(new Value(info.name));
    applyValueInfo(v, info);
    scope.define(v);
  }
  for (const t of gp.initializer) {
    const existing = scope.names.get(t.name);
    const isInput = existing !== undefined && graph.inputs.includes(existing);
    const v = graph.addInitializer(tensorFromProto(t, ctx.baseDir), isInput ? existing : undefined);
    scope.define(v);
  }
  for (const st of gp.sparseInitializer) {
    const sparse = sparseTensorFromProto(st, ctx.baseDir);
    const v = new Value(sparse.name, { kind: "tensor", elemType: sparse.dtype, shape: [...sparse.dims] });
    v.sparseInitializer = sparse;
    v.graph = graph;
    graph.sparseInitializers.push(v);
    scope.define(v);
  }
  importNodes(gp.node, graph, scope, ctx);
  for (const info of gp.valueInfo) {
    const v = scope.names.get(info.name);
    if (!v) continue; // value_info for a name this graph never defines: dropped (it describes nothing)
    applyValueInfo(v, info);
    graph.valueInfoOrder.push(v);
  }
  for (const info of gp.output) {
    const v = resolveName(scope, info.name);
    if (v.source === undefined && v.graph === graph) applyValueInfo(v, info);
    graph.outputs.push(v);
    graph.outputSources.set(v, info);
  }
  return graph;
}

/** A name no scope defines becomes a free value (graph null) that the verifier will report. */
function resolveName(scope: Scope, name: string): Value {
  const found = scope.lookup(name);
  if (found) return found;
  const free = new Value(name);
  scope.names.set(name, free);
  return free;
}

function decodeUtf8(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("utf8");
}

const ATTR = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8, TENSORS: 9, GRAPHS: 10, SPARSE_TENSOR: 11, SPARSE_TENSORS: 12, TYPE_PROTO: 13, TYPE_PROTOS: 14 } as const;

function importAttribute(ap: AttributeProto, scope: Scope, ctx: ImportContext): Attribute {
  const base = { name: ap.name, docString: ap.docString || undefined, source: ap };
  if (ap.refAttrName) return { ...base, kind: "ref", value: ap.refAttrName, refType: ap.type };
  switch (ap.type) {
    case ATTR.FLOAT: return { ...base, kind: "float", value: ap.f };
    case ATTR.INT: return { ...base, kind: "int", value: ap.i };
    case ATTR.STRING: return { ...base, kind: "string", value: decodeUtf8(ap.s) };
    case ATTR.TENSOR: return { ...base, kind: "tensor", value: tensorFromProto(ap.t!, ctx.baseDir) };
    case ATTR.GRAPH: return { ...base, kind: "graph", value: importGraph(ap.g!, scope, ctx) };
    case ATTR.FLOATS: return { ...base, kind: "floats", value: [...ap.floats] };
    case ATTR.INTS: return { ...base, kind: "ints", value: [...ap.ints] };
    case ATTR.STRINGS: return { ...base, kind: "strings", value: ap.strings.map(decodeUtf8) };
    case ATTR.TENSORS: return { ...base, kind: "tensors", value: ap.tensors.map((t) => tensorFromProto(t, ctx.baseDir)) };
    case ATTR.GRAPHS: return { ...base, kind: "graphs", value: ap.graphs.map((g) => importGraph(g, scope, ctx)) };
    case ATTR.TYPE_PROTO: return { ...base, kind: "type", value: typeFromProto(ap.tp) ?? { kind: "unknown" } };
    case ATTR.SPARSE_TENSOR: return { ...base, kind: "sparse_tensor", value: sparseTensorFromProto(ap.sparseTensor!, ctx.baseDir) };
    case ATTR.SPARSE_TENSORS: return { ...base, kind: "sparse_tensors", value: ap.sparseTensors.map((t) => sparseTensorFromProto(t, ctx.baseDir)) };
    case ATTR.TYPE_PROTOS: return { ...base, kind: "types", value: ap.typeProtos.map((t) => typeFromProto(t) ?? { kind: "unknown" }) };
    default: return { ...base, kind: "opaque", value: null };
  }
}

function importFunction(fp: FunctionProto, ctx: ImportContext): ModelFunction {
  const body = new Graph(fp.name);
  const scope = new Scope(body, null);
  for (const name of fp.input) scope.define(body.addInput(new Value(name)));
  importNodes(fp.node, body, scope, ctx);
  for (const info of fp.valueInfo) {
    const v = scope.names.get(info.name);
    if (v) { applyValueInfo(v, info); body.valueInfoOrder.push(v); }
  }
  for (const name of fp.output) body.outputs.push(resolveName(scope, name));
  const opsets = new Map<string, number>();
  for (const op of fp.opsetImport) opsets.set(op.domain, Number(op.version));
  const metadata = new Map<string, string>();
  for (const e of fp.metadataProps) metadata.set(e.key, e.value);
  return {
    name: fp.name, domain: fp.domain, overload: fp.overload, body, opsetImports: opsets, metadata,
    attributeNames: [...fp.attribute],
    attributeDefaults: fp.attributeProto.map((ap) => importAttribute(ap, scope, ctx)),
    docString: fp.docString, source: fp,
  };
}
