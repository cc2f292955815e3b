// Graphviz DOT of the main graph: a box per node, an edge per value, nodes filled by their
// `device` annotation once placement has run (grey before).
import type { Model } from "../model.ts";
import { formatType } from "../types.ts";

const DEVICE_COLOURS: Record<string, string> = { cpu: "#9ecae1", gpu: "#a1d99b" };
const FALLBACK_COLOURS = ["#fdae6b", "#bcbddc", "#fdd0a2", "#c7e9c0"];

function quote(s: string): string {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

export function modelToDot(model: Model): string {
  const g = model.graph;
  const lines = [`digraph ${quote(g.name || "model")} {`, "  rankdir=TB;", '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10, fillcolor="#eeeeee"];', '  edge [fontname="Helvetica", fontsize=8];'];
  const ids = new Map<object, string>();
  const id = (o: object) => { let s = ids.get(o); if (!s) { s = `n${ids.size}`; ids.set(o, s); } return s; };
  const extra = new Map<string, string>();
  for (const v of g.inputs) if (!g.initializers.has(v.name)) lines.push(`  ${id(v)} [label=${quote(`${v.name}\n${formatType(v.type)}`)}, shape=ellipse, fillcolor="#ffffff"];`);
  for (const n of g.nodes) {
    // Placement writes the annotation; a saved annotated model carries it as metadata_props.
    const device = (n.hasAnnotations ? n.annotations.get("device") : undefined) ?? (n.hasMetadata ? n.metadata.get("sparoa.device") : undefined);
    let fill = "#eeeeee";
    if (typeof device === "string") {
      fill = DEVICE_COLOURS[device] ?? extra.get(device) ?? FALLBACK_COLOURS[extra.size % FALLBACK_COLOURS.length]!;
      extra.set(device, fill);
    }
    const label = `${n.qualifiedOp}${n.name ? `\n${n.name}` : ""}${typeof device === "string" ? `\n[${device}]` : ""}`;
    lines.push(`  ${id(n)} [label=${quote(label)}, fillcolor=${quote(fill)}];`);
    n.inputs.forEach((v) => {
      if (!v || v.initializer) return;
      const from = v.producer ? id(v.producer) : ids.get(v);
      if (from) lines.push(`  ${from} -> ${id(n)} [label=${quote(formatType(v.type) === "?" ? "" : formatType(v.type))}];`);
    });
  }
  for (const v of g.outputs) {
    lines.push(`  out_${id(v)} [label=${quote(`${v.name}\n${formatType(v.type)}`)}, shape=ellipse, fillcolor="#ffffff"];`);
    const from = v.producer ? id(v.producer) : ids.get(v);
    if (from) lines.push(`  ${from} -> out_${id(v)};`);
  }
  lines.push("}");
  return lines.join("\n") + "\n";
}
