// What shape rules see and return. A rule reads its node's inputs as TensorInfo (element type,
// shape, and for small tensors the known elements) and returns one TensorInfo per output, or
// undefined where it cannot decide. Known elements let shape-computing subgraphs fold
// (Shape -> Gather -> Concat -> Reshape) without running anything.
import { SparoaError } from "../../ir/sparoa-error.ts";
import type { Attribute } from "../../ir/attribute.ts";
import type { Graph } from "../../ir/graph.ts";
import type { Node } from "../../ir/node.ts";
import type { Dim } from "../../ir/types.ts";
import type { Value } from "../../ir/value.ts";

/** What inference knows about one tensor value. */
export interface TensorInfo {
  elemType: number | undefined;
  /** undefined: the rank is unknown. */
  shape: Dim[] | undefined;
  /**
   * Known elements in row-major order (only for small tensors): numbers, symbolic dimension
   * names (from Shape of a symbolic input), or null for an element nobody knows.
   */
  value?: Dim[];
}

/** Tensors with more elements than this do not carry their elements (shape tensors are tiny). */
export const MAX_TRACKED_ELEMENTS = 4096;

/** A rule found the node inconsistent (shapes that cannot broadcast, a bad axis): a warning, not a crash. */
export class ShapeError extends SparoaError {
  // Not user-facing: a signal shape inference turns into a warning and an annotation, never shown as an error.
  constructor(message: string) { super(message, { userFacing: false }); }
}

/** Infers a subgraph given the infos of its formal inputs; returns the infos of its outputs. */
export type SubgraphInference = (graph: Graph, inputs: (TensorInfo | undefined)[]) => (TensorInfo | undefined)[];

export class RuleContext {
  constructor(
    readonly node: Node,
    /** The opset version of the node's domain. */
    readonly opset: number,
    private readonly lookup: (v: Value) => TensorInfo | undefined,
    readonly inferSubgraph: SubgraphInference,
  ) {}

  get inputCount(): number {
    return this.node.inputs.length;
  }

  /** Whether optional input i is given (present and named). */
  has(i: number): boolean {
    const v = this.node.inputs[i];
    return v !== undefined && v !== null && v.name !== "";
  }

  input(i: number): TensorInfo | undefined {
    const v = this.node.inputs[i];
    return v && v.name !== "" ? this.lookup(v) : undefined;
  }

  shape(i: number): Dim[] | undefined {
    return this.input(i)?.shape;
  }

  rank(i: number): number | undefined {
    return this.input(i)?.shape?.length;
  }

  dtype(i: number): number | undefined {
    return this.input(i)?.elemType;
  }

  /** Known elements of input i (entries may be symbols or null). */
  value(i: number): Dim[] | undefined {
    return this.input(i)?.value;
  }

  /** Elements of input i when every one is a known number. */
  numbers(i: number): number[] | undefined {
    const v = this.value(i);
    return v && v.every((x) => typeof x === "number") ? (v as number[]) : undefined;
  }

  attr(name: string): Attribute | undefined {
    return this.node.attr(name);
  }

  int(name: string, fallback: number): number;
  int(name: string): number | undefined;
  int(name: string, fallback?: number): number | undefined {
    const a = this.node.attr(name);
    return a?.kind === "int" ? Number(a.value) : fallback;
  }

  ints(name: string): number[] | undefined {
    const a = this.node.attr(name);
    return a?.kind === "ints" ? a.value.map(Number) : undefined;
  }

  float(name: string, fallback: number): number {
    const a = this.node.attr(name);
    return a?.kind === "float" ? a.value : fallback;
  }

  floats(name: string): number[] | undefined {
    const a = this.node.attr(name);
    return a?.kind === "floats" ? a.value : undefined;
  }

  string(name: string, fallback: string): string {
    const a = this.node.attr(name);
    return a?.kind === "string" ? a.value : fallback;
  }
}

export type ShapeRule = (ctx: RuleContext) => (TensorInfo | undefined)[] | undefined;

/** Rules by op type (default ONNX domain). */
export type RuleTable = Record<string, ShapeRule>;

export function info(elemType: number | undefined, shape: Dim[] | undefined, value?: Dim[]): TensorInfo {
  return value === undefined ? { elemType, shape } : { elemType, shape, value };
}
