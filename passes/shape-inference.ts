// shape-inference: types and shapes of every value (main graph and If/Loop/Scan bodies) from
// per-op rules, constant-folding shape-computing subgraphs; symbolic dims stay named unless
// `input-shape` binds them. Unknown ops leave their outputs unknown and are counted; with
// `observe=true` one calibration run on onnxruntime fills what static inference left unknown.
import type { Model } from "../ir/model.ts";
import { ValueKey } from "../ir/annotation-keys.ts";
import { NodeKey } from "../ir/annotation-keys.ts";
import { booleanOption, numberOption } from "./options.ts";
import { definePass, type PassContext, type PassResult } from "./pass.ts";
import { inferShapes } from "./shapes/infer.ts";
import { inputShapesOption } from "./shapes/input-shapes.ts";
import { observeUnknownShapes, snapshotTypes } from "./shapes/observe.ts";
import { CalibrationInputError, calibrationFilesOption } from "./support/calibration-inputs.ts";

export { inferShapes, type InferReport } from "./shapes/infer.ts";
export {
  parseInputShapes, formatInputShapes, resolveInputShapes, concreteInputShapes, applyInputShapes, dynamicInputs, dynamicInputsMessage,
  InputShapeError, type InputShape, bindLeadingBatch, batchNotes, type BatchBinding,
} from "./shapes/input-shapes.ts";
export { coveredOps } from "./shapes/rules.ts";

export const shapeInferencePass = definePass({
  name: "shape-inference",
  description: "infer element types and shapes of every value; statistic coverage is the % of values with a fully known shape",
  options: {
    "input-shape": inputShapesOption,
    observe: booleanOption("fill what static inference leaves unknown from one onnxruntime run", false),
    seed: numberOption("seed of the observe run's generated inputs", { integer: true, min: 0 }, "0"),
    inputs: calibrationFilesOption,
  },
  annotates: { values: [ValueKey.shapeSource], nodes: [NodeKey.shapeError] },
  build: (options) => {
    const inputShapes = [...(options["input-shape"] ?? [])];
    const observe = options.observe ?? false;
    const seed = options.seed ?? 0;
    const files = options.inputs ?? new Map<string, string[]>();
    return {
      // Types that change make every shape-derived analysis stale; weight data stays what it was.
      preserves: ["weight-sparsity"],
      async run(model: Model, ctx: PassContext): Promise<PassResult> {
        const declared = observe ? snapshotTypes(model) : undefined;
        const report = inferShapes(model, { inputShapes, onNode: (n) => ctx.at(n), warn: (m) => ctx.warn(m) });
        ctx.currentNode = null;
        const unknownNodes = [...report.unknownOps.values()].reduce((a, b) => a + b, 0);
        if (unknownNodes > 0) {
          const ops = [...report.unknownOps].map(([op, n]) => `${op} (${n})`).join(", ");
          ctx.warn(`shape-inference: no shape rule for ${ops}; their outputs stay unknown${observe ? " unless observed" : " (observe=true fills them from a run)"}`);
        }
        if (declared) {
          try {
            await observeUnknownShapes(model, declared, report.boundInputs, { seed, files });
          } catch (e) {
            if (e instanceof CalibrationInputError) throw e;
            ctx.warn(`shape-inference: observe skipped, the calibration run failed: ${(e as Error).message.split("\n")[0]}`);
          }
        }
        const counts = countValues(model);
        return {
          changed: report.changed || counts.observed > 0,
          statistics: {
            "values-inferred": counts.static,
            ...(observe ? { "values-observed": counts.observed } : {}),
            "values-unknown": counts.values - counts.static - counts.observed,
            "values-fully-known": counts.fullyKnown,
            "unknown-op-nodes": unknownNodes,
            coverage: counts.values === 0 ? 100 : Math.round((1000 * counts.fullyKnown) / counts.values) / 10,
          },
        };
      },
    };
  },
});

/** Node outputs (all graphs) by where their shape came from, and how many are fully known. */
function countValues(model: Model): { values: number; static: number; observed: number; fullyKnown: number } {
  const counts = { values: 0, static: 0, observed: 0, fullyKnown: 0 };
  for (const node of model.graph.allNodes()) {
    for (const v of node.outputs) {
      if (v.name === "") continue;
      counts.values++;
      const source = v.annotations.get(ValueKey.shapeSource);
      if (source === "static") counts.static++;
      else if (source === "observed") counts.observed++;
      if (v.type?.kind === "tensor" && v.type.shape?.every((d) => typeof d === "number")) counts.fullyKnown++;
    }
  }
  return counts;
}
