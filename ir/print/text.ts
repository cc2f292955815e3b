// The readable text form: a line per node, `%out = OpType(%a, %b) {attrs} : type`, subgraphs
// indented, initializers summarised, annotations shown after `#`.
import type { Attribute } from "../attribute.ts";
import type { Graph } from "../graph.ts";
import type { Model } from "../model.ts";
import type { Node } from "../node.ts";
import type { SparseTensor, Tensor } from "../tensor.ts";
import { formatShape, formatType } from "../types.ts";
import { dtypeName } from "../dtype.ts";

export interface TextOptions {
  /** Longest attribute list printed in full before it is elided. */
  maxListItems?: number;
}

export function printModel(model: Model, options: TextOptions = {}): string {
  const out: string[] = [];
  const opsets = [...model.opsetImports].map(([d, v]) => `${d || "ai.onnx"}:${v}`).join(", ");
  const producer = `${model.producerName} ${model.producerVersion}`.trim();
  out.push(`model ir_version=${model.irVersion} opsets={${opsets}}${producer ? ` producer=${JSON.stringify(producer)}` : ""}`);
  for (const [k, v] of model.metadata) out.push(`  metadata ${k}=${JSON.stringify(truncate(v, 80))}`);
  printGraph(model.graph, out, "", options, "graph");
  for (const f of model.functions) {
    out.push("");
    printGraph(f.body, out, "", options, `func ${f.domain ? `${f.domain}::` : ""}${f.name}`);
  }
  return out.join("\n") + "\n";
}

export function printGraph(graph: Graph, out: string[], indent: string, options: TextOptions, keyword: string): void {
  // Inputs that also have an initializer (IR < 4 style) are defaults, not real inputs: listed with the initializers.
  const params = graph.inputs.filter((v) => !v.initializer).map((v) => `%${v.name}: ${formatType(v.type)}`);
  out.push(`${indent}${keyword} @${graph.name || "main"}(${params.join(", ")}) {`);
  const inner = indent + "  ";
  for (const v of graph.initializers.values()) {
    const overridable = graph.inputs.includes(v) ? " (overridable input)" : "";
    out.push(`${inner}%${v.name} = initializer ${summariseTensor(v.initializer!)}${overridable}`);
  }
  for (const v of graph.sparseInitializers) out.push(`${inner}%${v.name} = sparse_initializer ${summariseSparse(v.sparseInitializer!)}`);
  for (const node of graph.nodes) printNode(node, out, inner, options);
  out.push(`${inner}return ${graph.outputs.map((v) => `%${v.name}`).join(", ")}`);
  out.push(`${indent}}`);
}

function printNode(node: Node, out: string[], indent: string, options: TextOptions): void {
  const results = node.outputs.map((v) => (v.name === "" ? "_" : `%${v.name}`)).join(", ");
  const args = node.inputs.map((v) => (v ? `%${v.name}` : "_")).join(", ");
  const plainAttrs = [...node.attributes.values()].filter((a) => a.kind !== "graph" && a.kind !== "graphs");
  const attrs = plainAttrs.length > 0 ? ` {${plainAttrs.map((a) => `${a.name}=${formatAttr(a, options)}`).join(", ")}}` : "";
  const types = node.outputs.map((v) => formatType(v.type)).join(", ");
  const notes = [node.name ? `name=${node.name}` : "", ...(node.hasAnnotations ? [...node.annotations] : []).map(([k, v]) => `${k}=${formatAnnotation(v)}`)]
    .filter((s) => s !== "").join(" ");
  out.push(`${indent}${results ? `${results} = ` : ""}${node.qualifiedOp}(${args})${attrs} : ${types}${notes ? `  # ${notes}` : ""}`);
  for (const a of node.attributes.values()) {
    const graphs = a.kind === "graph" ? [a.value] : a.kind === "graphs" ? a.value : [];
    for (const g of graphs) printGraph(g, out, indent + "  ", options, a.name);
  }
}

function formatAnnotation(v: unknown): string {
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toPrecision(4);
  if (Array.isArray(v)) return `[${v.join(",")}]`;
  return String(v);
}

export function formatAttr(a: Attribute, options: TextOptions = {}): string {
  const max = options.maxListItems ?? 16;
  const list = (items: string[]) => (items.length > max ? `[${items.slice(0, max).join(",")},…(${items.length})]` : `[${items.join(",")}]`);
  switch (a.kind) {
    case "float": return String(a.value);
    case "int": return String(a.value);
    case "string": return JSON.stringify(truncate(a.value, 60));
    case "floats": return list(a.value.map(String));
    case "ints": return list(a.value.map(String));
    case "strings": return list(a.value.map((s) => JSON.stringify(truncate(s, 30))));
    case "tensor": return summariseTensor(a.value);
    case "tensors": return list(a.value.map(summariseTensor));
    case "type": return formatType(a.value);
    case "types": return list(a.value.map(formatType));
    case "ref": return `@${a.value}`;
    case "graph": return "<graph>";
    case "graphs": return `<${a.value.length} graphs>`;
    case "sparse_tensor": return summariseSparse(a.value);
    case "sparse_tensors": return list(a.value.map(summariseSparse));
    case "opaque": return "<opaque>";
  }
}

/** `f32[64,3,7,7] (37.6K values, 147 KB)`, with the values themselves when there are few. */
export function summariseTensor(t: Tensor): string {
  const head = `${dtypeName(t.dtype)}${formatShape(t.dims)}`;
  if (t.external) return `${head} external(${t.external.location}@${t.external.offset}, ${formatBytes(t.external.length)})`;
  if (t.size <= 8) {
    try {
      return `${head} = [${t.toNumbers().map((x) => (Number.isInteger(x) ? x : x.toPrecision(5))).join(",")}]`;
    } catch {
      return head;
    }
  }
  return `${head} (${formatCount(t.size)} values, ${formatBytes(t.byteLength)})`;
}

/** `sparse f32[100,100] nnz=12`. */
export function summariseSparse(t: SparseTensor): string {
  return `sparse ${dtypeName(t.dtype)}${formatShape(t.dims)} nnz=${t.nnz}`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

function formatCount(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1e6) return `${(n / 1e3).toFixed(1)}K`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)}M`;
  return `${(n / 1e9).toFixed(1)}G`;
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

