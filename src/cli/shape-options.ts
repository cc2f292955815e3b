// `--input-shape NAME=DIMS` and `--batch N`, the same on every command: a leading symbolic
// (batch) dimension is bound to 1 or --batch with a one-line note; any other unknown dimension
// is refused with the flag to pass (passes/shapes/input-shapes.ts does the binding).
import type { Argv } from "yargs";
import type { Model } from "../../ir/model.ts";
import { batchNotes, bindLeadingBatch, concreteInputShapes, parseInputShapes, type InputShape } from "../../passes/shape-inference.ts";
import { CliError } from "./errors.ts";

export interface ShapeFlags { "input-shape"?: string[]; batch?: number }

export function withShapeFlags<T>(y: Argv<T>, batchDescription = "size of a leading symbolic (batch) dimension (default 1)"): Argv<T & ShapeFlags> {
  return y
    .option("input-shape", { type: "string", array: true, describe: "bind an input's shape, NAME=1x3x224x224 (repeatable)" })
    .option("batch", { type: "number", describe: batchDescription }) as unknown as Argv<T & ShapeFlags>;
}

/** --batch checked: a whole number >= 1, or undefined. */
export function batchFlag(flags: ShapeFlags): number | undefined {
  const b = flags.batch;
  if (b !== undefined && (!Number.isInteger(b) || b < 1)) throw new CliError(`--batch ${b}: expected a whole number >= 1`);
  return b;
}

/** The parsed --input-shape flags; every dim must have a size. */
export function inputShapeFlags(flags: ShapeFlags): InputShape[] {
  const shapes = parseInputShapes(flags["input-shape"] ?? []);
  concreteInputShapes(shapes);
  return shapes;
}

/** Binds the model's inputs from the flags (in place) and returns the notes to print. */
export function bindShapesFromFlags(model: Model, flags: ShapeFlags, batch = batchFlag(flags)): string[] {
  return batchNotes(bindLeadingBatch(model, inputShapeFlags(flags), batch ?? 1));
}

export function printNotes(notes: readonly string[]): void {
  for (const n of notes) process.stderr.write(`sparoa: note: ${n}\n`);
}
