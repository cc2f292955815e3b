// Binding input shapes: `NAME=1x3x224x224` (CLI `--input-shape`, repeatable) or, inside a
// pipeline string where commas separate options, `shape-inference{input-shape=x=1x3x224x224;y=2x4}`.
// `NAME:DIMS` is accepted too when the name has no '='. A dim may be `?` to keep what the model
// declares. Binding an input's symbolic dim binds that symbol everywhere (e.g. `batch` in
// every input and value_info that uses it).
import { SparoaError } from "../../ir/sparoa-error.ts";
import { MAX_DIM } from "../../ir/random.ts";
import { didYouMean } from "../../ir/names.ts";
import type { Graph } from "../../ir/graph.ts";
import type { Model } from "../../ir/model.ts";
import type { Value } from "../../ir/value.ts";
import { formatShape, type Dim } from "../../ir/types.ts";

export class InputShapeError extends SparoaError {}

export interface InputShape { name: string; dims: (number | null)[] }

/** Parses one or more specs (each may hold several entries separated by ';', or ',' outside pipeline strings). */
export function parseInputShapes(specs: string | readonly string[]): InputShape[] {
  const entries = (typeof specs === "string" ? [specs] : specs).flatMap((spec) => {
    const parts = spec.split(/[;,]/).map((s) => s.trim()).filter((s) => s !== "");
    // `x=64,256`: a comma inside the dims (it separates inputs); quote the whole of what was typed.
    const stray = parts.find((p, i) => i > 0 && !/[=:]/.test(p));
    if (stray !== undefined) {
      throw new InputShapeError(`--input-shape '${spec}': '${stray}' names no input; dims are separated by 'x' (${spec.replace(/\s*,\s*(?=[^=:,;]*(?:[;,]|$))/g, "x")}), inputs by ';'`);
    }
    return parts;
  });
  const seen = new Set<string>();
  return entries.map((entry) => {
    const eq = entry.lastIndexOf("=");
    const at = eq >= 0 ? eq : entry.lastIndexOf(":");
    if (at <= 0) throw new InputShapeError(`input shape '${entry}' must look like NAME=1x3x224x224`);
    const name = entry.slice(0, at).trim();
    const text = entry.slice(at + 1).trim();
    const dims = text === "" || text === "scalar" ? [] : text.split(/x/i).map((d) => {
      const t = d.trim();
      if (t === "?") return null;
      if (!/^\d+$/.test(t)) throw new InputShapeError(`input shape '${entry}': dim '${t}' is not a non-negative integer or '?'`);
      if (Number(t) > MAX_DIM) throw new InputShapeError(`input shape '${entry}': dim ${t} is over the limit of ${MAX_DIM} for one dimension`);
      return Number(t);
    });
    if (seen.has(name)) throw new InputShapeError(`input shape for '${name}' is given twice`);
    seen.add(name);
    return { name, dims };
  });
}

/** The spec text of parsed shapes, for building a pipeline option from CLI flags. */
export function formatInputShapes(shapes: readonly InputShape[]): string {
  return shapes.map((s) => `${s.name}=${s.dims.length === 0 ? "scalar" : s.dims.map((d) => (d === null ? "?" : String(d))).join("x")}`).join(";");
}

export interface Binding {
  /** New shapes for the graph inputs named. */
  inputs: Map<string, Dim[]>;
  /** Symbolic dims fixed by the binding. */
  symbols: Map<string, number>;
}

/**
 * Checks shapes against the graph's real (non-initializer) inputs and works out which symbols
 * they fix. Throws InputShapeError with a one-line message naming the input.
 */
export function resolveInputShapes(graph: Graph, shapes: readonly InputShape[]): Binding {
  const real = graph.inputs.filter((v) => !graph.initializers.has(v.name));
  const byName = new Map(real.map((v) => [v.name, v]));
  const symbols = new Map<string, number>();
  const boundBy = new Map<string, string>();
  const inputs = new Map<string, Dim[]>();
  for (const { name, dims } of shapes) {
    const v = byName.get(name);
    if (!v) {
      throw new InputShapeError(`--input-shape names '${name}', which is not an input of the model${didYouMean(name, byName.keys())}; inputs: ${real.map((r) => r.name).join(", ") || "(none)"}`);
    }
    const declared = v.type?.kind === "tensor" ? v.type.shape : undefined;
    if (declared && declared.length !== dims.length) {
      throw new InputShapeError(`--input-shape '${name}' gives ${dims.length} dims, but the input has rank ${declared.length} ${formatShape(declared)}`);
    }
    const shape: Dim[] = dims.map((d, i) => {
      const was = declared?.[i] ?? null;
      if (d === null) return was;
      if (typeof was === "number" && was !== d) {
        throw new InputShapeError(`--input-shape '${name}': dim ${i} is fixed to ${was} by the model ${formatShape(declared)}, cannot bind it to ${d}`);
      }
      if (typeof was === "string") {
        const prior = symbols.get(was);
        if (prior !== undefined && prior !== d) {
          throw new InputShapeError(`--input-shape '${name}': dim '${was}' is bound to ${prior} by '${boundBy.get(was)}' and to ${d} here`);
        }
        symbols.set(was, d);
        boundBy.set(was, name);
      }
      return d;
    });
    inputs.set(name, shape);
  }
  return { inputs, symbols };
}

/** Sizes for every dim, for callers that need concrete shapes (calibration data, plans): '?' is refused. */
export function concreteInputShapes(shapes: readonly InputShape[]): Map<string, number[]> {
  return new Map(shapes.map(({ name, dims }) => {
    if (dims.some((d) => d === null)) throw new InputShapeError(`--input-shape ${name}: every dimension needs a size here ('?' is not allowed)`);
    return [name, dims as number[]];
  }));
}

/**
 * Writes the bindings into the model's input types (in place), symbols included: a named dim
 * bound through one input is bound in every input that uses it. Returns the inputs still dynamic.
 */
export function applyInputShapes(model: Model, shapes: readonly InputShape[]): Value[] {
  const resolved = resolveInputShapes(model.graph, shapes);
  for (const v of model.graph.inputs) {
    const t = v.type;
    if (v.initializer || !t || t.kind !== "tensor") continue;
    const shape = resolved.inputs.get(v.name) ?? t.shape?.map((d) => (typeof d === "string" && resolved.symbols.has(d) ? resolved.symbols.get(d)! : d));
    if (shape) v.type = { ...t, shape: [...shape] };
  }
  return dynamicInputs(model);
}

/** Data inputs whose shape still has a symbolic or unknown dimension. */
export function dynamicInputs(model: Model): Value[] {
  return model.graph.inputs.filter((v) => !v.initializer && v.type?.kind === "tensor"
    && (!v.type.shape || v.type.shape.some((d) => typeof d !== "number")));
}

/** The one-line message for inputs that are still dynamic, naming the flag to pass. */
export function dynamicInputsMessage(inputs: readonly Value[]): string {
  const shapeOf = (v: Value) => (v.type?.kind === "tensor" ? v.type.shape : undefined);
  const flags = inputs.map((v) => `--input-shape ${v.name}=${shapeOf(v)?.map((d) => (typeof d === "number" ? String(d) : "N")).join("x") ?? "DIMS"}`);
  const shown = inputs.map((v) => `'${v.name}' ${formatShape(shapeOf(v))}`);
  return `the model has dynamic input shapes (${shown.join(", ")}); placement needs concrete sizes: pass ${flags.join(" ")} (N = the size you will run with)`;
}

/** What `bindLeadingBatch` fixed: the size per symbol (or per input for an unnamed dim), for notes. */
export interface BatchBinding { batch: number; bound: { symbol: string | null; input: string }[] }

/**
 * The one behaviour every command has for dynamic inputs: `shapes` (--input-shape) first; then a
 * leading dimension still symbolic or unknown is the batch and is bound to `batch` (default 1) in
 * every input that uses it; any other unknown dimension is refused, naming the input, the axis
 * and the flag to pass. Writes the model's input types in place.
 */
export function bindLeadingBatch(model: Model, shapes: readonly InputShape[], batch = 1): BatchBinding {
  applyInputShapes(model, shapes);
  const bound: BatchBinding["bound"] = [];
  const leading = new Map<string, number>();
  for (const v of dynamicInputs(model)) {
    const t = v.type;
    if (t?.kind !== "tensor" || !t.shape || t.shape.length === 0) continue;
    const d = t.shape[0];
    if (typeof d === "number") continue;
    if (typeof d === "string") {
      if (!leading.has(d)) bound.push({ symbol: d, input: v.name });
      leading.set(d, batch);
    } else {
      bound.push({ symbol: null, input: v.name });
      v.type = { ...t, shape: [batch, ...t.shape.slice(1)] };
    }
  }
  if (leading.size > 0) {
    for (const v of model.graph.inputs) {
      const t = v.type;
      if (v.initializer || t?.kind !== "tensor" || !t.shape) continue;
      v.type = { ...t, shape: t.shape.map((d) => (typeof d === "string" && leading.has(d) ? leading.get(d)! : d)) };
    }
  }
  const still = dynamicInputs(model);
  if (still.length > 0) {
    const v = still[0]!;
    const shape = v.type?.kind === "tensor" ? v.type.shape : undefined;
    if (!shape) throw new InputShapeError(`input '${v.name}' has no declared shape; pass --input-shape ${v.name}=DxDx...`);
    const axis = shape.findIndex((d) => typeof d !== "number");
    const what = typeof shape[axis] === "string" ? `dimension '${shape[axis]}'` : "an unknown dimension";
    const example = shape.map((d) => (typeof d === "number" ? String(d) : "SIZE")).join("x");
    throw new InputShapeError(`input '${v.name}' ${formatShape(shape)} has ${what} at axis ${axis} that is not the batch; pass --input-shape ${v.name}=${example} with the size you will run with`);
  }
  return { batch, bound };
}

/** One line per dimension `bindLeadingBatch` bound, saying how to choose another size. */
export function batchNotes(b: BatchBinding): string[] {
  return b.bound.map(({ symbol, input }) => `${symbol === null ? "the unnamed leading dimension" : `dimension '${symbol}'`} of input '${input}' taken as the batch and bound to ${b.batch}${b.batch === 1 ? " (--batch N or --input-shape to choose another size)" : " (--batch)"}`);
}
