// `--input-shape NAME=1x3x224x224`: binds a model input's dynamic dimensions. A named
// dimension bound through one input ("batch" = 1) is bound in every other input that uses the
// same name. Inputs still dynamic afterwards are reported with the flag that would fix them.
import type { Model } from "../../ir/model.ts";
import { didYouMean } from "../../ir/names.ts";
import { formatShape } from "../../ir/types.ts";
import type { Value } from "../../ir/value.ts";
import { isInitializer } from "../../passes/node-roles.ts";
import { CliError } from "./errors.ts";

/** Parses the flag values (each may hold several bindings separated by commas or spaces). */
export function parseInputShapes(flags: readonly string[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const item of flags.flatMap((f) => f.split(/[,\s]+/)).filter((s) => s !== "")) {
    const at = item.lastIndexOf("=");
    const dims = at > 0 ? item.slice(at + 1).split(/x/i) : [];
    if (at <= 0 || dims.some((d) => !/^\d+$/.test(d))) throw new CliError(`--input-shape '${item}': expected NAME=DIMS such as input=1x3x224x224`);
    out.set(item.slice(0, at), dims.map(Number));
  }
  return out;
}

/**
 * Applies bindings to the model's data inputs (in place); returns the inputs still dynamic.
 * Bind a copy used for analysis: emitting from bound types can make onnxruntime reject a model
 * whose untaken If branch only type-checks with dynamic sizes (Silero VAD does this).
 */
export function bindInputShapes(model: Model, bindings: ReadonlyMap<string, number[]>): Value[] {
  const inputs = model.graph.inputs.filter((v) => !isInitializer(v));
  const byName = new Map(inputs.map((v) => [v.name, v]));
  const symbols = new Map<string, number>();
  for (const [name, dims] of bindings) {
    const v = byName.get(name);
    if (!v) throw new CliError(`--input-shape ${name}: the model has no input '${name}'${didYouMean(name, byName.keys())}; its inputs: ${[...byName.keys()].join(", ")}`);
    const t = v.type;
    if (!t || t.kind !== "tensor") throw new CliError(`--input-shape ${name}: input '${name}' is not a tensor`);
    const shape = t.shape;
    if (shape && shape.length !== dims.length) throw new CliError(`--input-shape ${name}: ${dims.length} dimensions given, input '${name}' has rank ${shape.length} ${formatShape(shape)}`);
    shape?.forEach((d, i) => {
      if (typeof d === "number" && d !== dims[i]) throw new CliError(`--input-shape ${name}: dimension ${i} of input '${name}' is fixed at ${d}, ${dims[i]} given`);
      if (typeof d === "string") {
        const seen = symbols.get(d);
        if (seen !== undefined && seen !== dims[i]) throw new CliError(`--input-shape: dimension '${d}' bound to both ${seen} and ${dims[i]}`);
        symbols.set(d, dims[i]!);
      }
    });
    v.type = { ...t, shape: [...dims] };
  }
  for (const v of inputs) {
    const t = v.type;
    if (bindings.has(v.name) || !t || t.kind !== "tensor" || !t.shape) continue;
    if (!t.shape.some((d) => typeof d === "string" && symbols.has(d))) continue;
    v.type = { ...t, shape: t.shape.map((d) => (typeof d === "string" && symbols.has(d) ? symbols.get(d)! : d)) };
  }
  return inputs.filter((v) => v.type?.kind === "tensor" && (!v.type.shape || v.type.shape.some((d) => typeof d !== "number")));
}

/** The one-line message for inputs that are still dynamic, naming the flag to pass. */
export function dynamicInputsMessage(inputs: readonly Value[]): string {
  const flags = inputs.map((v) => {
    const shape = v.type?.kind === "tensor" ? v.type.shape : undefined;
    return `--input-shape ${v.name}=${shape ? shape.map((d) => (typeof d === "number" ? String(d) : "N")).join("x") : "DIMS"}`;
  });
  const shown = inputs.map((v) => `'${v.name}' ${formatShape(v.type?.kind === "tensor" ? v.type.shape : undefined)}`);
  return `the model has dynamic input shapes (${shown.join(", ")}); placement needs concrete sizes: pass ${flags.join(" ")} (N = the size you will run with)`;
}
