// Graphviz DOT of the main graph: a box per node, an edge per value, nodes filled by their
// `processor` annotation once placement has run (grey before). Render with the `dot` layout
// (`dot -Tsvg m.dot -o m.svg`): clusters are drawn by it only.
//
// For real models the caller can hide nodes (`hide`: constants and shape arithmetic) and fold
// view-only nodes into the edge that passes through them (`fold`), and ask for one cluster per
// partition with a legend of the processors: a 4-layer ViT drawn in full is 6,000 x 19,000 px.
import type { Node } from "../node.ts";
import type { Model } from "../model.ts";
import type { Value } from "../value.ts";
import { formatType } from "../types.ts";

const PROCESSOR_COLOURS: Record<string, string> = { cpu: "#9ecae1", gpu: "#a1d99b" };
const FALLBACK_COLOURS = ["#fdae6b", "#bcbddc", "#fdd0a2", "#c7e9c0"];

export interface DotOptions {
  /** Nodes left out, with their edges; `hiddenNote` says what they were, in the legend. */
  hide?: ReadonlySet<Node>;
  hiddenNote?: string;
  /** Single-data-input nodes drawn as part of an edge (their op names on it) instead of as boxes. */
  fold?: ReadonlySet<Node>;
  /** One cluster per `partition` annotation (or sparoa.partition metadata) and a processor legend. */
  clusters?: boolean;
  /** Types on the edges (default true); off, each box shows its output type instead. */
  edgeTypes?: boolean;
  /** Tighter ranks, two-line boxes (op and type, then the name), no processor line (colour and legend say it). */
  compact?: boolean;
}

function quote(s: string): string {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

/** Long names keep their start and end, so neighbouring layers stay told apart. */
function shortName(name: string, max = 36): string {
  if (name.length <= max) return name;
  const head = Math.ceil((max - 1) / 2);
  return `${name.slice(0, head)}…${name.slice(name.length - (max - 1 - head))}`;
}

function attribute(n: Node, key: string): string | undefined {
  // Placement writes the annotation; a saved annotated model carries it as metadata_props.
  const a = n.hasAnnotations ? n.annotations.get(key) : undefined;
  if (typeof a === "string" || typeof a === "number") return String(a);
  if (!n.hasMetadata) return undefined;
  // Models annotated before package format v2 called the processor `sparoa.device`.
  return n.metadata.get(`sparoa.${key}`) ?? (key === "processor" ? n.metadata.get("sparoa.device") : undefined);
}

export function modelToDot(model: Model, options: DotOptions = {}): string {
  const g = model.graph;
  const hide = options.hide ?? new Set<Node>();
  const fold = options.fold ?? new Set<Node>();
  const edgeTypes = options.edgeTypes ?? true;
  const lines = [`digraph ${quote(g.name || "model")} {`, options.compact ? "  rankdir=TB; ranksep=0.22; nodesep=0.18;" : "  rankdir=TB;",
    `  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=${options.compact ? 9 : 10}, fillcolor="#eeeeee"${options.compact ? ", height=0.3, margin=\"0.06,0.02\"" : ""}];`, '  edge [fontname="Helvetica", fontsize=8];'];
  const ids = new Map<object, string>();
  const id = (o: object) => { let s = ids.get(o); if (!s) { s = `n${ids.size}`; ids.set(o, s); } return s; };
  const colours = new Map<string, string>();
  const colourOf = (processor: string) => {
    let c = colours.get(processor);
    if (!c) colours.set(processor, (c = PROCESSOR_COLOURS[processor] ?? FALLBACK_COLOURS[[...colours.keys()].filter((d) => !PROCESSOR_COLOURS[d]).length % FALLBACK_COLOURS.length]!));
    return c;
  };
  for (const v of g.inputs) if (!g.initializers.has(v.name)) lines.push(`  ${id(v)} [label=${quote(`${v.name}\n${formatType(v.type)}`)}, shape=ellipse, fillcolor="#ffffff"];`);

  // Where a value is drawn from: its producer, or, through folded views, the first drawn one.
  const source = (v: Value): { from: string; via: string[] } | undefined => {
    const via: string[] = [];
    let cur: Value | null | undefined = v;
    while (cur?.producer && fold.has(cur.producer)) {
      via.unshift(cur.producer.opType);
      cur = cur.producer.inputs[0];
    }
    if (!cur || cur.initializer) return undefined;
    if (cur.producer && hide.has(cur.producer)) return undefined;
    const from = cur.producer ? id(cur.producer) : ids.get(cur);
    return from ? { from, via } : undefined;
  };
  const edge = (v: Value, to: string) => {
    const s = source(v);
    if (!s) return;
    const type = formatType(v.type);
    const label = [...(s.via.length ? [s.via.join("·")] : []), ...(edgeTypes && type !== "?" ? [type] : [])].join("\n");
    lines.push(`  ${s.from} -> ${to}${label ? ` [label=${quote(label)}]` : ""};`);
  };

  const partitions = new Map<string, string[]>();
  const drawn = g.nodes.filter((n) => !hide.has(n) && !fold.has(n));
  for (const n of drawn) {
    const processor = attribute(n, "processor");
    const fill = processor === undefined ? "#eeeeee" : colourOf(processor);
    const out = n.outputs[0];
    const label = options.compact
      ? `${n.qualifiedOp}${out ? ` ${formatType(out.type)}` : ""}${n.name ? `\n${shortName(n.name)}` : ""}`
      : `${n.qualifiedOp}${n.name ? `\n${n.name}` : ""}${!edgeTypes && out ? `\n${formatType(out.type)}` : ""}${processor !== undefined ? `\n[${processor}]` : ""}`;
    const box = `${id(n)} [label=${quote(label)}, fillcolor=${quote(fill)}];`;
    const partition = options.clusters ? attribute(n, "partition") : undefined;
    if (partition !== undefined) partitions.set(partition, [...(partitions.get(partition) ?? []), box]);
    else lines.push(`  ${box}`);
  }
  for (const [p, boxes] of [...partitions].sort((a, b) => Number(a[0]) - Number(b[0]))) {
    const processor = drawn.find((n) => attribute(n, "partition") === p && attribute(n, "processor") !== undefined);
    lines.push(`  subgraph cluster_p${p.replace(/\W/g, "_")} {`, `    label=${quote(`partition ${p}${processor ? ` (${attribute(processor, "processor")})` : ""}`)}; style="rounded,dashed"; color="#888888"; fontname="Helvetica"; fontsize=11;`);
    for (const b of boxes) lines.push(`    ${b}`);
    lines.push("  }");
  }
  for (const n of drawn) for (const v of n.inputs) if (v) edge(v, id(n));
  for (const v of g.outputs) {
    lines.push(`  out_${id(v)} [label=${quote(`${v.name}\n${formatType(v.type)}`)}, shape=ellipse, fillcolor="#ffffff"];`);
    edge(v, `out_${id(v)}`);
  }
  if ((options.clusters && colours.size > 0) || hide.size + fold.size > 0) {
    const entries = [...colours].map(([d, c], i) => `    legend_${i} [label=${quote(d)}, fillcolor=${quote(c)}];`);
    const note = [
      ...(hide.size > 0 ? [`${hide.size} nodes hidden${options.hiddenNote ? `: ${options.hiddenNote}` : ""}`] : []),
      ...(fold.size > 0 ? [`${fold.size} view-only nodes drawn on their edges`] : []),
    ].join("\n");
    lines.push("  subgraph cluster_legend {", '    label="legend"; style="rounded"; color="#bbbbbb"; fontname="Helvetica"; fontsize=11;', ...entries);
    if (note) lines.push(`    legend_note [label=${quote(note)}, shape=plaintext, style=""];`);
    lines.push("  }");
  }
  lines.push("}");
  return lines.join("\n") + "\n";
}
