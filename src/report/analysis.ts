// The numbers `sparoa analyze` shows, gathered from an annotated model: one row per node,
// model totals, and the SparOA quadrants (sparsity x intensity, split at two thresholds).
import type { Model } from "../../ir/model.ts";
import { formatShape } from "../../ir/types.ts";
import { NodeKey, numberAnnotation } from "../../ir/annotation-keys.ts";
import { constantNodes } from "../../ir/node-roles.ts";
import { middleEllipsis } from "./ellipsis.ts";

export interface NodeRow {
  name: string;
  op: string;
  outputShape: string;
  flops?: number;
  macs?: number;
  bytes?: number;
  intensity?: number;
  params?: number;
  costUnknown: boolean;
  weightSparsity?: number;
  inputSparsity?: number;
  outputSparsity?: number;
  sparsity?: number;
  quadrant?: Quadrant;
  /** Computable from the stored weights alone: onnxruntime folds it at load, it costs nothing per inference. */
  constant: boolean;
}

export type Quadrant = "sparse-heavy" | "sparse-light" | "dense-heavy" | "dense-light";

export interface Thresholds { sparsity: number; intensity: number; source: { sparsity: "flag" | "median"; intensity: "flag" | "median" } }

export interface Totals { nodes: number; flops: number; macs: number; params: number; bytes: number; intensity: number; costUnknownNodes: number; flopWeightedSparsity?: number }

export interface Analysis { nodes: NodeRow[]; totals: Totals; thresholds: Thresholds; quadrants: Record<Quadrant, number>; unplaced: number }

function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Rows for the main graph's nodes; thresholds default to the medians over nodes that have the number. */
export function analyzeModel(model: Model, flags: { sparsityThreshold?: number; intensityThreshold?: number } = {}): Analysis {
  const constants = constantNodes(model.graph);
  const nodes: NodeRow[] = model.graph.nodes.map((n) => {
    const out = n.outputs[0]?.type;
    const costUnknown = n.annotations.get(NodeKey.costUnknown) === true;
    const parts = [NodeKey.bytesRead, NodeKey.bytesWeights, NodeKey.bytesWritten].map((k) => numberAnnotation(n, k));
    return {
      name: n.name, op: n.opType,
      outputShape: out?.kind === "tensor" ? formatShape(out.shape) : "?",
      flops: numberAnnotation(n, NodeKey.flops), macs: numberAnnotation(n, NodeKey.macs),
      bytes: parts.every((p) => p === undefined) ? undefined : parts.reduce<number>((a, p) => a + (p ?? 0), 0),
      intensity: numberAnnotation(n, NodeKey.intensity), params: numberAnnotation(n, NodeKey.params), costUnknown,
      weightSparsity: numberAnnotation(n, NodeKey.weightSparsity), inputSparsity: numberAnnotation(n, NodeKey.inputSparsity),
      outputSparsity: numberAnnotation(n, NodeKey.outputSparsity), sparsity: numberAnnotation(n, NodeKey.sparsity),
      constant: constants.has(n),
    };
  });
  const placeable = nodes.filter((r) => r.sparsity !== undefined && r.intensity !== undefined);
  const thresholds: Thresholds = {
    sparsity: flags.sparsityThreshold ?? median(placeable.map((r) => r.sparsity!)),
    intensity: flags.intensityThreshold ?? median(placeable.map((r) => r.intensity!)),
    source: { sparsity: flags.sparsityThreshold === undefined ? "median" : "flag", intensity: flags.intensityThreshold === undefined ? "median" : "flag" },
  };
  const quadrants: Record<Quadrant, number> = { "sparse-heavy": 0, "sparse-light": 0, "dense-heavy": 0, "dense-light": 0 };
  for (const r of placeable) {
    // Strictly above a threshold counts as high: ties at a median (many Relus share one intensity) stay low.
    r.quadrant = `${r.sparsity! > thresholds.sparsity ? "sparse" : "dense"}-${r.intensity! > thresholds.intensity ? "heavy" : "light"}`;
    quadrants[r.quadrant]++;
  }
  const sum = (f: (r: NodeRow) => number | undefined) => nodes.reduce((a, r) => a + (f(r) ?? 0), 0);
  const flops = sum((r) => r.flops);
  const bytes = sum((r) => r.bytes);
  const weighted = nodes.filter((r) => r.sparsity !== undefined && (r.flops ?? 0) > 0);
  const weightedFlops = weighted.reduce((a, r) => a + r.flops!, 0);
  const totals: Totals = {
    nodes: nodes.length, flops, macs: sum((r) => r.macs), params: sum((r) => r.params), bytes,
    intensity: bytes > 0 ? flops / bytes : 0, costUnknownNodes: nodes.filter((r) => r.costUnknown).length,
    flopWeightedSparsity: weightedFlops > 0 ? weighted.reduce((a, r) => a + r.flops! * r.sparsity!, 0) / weightedFlops : undefined,
  };
  return { nodes, totals, thresholds, quadrants, unplaced: nodes.length - placeable.length };
}

/** 1234567 -> "1.23M". */
export function si(x: number | undefined, unit = ""): string {
  if (x === undefined) return "-";
  const abs = Math.abs(x);
  for (const [scale, suffix] of [[1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "K"]] as const) {
    if (abs >= scale) return `${(x / scale).toFixed(abs / scale >= 100 ? 0 : 2)}${suffix}${unit}`;
  }
  return `${Number.isInteger(x) ? x : x.toFixed(2)}${unit}`;
}

const pct = (x: number | undefined) => (x === undefined ? "-" : `${(100 * x).toFixed(1)}%`);

/** The per-node table, totals and quadrant counts as aligned text. */
/** The table; constant nodes (folded at load, no per-inference cost) are left out unless asked. */
export function formatAnalysis(a: Analysis, title: string, options: { constants?: boolean } = {}): string {
  const header = ["node", "op", "output", "FLOPs", "bytes", "FLOP/B", "w.sp", "act.in", "act.out", "sparsity", "quadrant"];
  const shown = options.constants ? a.nodes : a.nodes.filter((r) => !r.constant);
  const rows = shown.map((r) => [
    r.name || "(unnamed)", r.op, r.outputShape, r.costUnknown ? "unknown" : si(r.flops), si(r.bytes, "B"),
    r.intensity === undefined ? "-" : r.intensity.toFixed(2), pct(r.weightSparsity), pct(r.inputSparsity), pct(r.outputSparsity), pct(r.sparsity), r.quadrant ?? "-",
  ]);
  const widths = header.map((h, i) => Math.min(i === 0 ? 40 : 24, Math.max(h.length, ...rows.map((r) => r[i]!.length))));
  const numeric = new Set([3, 4, 5, 6, 7, 8, 9]);
  const line = (cells: string[]) => cells.map((c, i) => {
    const cell = i === 0 ? middleEllipsis(c, widths[i]!) : c.length > widths[i]! ? `${c.slice(0, widths[i]! - 1)}…` : c;
    return numeric.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!);
  }).join("  ").trimEnd();
  const t = a.totals;
  const out = [`${title}`, "", line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line), ""];
  const hidden = a.nodes.length - shown.length;
  if (hidden > 0) out.push(`${hidden} constant node(s) not shown (computed from weights once, when a session loads; --constants to list them)`);
  out.push(`totals: ${t.nodes} nodes, ${si(t.flops)}FLOPs (${si(t.macs)} MACs), ${si(t.params)} params, ${si(t.bytes, "B")} moved, intensity ${t.intensity.toFixed(2)} FLOP/B` +
    (t.flopWeightedSparsity === undefined ? "" : `, FLOP-weighted sparsity ${pct(t.flopWeightedSparsity)}`) +
    (t.costUnknownNodes > 0 ? `; cost unknown for ${t.costUnknownNodes} node(s)` : ""));
  const th = a.thresholds;
  out.push(`quadrants (high = sparsity > ${pct(th.sparsity)} [${th.source.sparsity}], intensity > ${th.intensity.toFixed(2)} FLOP/B [${th.source.intensity}]):`);
  out.push(`  sparse-heavy ${a.quadrants["sparse-heavy"]}   sparse-light ${a.quadrants["sparse-light"]}   dense-heavy ${a.quadrants["dense-heavy"]}   dense-light ${a.quadrants["dense-light"]}` +
    (a.unplaced > 0 ? `   (${a.unplaced} node(s) lack sparsity or intensity)` : ""));
  return out.join("\n") + "\n";
}
