// `--input-shape NAME=1x3x224x224` for commands that bind inputs directly (plan, benches), on
// top of the shape pass's parser and resolver (passes/shapes/input-shapes.ts): a named dim
// bound through one input is bound in every input that uses it. Inputs still dynamic afterwards
// are reported with the flag that would fix them.
import type { Model } from "../../ir/model.ts";
import { formatShape } from "../../ir/types.ts";
import type { Value } from "../../ir/value.ts";
import { isInitializer } from "../../passes/node-roles.ts";
import { InputShapeError, parseInputShapes as parseSpecs, resolveInputShapes } from "../../passes/shape-inference.ts";
import { CliError } from "./errors.ts";

/** Parses flag values (each may hold several bindings separated by commas, spaces or ';'). */
export function parseInputShapes(flags: readonly string[]): Map<string, number[]> {
  try {
    const specs = parseSpecs(flags.flatMap((f) => f.split(/[,\s]+/)).filter((s) => s !== ""));
    return new Map(specs.map((s) => {
      if (s.dims.some((d) => d === null)) throw new CliError(`--input-shape ${s.name}: every dimension needs a size here ('?' keeps a dynamic one)`);
      return [s.name, s.dims as number[]];
    }));
  } catch (e) {
    if (e instanceof InputShapeError) throw new CliError(e.message);
    throw e;
  }
}

/** Applies bindings to the model's data inputs (in place); returns the inputs still dynamic. */
export function bindInputShapes(model: Model, bindings: ReadonlyMap<string, number[]>): Value[] {
  let resolved;
  try {
    resolved = resolveInputShapes(model.graph, [...bindings].map(([name, dims]) => ({ name, dims })));
  } catch (e) {
    if (e instanceof InputShapeError) throw new CliError(e.message);
    throw e;
  }
  for (const v of model.graph.inputs) {
    const t = v.type;
    if (isInitializer(v) || !t || t.kind !== "tensor") continue;
    const shape = resolved.inputs.get(v.name) ?? t.shape?.map((d) => (typeof d === "string" && resolved.symbols.has(d) ? resolved.symbols.get(d)! : d));
    if (shape) v.type = { ...t, shape: [...shape] };
  }
  return dynamicInputs(model);
}

/** Data inputs whose shape still has a symbolic or unknown dimension. */
export function dynamicInputs(model: Model): Value[] {
  return model.graph.inputs.filter((v) => !isInitializer(v) && v.type?.kind === "tensor"
    && (!v.type.shape || v.type.shape.some((d) => typeof d !== "number")));
}

/** The one-line message for inputs that are still dynamic, naming the flag to pass. */
export function dynamicInputsMessage(inputs: readonly Value[]): string {
  const shapeOf = (v: Value) => (v.type?.kind === "tensor" ? v.type.shape : undefined);
  const flags = inputs.map((v) => `--input-shape ${v.name}=${shapeOf(v)?.map((d) => (typeof d === "number" ? String(d) : "N")).join("x") ?? "DIMS"}`);
  const shown = inputs.map((v) => `'${v.name}' ${formatShape(shapeOf(v))}`);
  return `the model has dynamic input shapes (${shown.join(", ")}); placement needs concrete sizes: pass ${flags.join(" ")} (N = the size you will run with)`;
}
