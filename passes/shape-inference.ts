// shape-inference: types and shapes of every value (main graph and If/Loop/Scan bodies) from
// per-op rules, constant-folding shape-computing subgraphs; symbolic dims stay named unless
// `input-shape` binds them. Unknown ops leave their outputs unknown and are counted; with
// `observe=true` one calibration run on onnxruntime fills what static inference left unknown.
import type { Model } from "../ir/model.ts";
import { ValueKey } from "../ir/annotation-keys.ts";
import type { Pass, PassContext, PassOptions, PassResult } from "./pass.ts";
import { inferShapes } from "./shapes/infer.ts";
import { parseInputShapes } from "./shapes/input-shapes.ts";
import { observeUnknownShapes, snapshotTypes } from "./shapes/observe.ts";
import { CalibrationInputError, parseCalibrationFile } from "./support/calibration-inputs.ts";

export { inferShapes, type InferReport } from "./shapes/infer.ts";
export {
  parseInputShapes, formatInputShapes, resolveInputShapes, concreteInputShapes, applyInputShapes, dynamicInputs, dynamicInputsMessage,
  InputShapeError, type InputShape, bindLeadingBatch, batchNotes, type BatchBinding,
} from "./shapes/input-shapes.ts";
export { coveredOps } from "./shapes/rules.ts";

const KNOWN_OPTIONS = new Set(["input-shape", "observe", "seed", "inputs"]);

function flag(options: PassOptions, key: string): boolean {
  const text = options[key];
  if (text === undefined || text === "false" || text === "0") return false;
  if (text === "true" || text === "1" || text === "") return true;
  throw new Error(`shape-inference option ${key}=${text}: expected true or false`);
}

export function shapeInferencePass(options: PassOptions): Pass {
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) throw new Error(`shape-inference has no option '${key}' (options: ${[...KNOWN_OPTIONS].join(", ")})`);
  }
  const inputShapes = parseInputShapes(options["input-shape"] ?? "");
  const observe = flag(options, "observe");
  const seed = Number(options.seed ?? "0");
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`shape-inference option seed=${options.seed}: expected a whole number >= 0`);
  // Calibration files for the observe run, NAME=FILE;... as activation-sparsity takes them.
  const files = new Map<string, string[]>();
  for (const item of (options.inputs ?? "").split(";").map((s) => s.trim()).filter((s) => s !== "")) {
    const [name, file] = parseCalibrationFile(item);
    files.set(name, [...(files.get(name) ?? []), file]);
  }
  return {
    name: "shape-inference",
    description: "infer element types and shapes of every value (input-shape=NAME=1x3x224x224;... binds inputs; observe=true fills unknowns from one onnxruntime run on seed= or inputs=NAME=FILE;...); statistic coverage is the % of values with a fully known shape",
    preserves: "all",
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
}

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
