// From an analysed model to the package files. Analysis runs on a copy whose inputs
// --input-shape bound; the package is cut from the model exactly as the file declared it
// (dynamic dimensions stay dynamic), with the analysis's annotations copied over node by node.
// Bound shapes could otherwise make onnxruntime reject a partition whose untaken If branch only
// type-checks with dynamic sizes (Silero VAD does this).
import type { Model } from "../../ir/model.ts";
import type { Value } from "../../ir/value.ts";
import { describePartitions, type Partitioning } from "../../passes/describe-partitions.ts";
import { buildPackage, dataInputs, type PackageFiles, type PlanSummary } from "./emit.ts";
import { resolveValueTypes } from "./value-types.ts";

/** Copies every node's annotations from `from` to `to`: two loads of the same file, so the node order matches. */
export function copyAnnotations(from: Model, to: Model): void {
  const source = [...from.graph.allNodes()];
  const target = [...to.graph.allNodes()];
  if (source.length !== target.length) throw new Error(`internal error: the analysed model has ${source.length} nodes, the file ${target.length}; passes must not change the graph before emit`);
  source.forEach((n, i) => {
    const t = target[i]!;
    if (t.opType !== n.opType) throw new Error(`internal error: node ${i} is ${n.opType} after analysis, ${t.opType} in the file`);
    t.annotations.clear();
    for (const [k, a] of n.annotations) t.annotations.set(k, a);
  });
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
  copyAnnotations(analysed, pristine);
  const partitioning = describePartitions(pristine.graph);
  const needed = new Set<Value>([...partitioning.boundaries.map((b) => b.value), ...dataInputs(pristine), ...pristine.graph.outputs]);
  const analysedValues = analysed.graph.valuesByName();
  const types = await resolveValueTypes(pristine, needed);
  const files = buildPackage(pristine, partitioning, types, plan, { plannedType: (v) => analysedValues.get(v.name)?.type });
  return { files, partitioning };
}
