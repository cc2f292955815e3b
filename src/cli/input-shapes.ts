// Dynamic model inputs after --input-shape: placement needs concrete sizes, so optimize stops
// with the flag that would fix each input.
import type { Model } from "../../ir/model.ts";
import { formatShape } from "../../ir/types.ts";
import type { Value } from "../../ir/value.ts";
import { isInitializer } from "../../passes/node-roles.ts";

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
