// The builder: creates nodes with fresh unique names at an insertion point, and replaces or
// removes them while keeping every value's producer and use list true.
import { Graph } from "./graph.ts";
import { Node } from "./node.ts";
import { Value } from "./value.ts";
import type { Attribute } from "./attribute.ts";
import type { Tensor } from "./tensor.ts";
import type { ValueType } from "./types.ts";

export interface OpOptions {
  attributes?: Attribute[];
  /** Output count, or explicit output names. Default: one output. */
  outputs?: number | string[];
  name?: string;
  domain?: string;
}

export class Builder {
  private before: Node | null = null;
  private readonly taken = new Set<string>();
  private counter = 0;

  constructor(readonly graph: Graph) {
    for (const g of graph.allGraphs()) {
      for (const v of g.definedValues()) this.taken.add(v.name);
      for (const n of g.nodes) this.taken.add(n.name);
    }
  }

  /** New nodes go before `node` (null: at the end). */
  setInsertionPoint(node: Node | null): void {
    this.before = node;
  }

  input(name: string, type?: ValueType): Value {
    return this.graph.addInput(new Value(this.unique(name), type));
  }

  initializer(tensor: Tensor): Value {
    tensor.name = this.unique(tensor.name);
    return this.graph.addInitializer(tensor);
  }

  output(value: Value): void {
    this.graph.outputs.push(value);
  }

  op(opType: string, inputs: readonly (Value | null)[], options: OpOptions = {}): Node {
    const name = this.unique(options.name ?? opType);
    const outNames = typeof options.outputs === "object" ? options.outputs : Array.from({ length: options.outputs ?? 1 }, (_, i) => `${name}_out${i}`);
    const node = new Node(opType, inputs, outNames.map((n) => new Value(this.unique(n))), { name, domain: options.domain });
    for (const a of options.attributes ?? []) node.setAttr(a);
    if (this.before) this.graph.insertBefore(node, this.before);
    else this.graph.appendNode(node);
    return node;
  }

  /** Single-output shorthand. */
  op1(opType: string, inputs: readonly (Value | null)[], options: Omit<OpOptions, "outputs"> = {}): Value {
    return this.op(opType, inputs, options).outputs[0]!;
  }

  /** Redirects readers of `old`'s outputs to `replacements` (same arity) and removes `old`. */
  replaceNode(old: Node, replacements: readonly Value[]): void {
    if (replacements.length !== old.outputs.length) {
      throw new Error(`replacing '${old.name}': ${old.outputs.length} outputs, ${replacements.length} replacements`);
    }
    old.outputs.forEach((v, i) => v.replaceAllUsesWith(replacements[i]!));
    this.graph.removeNode(old);
  }

  removeNode(node: Node): void {
    this.graph.removeNode(node);
  }

  /** `base`, or `base_N` for the first N that is free. */
  unique(base: string): string {
    let name = base;
    while (this.taken.has(name)) name = `${base}_${++this.counter}`;
    this.taken.add(name);
    return name;
  }
}
