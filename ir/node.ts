// A node: one operator application. Setting an input keeps the value's use list true.
import { Value } from "./value.ts";
import type { Graph } from "./graph.ts";
import { attributeGraphs, type Attribute } from "./attribute.ts";

/** What passes attach to nodes: shapes, costs, sparsity, device. Shown in dumps. */
export type Annotation = string | number | boolean | readonly number[];

export class Node {
  opType: string;
  domain: string;
  name: string;
  overload = "";
  docString = "";
  readonly attributes = new Map<string, Attribute>();
  /** NodeProto.metadata_props: written to the file as they are. */
  readonly metadata = new Map<string, string>();
  /** Analysis results; in-memory, printed in dumps, exported only when asked. */
  readonly annotations = new Map<string, Annotation>();
  graph: Graph | null = null;
  /** The NodeProto it came from; export keeps fields the IR does not model (device configurations). */
  source: unknown;
  private readonly inputList: (Value | null)[] = [];
  private readonly outputList: Value[] = [];

  constructor(opType: string, inputs: readonly (Value | null)[] = [], outputs: readonly Value[] = [],
    options: { domain?: string; name?: string } = {}) {
    this.opType = opType;
    this.domain = options.domain ?? "";
    this.name = options.name ?? "";
    inputs.forEach((v) => this.appendInput(v));
    outputs.forEach((v) => this.appendOutput(v));
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

  appendInput(value: Value | null): void {
    this.inputList.push(null);
    this.setInput(this.inputList.length - 1, value);
  }

  appendOutput(value: Value): void {
    if (value.producer && value.producer !== this) {
      throw new Error(`value '${value.name}' is already produced by node '${value.producer.name}'`);
    }
    value.producer = this;
    value.outputIndex = this.outputList.length;
    value.graph = this.graph;
    this.outputList.push(value);
  }

  /** Unhooks the node from the values it reads (before removal). */
  detachInputs(): void {
    this.inputList.forEach((v, i) => v?.removeUse(this, i));
    this.inputList.length = 0;
  }

  /** Subgraphs held in attributes, in attribute order. */
  subgraphs(): Graph[] {
    return [...this.attributes.values()].flatMap(attributeGraphs);
  }

  attr(name: string): Attribute | undefined {
    return this.attributes.get(name);
  }

  setAttr(attr: Attribute): void {
    this.attributes.set(attr.name, attr);
  }
}
