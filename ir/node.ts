// A node: one operator application. Setting an input keeps the value's use list true.
import { Value } from "./value.ts";
import { Annotated } from "./annotated.ts";
import type { Graph } from "./graph.ts";
import { attributeGraphs, type Attribute } from "./attribute.ts";

export type { Annotation } from "./annotated.ts";

export class Node extends Annotated {
  opType: string;
  domain: string;
  name: string;
  overload = "";
  docString = "";
  readonly attributes = new Map<string, Attribute>();
  graph: Graph | null = null;
  /** The NodeProto it came from; export keeps fields the IR does not model (device configurations). */
  source: unknown;
  /**
   * Where the node came from in its file: the ordinal of its NodeProto over the whole model
   * (main graph first, then subgraphs as import meets them). Every load of the same file gives
   * each node the same origin, whatever passes removed or reordered since, so results computed
   * on one load can be matched to the nodes of another. Undefined for nodes a pass created.
   */
  origin: number | undefined;
  // Sized exactly at construction: a pushed-to empty array reserves 16 slots (~150 bytes).
  private inputList: (Value | null)[];
  private readonly outputList: Value[];

  constructor(opType: string, inputs: readonly (Value | null)[] = [], outputs: readonly Value[] = [],
    options: { domain?: string; name?: string } = {}) {
    super();
    this.opType = opType;
    this.domain = options.domain ?? "";
    this.name = options.name ?? "";
    this.inputList = inputs.slice();
    this.inputList.forEach((v, index) => v?.addUse({ node: this, index }));
    this.outputList = outputs.slice();
    this.outputList.forEach((v, i) => this.claimOutput(v, i));
  }

  get inputs(): readonly (Value | null)[] {
    return this.inputList;
  }

  get outputs(): readonly Value[] {
    return this.outputList;
  }

  /** `domain::OpType`, or just `OpType` for the default domain. */
  get qualifiedOp(): string {
    return this.domain === "" || this.domain === "ai.onnx" ? this.opType : `${this.domain}::${this.opType}`;
  }

  setInput(index: number, value: Value | null): void {
    const old = this.inputList[index];
    if (old) old.removeUse(this, index);
    this.inputList[index] = value;
    if (value) value.addUse({ node: this, index });
  }

  /** Internal (Value.replaceAllUsesWith): `from` has already dropped this use. */
  rewireInput(index: number, from: Value, to: Value | null): void {
    if (this.inputList[index] !== from) throw new Error(`node '${this.name}' input ${index} is not '${from.name}'`);
    this.inputList[index] = to;
    if (to) to.addUse({ node: this, index });
  }

  appendInput(value: Value | null): void {
    this.inputList.push(null);
    this.setInput(this.inputList.length - 1, value);
  }

  appendOutput(value: Value): void {
    this.claimOutput(value, this.outputList.length);
    this.outputList.push(value);
  }

  /** Replaces every input at once (the list is sized exactly; use lists are kept true). */
  setInputs(values: readonly (Value | null)[]): void {
    this.detachInputs();
    this.inputList = values.slice();
    this.inputList.forEach((v, index) => v?.addUse({ node: this, index }));
  }

  private claimOutput(value: Value, index: number): void {
    if (value.producer && value.producer !== this) {
      throw new Error(`value '${value.name}' is already produced by node '${value.producer.name}'`);
    }
    value.producer = this;
    value.outputIndex = index;
    value.graph = this.graph;
  }

  /** Unhooks the node from the values it reads (before removal). */
  detachInputs(): void {
    this.inputList.forEach((v, i) => v?.removeUse(this, i));
    this.inputList.length = 0;
  }

  /** Subgraphs held in attributes, in attribute order. */
  subgraphs(): Graph[] {
    const out: Graph[] = [];
    if (this.attributes.size === 0) return out;
    for (const a of this.attributes.values()) if (a.kind === "graph" || a.kind === "graphs") out.push(...attributeGraphs(a));
    return out;
  }

  attr(name: string): Attribute | undefined {
    return this.attributes.get(name);
  }

  setAttr(attr: Attribute): void {
    this.attributes.set(attr.name, attr);
  }
}
