// From an analysed model to the package files. Analysis runs on a copy whose inputs
// --input-shape bound; the package is cut from the model exactly as the file declared it
// (dynamic dimensions stay dynamic), with the analysis's annotations copied over node by node,
// matched by their place in the file (Node.origin).
// Bound shapes could otherwise make onnxruntime reject a partition whose untaken If branch only
// type-checks with dynamic sizes (Silero VAD does this).
import type { Graph } from "../../ir/graph.ts";
import { SparoaError } from "../../ir/sparoa-error.ts";
import type { Model } from "../../ir/model.ts";
import type { Node } from "../../ir/node.ts";
import type { Value } from "../../ir/value.ts";
import { describePartitions, type Partitioning } from "../../passes/describe-partitions.ts";
import { buildPackage, dataInputs, type PackageFiles, type PlanSummary } from "./emit.ts";
import { resolveValueTypes } from "./value-types.ts";

/** Passes before placement changed the graph in a way the file's own model cannot follow (a node added or rewired). */
export class AnalysisMismatchError extends SparoaError {}

/**
 * Makes `file` (the model file loaded afresh) the graph `analysed` was analysed as: nodes matched
 * by Node.origin (their place in the file, the same in every load), not by position, so passes
 * before placement may remove nodes (dce) or reorder them (topological sort); those removals and
 * that order are applied to `file`, then each node takes its analysed node's annotations. A
 * node a pass created, or one whose inputs a pass rewired, cannot be matched: refused.
 */
export function applyAnalysis(analysed: Model, file: Model): void {
  const byOrigin = new Map<number, Node>();
  for (const n of file.graph.allNodes()) if (n.origin !== undefined) byOrigin.set(n.origin, n);
  const kept = new Set<Node>();
  const ordered = new Map<Graph, Node[]>();
  for (const n of analysed.graph.allNodes()) {
    const t = n.origin === undefined ? undefined : byOrigin.get(n.origin);
    if (!t || t.opType !== n.opType || t.domain !== n.domain) throw new AnalysisMismatchError(`node '${n.name || "(unnamed)"}' (${n.opType}) was created by a pass, the file has no such node; passes before placement may remove or reorder nodes, not add them`);
    const names = (x: Node) => x.inputs.map((v) => v?.name ?? "").join(",");
    if (names(t) !== names(n)) throw new AnalysisMismatchError(`node '${n.name || "(unnamed)"}' (${n.opType}) reads ${names(n) || "nothing"} after the passes, ${names(t) || "nothing"} in the file; passes before placement may remove or reorder nodes, not rewire them`);
    kept.add(t);
    const list = ordered.get(t.graph!) ?? [];
    list.push(t);
    ordered.set(t.graph!, list);
  }
  const analysedInitializers = new Set([...analysed.graph.allGraphs()].flatMap((a) => [...a.initializers.keys()]));
  // Subgraphs first: a removed node there may be what kept an outer node alive.
  for (const g of [...file.graph.allGraphs()].reverse()) {
    const removed = g.nodes.filter((n) => !kept.has(n));
    if (removed.length === 0) continue;
    try {
      g.removeNodes(removed);
    } catch (e) {
      throw new AnalysisMismatchError(`the passes removed node '${removed[0]!.name || "(unnamed)"}' (${removed[0]!.opType}) but ${(e as Error).message.replace(/^cannot remove node '[^']*': /, "")}`);
    }
    // Initializers only the removed nodes read go with them, as dce removes them.
    for (const [name, v] of [...g.initializers]) {
      if (v.uses.length === 0 && !analysedInitializers.has(name) && !g.inputs.includes(v) && !g.outputs.includes(v)) { g.initializers.delete(name); v.graph = null; }
    }
  }
  for (const [g, order] of ordered) if (order.some((n, i) => g.nodes[i] !== n)) g.reorder(order);
  for (const n of analysed.graph.allNodes()) {
    const t = byOrigin.get(n.origin!)!;
    t.annotations.clear();
    for (const [k, a] of n.annotations) t.annotations.set(k, a);
  }
}

/**
 * `pristine`: the file loaded afresh, when --input-shape changed any input type of `analysed`;
 * the package is then cut from it with onnxruntime's types for the file at the boundaries.
 * Without bindings the analysed model's inferred types are the file's own, so the package is
 * cut from it directly (no second load, no onnxruntime session).
 */
export async function packageModel(analysed: Model, plan: PlanSummary, pristine?: Model): Promise<{ files: PackageFiles; partitioning: Partitioning }> {
  if (!pristine) {
    const partitioning = describePartitions(analysed.graph);
    const needed = new Set<Value>([...partitioning.boundaries.map((b) => b.value), ...dataInputs(analysed), ...analysed.graph.outputs]);
    const types = await resolveValueTypes(analysed, needed);
    return { files: buildPackage(analysed, partitioning, types, plan), partitioning };
  }
  applyAnalysis(analysed, pristine);
  const partitioning = describePartitions(pristine.graph);
  const needed = new Set<Value>([...partitioning.boundaries.map((b) => b.value), ...dataInputs(pristine), ...pristine.graph.outputs]);
  const analysedValues = analysed.graph.valuesByName();
  const types = await resolveValueTypes(pristine, needed);
  const files = buildPackage(pristine, partitioning, types, plan, { plannedType: (v) => analysedValues.get(v.name)?.type });
  return { files, partitioning };
}
