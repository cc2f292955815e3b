// shape-inference: types and shapes of every value (main graph and If/Loop/Scan bodies) from
// per-op rules, constant-folding shape-computing subgraphs; symbolic dims stay named unless
// `input-shape` binds them. Unknown ops leave their outputs unknown and are counted.
import type { Model } from "../ir/model.ts";
import type { Pass, PassContext, PassOptions, PassResult } from "./pass.ts";
import { registerPass } from "./registry.ts";
import { inferShapes } from "./shapes/infer.ts";
import { parseInputShapes } from "./shapes/input-shapes.ts";

export { inferShapes, type InferReport } from "./shapes/infer.ts";
export { parseInputShapes, formatInputShapes, resolveInputShapes, InputShapeError, type InputShape } from "./shapes/input-shapes.ts";
export { coveredOps } from "./shapes/rules.ts";

const KNOWN_OPTIONS = new Set(["input-shape"]);

export function shapeInferencePass(options: PassOptions): Pass {
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) throw new Error(`shape-inference has no option '${key}' (options: ${[...KNOWN_OPTIONS].join(", ")})`);
  }
  const inputShapes = parseInputShapes(options["input-shape"] ?? "");
  return {
    name: "shape-inference",
    description: "infer element types and shapes of every value (input-shape=NAME=1x3x224x224;... binds inputs); statistic coverage is the % of values with a fully known shape",
    preserves: "all",
    run(model: Model, ctx: PassContext): PassResult {
      const report = inferShapes(model, { inputShapes, onNode: (n) => ctx.at(n), warn: (m) => ctx.warn(m) });
      ctx.currentNode = null;
      const unknownNodes = [...report.unknownOps.values()].reduce((a, b) => a + b, 0);
      if (unknownNodes > 0) {
        const ops = [...report.unknownOps].map(([op, n]) => `${op} (${n})`).join(", ");
        ctx.warn(`shape-inference: no shape rule for ${ops}; their outputs stay unknown`);
      }
      return {
        changed: report.changed,
        statistics: {
          "values-inferred": report.inferred,
          "values-unknown": report.values - report.inferred,
          "values-fully-known": report.fullyKnown,
          "unknown-op-nodes": unknownNodes,
          coverage: report.values === 0 ? 100 : Math.round((1000 * report.fullyKnown) / report.values) / 10,
        },
      };
    },
  };
}

registerPass(shapeInferencePass);
