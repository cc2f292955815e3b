// What a cost formula sees and returns. Formulas compute the arithmetic (FLOPs, MACs) of one
// node from static shapes and attributes; the pass adds the byte traffic, which follows one
// rule for every op (each input read once, each output written once).
import { SparoaError } from "../../ir/sparoa-error.ts";
import type { Attribute } from "../../ir/attribute.ts";
import type { Node } from "../../ir/node.ts";
import type { Value } from "../../ir/value.ts";
import { staticSize } from "../../ir/types.ts";

/** The arithmetic of one node. MACs are only counted for contractions (dot products). */
export interface Arithmetic {
  flops: number;
  macs: number;
}

/** Why a formula could not price a node; the pass turns this into cost_unknown plus a warning. */
export class CostUnknown extends SparoaError {
  // Not user-facing: a signal the cost pass turns into a warning, never shown as an error.
  constructor(message: string) { super(message, { userFacing: false }); }
}

/** Computes a node's arithmetic; throws CostUnknown when it cannot. */
export type CostFormula = (node: Node) => Arithmetic;

export const ZERO: Arithmetic = { flops: 0, macs: 0 };

/** `flops` operations, no MACs. */
export function ops(flops: number): Arithmetic {
  return { flops, macs: 0 };
}

/** A contraction of `macs` multiply-adds (2 FLOPs each) plus `extra` other operations. */
export function contraction(macs: number, extra = 0): Arithmetic {
  return { flops: 2 * macs + extra, macs };
}

/** The static shape of a value, from its type or its initializer; CostUnknown if not fully known. */
export function shapeOf(value: Value | null | undefined, what = "input"): number[] {
  if (!value) throw new CostUnknown(`${what} is absent`);
  if (value.initializer) return [...value.initializer.dims];
  const t = value.type;
  if (t?.kind !== "tensor" || t.shape === undefined) throw new CostUnknown(`shape of '${value.name}' is unknown`);
  if (staticSize(t.shape) === undefined) throw new CostUnknown(`shape of '${value.name}' is not static (${t.shape.map((d) => d ?? "?").join("x")})`);
  return t.shape as number[];
}

export function sizeOf(value: Value | null | undefined, what = "input"): number {
  return product(shapeOf(value, what));
}

export function product(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

export function input(node: Node, index: number): Value | null {
  const v = node.inputs[index];
  return v && v.name !== "" ? v : null;
}

export function output(node: Node, index = 0): Value {
  const v = node.outputs[index];
  if (!v || v.name === "") throw new CostUnknown(`output ${index} is absent`);
  return v;
}

export function intAttr(node: Node, name: string, fallback: number): number {
  const a = node.attr(name);
  return a?.kind === "int" ? Number(a.value) : fallback;
}

export function floatAttr(node: Node, name: string, fallback: number): number {
  const a = node.attr(name);
  return a?.kind === "float" ? a.value : fallback;
}

export function intsAttr(node: Node, name: string): number[] | undefined {
  const a: Attribute | undefined = node.attr(name);
  return a?.kind === "ints" ? a.value.map(Number) : undefined;
}

export function stringAttr(node: Node, name: string, fallback: string): string {
  const a = node.attr(name);
  return a?.kind === "string" ? a.value : fallback;
}

/** Number of present, named inputs. */
export function presentInputCount(node: Node): number {
  return node.inputs.filter((v) => v && v.name !== "").length;
}
