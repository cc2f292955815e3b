// Arithmetic on dimensions that may be numbers, symbolic names or unknown (null), and
// ONNX's multidirectional (numpy) broadcasting.
import type { Dim } from "../../ir/types.ts";
import { ShapeError } from "./context.ts";

export function isKnown(d: Dim): d is number {
  return typeof d === "number";
}

export function allKnown(shape: readonly Dim[]): shape is number[] {
  return shape.every(isKnown);
}

export function product(values: readonly number[]): number {
  return values.reduce((a, b) => a * b, 1);
}

/** Product of dims: a number when all are known; the symbol when it is the only non-1 dim; else null. */
export function dimProduct(dims: readonly Dim[]): Dim {
  let n = 1;
  let symbol: Dim | undefined;
  for (const d of dims) {
    if (typeof d === "number") n *= d;
    else if (symbol === undefined && d !== null) symbol = d;
    else return n === 0 ? 0 : null;
  }
  if (symbol === undefined) return n;
  if (n === 0) return 0;
  return n === 1 ? symbol : null;
}

/** Normalises a possibly negative axis against a rank; throws ShapeError when out of range. */
export function axis(a: number, rank: number): number {
  const r = a < 0 ? a + rank : a;
  if (r < 0 || r >= rank) throw new ShapeError(`axis ${a} is out of range for rank ${rank}`);
  return r;
}

/** One broadcast dimension from several (right-aligned) dims. */
function broadcastDim(dims: readonly Dim[]): Dim {
  let number: number | undefined;
  let symbol: string | undefined;
  let unknown = false;
  for (const d of dims) {
    if (d === 1) continue;
    if (typeof d === "number") {
      if (number !== undefined && number !== d) throw new ShapeError(`dimensions ${number} and ${d} cannot broadcast`);
      number = d;
    } else if (d === null) unknown = true;
    else if (symbol === undefined) symbol = d;
    else if (symbol !== d) unknown = true;
  }
  // A concrete size other than 1 wins: any valid partner is 1 or equal to it.
  if (number !== undefined) return number;
  if (unknown) return null;
  return symbol ?? 1;
}

/** numpy-style broadcast of several shapes. */
export function broadcastShapes(shapes: readonly (readonly Dim[])[]): Dim[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const dims = shapes.map((s) => s[s.length - rank + i]).filter((d): d is Dim => d !== undefined);
    out.push(broadcastDim(dims));
  }
  return out;
}

/** Dims two alternatives agree on (If branches, loop iterations): equal ones stay, others become unknown. */
export function mergeShapes(a: readonly Dim[] | undefined, b: readonly Dim[] | undefined): Dim[] | undefined {
  if (a === undefined || b === undefined || a.length !== b.length) return undefined;
  return a.map((d, i) => (d === b[i] ? d : null));
}

/** Fills unknown dims of `inferred` from `declared` (same rank); inferred known dims win. */
export function refineShape(inferred: readonly Dim[] | undefined, declared: readonly Dim[] | undefined): Dim[] | undefined {
  if (inferred === undefined) return declared ? [...declared] : undefined;
  if (declared === undefined || declared.length !== inferred.length) return [...inferred];
  return inferred.map((d, i) => (d === null ? declared[i]! : d));
}

/** Strides of a row-major shape. */
export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}

/** Element-wise op on known elements with broadcasting; undefined when shapes are not all known. */
export function broadcastValues(
  inputs: readonly { shape: readonly Dim[]; value: readonly Dim[] }[],
  fn: (xs: Dim[]) => Dim,
): { shape: number[]; value: Dim[] } | undefined {
  if (!inputs.every((x) => allKnown(x.shape))) return undefined;
  const shape = broadcastShapes(inputs.map((x) => x.shape)) as number[];
  if (!allKnown(shape)) return undefined;
  const total = product(shape);
  const outStrides = strides(shape);
  const inStrides = inputs.map((x) => {
    const own = strides(x.shape as number[]);
    const offset = shape.length - x.shape.length;
    return shape.map((_, i) => (i < offset || x.shape[i - offset] === 1 ? 0 : own[i - offset]!));
  });
  const value: Dim[] = [];
  for (let flat = 0; flat < total; flat++) {
    const xs = inputs.map((x, k) => {
      let index = 0;
      let rest = flat;
      for (let i = 0; i < shape.length; i++) {
        const coord = Math.floor(rest / outStrides[i]!);
        rest -= coord * outStrides[i]!;
        index += coord * inStrides[k]![i]!;
      }
      return x.value[index] ?? null;
    });
    value.push(fn(xs));
  }
  return { shape, value };
}

/** Substitutes bound symbols in a shape. */
export function bindSymbols(shape: readonly Dim[], bindings: ReadonlyMap<string, number>): Dim[] {
  return shape.map((d) => (typeof d === "string" && bindings.has(d) ? bindings.get(d)! : d));
}
