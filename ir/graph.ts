// A graph: ordered nodes, its inputs, outputs and initializers, and the node that owns it
// when it is a subgraph (If/Loop/Scan body), so outer-scope names resolve through `parent`.
import { Value } from "./value.ts";
import type { Node } from "./node.ts";
import type { Tensor } from "./tensor.ts";

export class Graph {
  name: string;
  docString = "";
  readonly inputs: Value[] = [];
  readonly outputs: Value[] = [];
  readonly initializers = new Map<string, Value>();
  readonly sparseInitializers: Value[] = [];
  readonly metadata = new Map<string, string>();
  /** Values that had a value_info entry in the file, in file order; export writes them first. */
  readonly valueInfoOrder: Value[] = [];
  /** GraphProto.quantization_annotation entries, carried untouched. */
  quantizationAnnotations: unknown[] = [];
  /** The ValueInfoProto each output had in the file (it may differ from the value's value_info). */
  readonly outputSources = new Map<Value, unknown>();
  /** The node whose attribute holds this graph; null for a model's main graph. */
  parent: Node | null = null;
  source: unknown;
  private nodeList: Node[] = [];

  constructor(name = "") {
    this.name = name;
  }

  get nodes(): readonly Node[] {
    return this.nodeList;
  }

  addInput(value: Value): Value {
    value.graph = this;
    this.inputs.push(value);
    return value;
  }

  addInitializer(tensor: Tensor, value = new Value(tensor.name)): Value {
    value.initializer = tensor;
    value.graph = this;
    value.type ??= { kind: "tensor", elemType: tensor.dtype, shape: [...tensor.dims] };
    this.initializers.set(value.name, value);
    return value;
  }

  appendNode(node: Node): Node {
    this.adopt(node);
    this.nodeList.push(node);
    return node;
  }

  insertBefore(node: Node, before: Node): Node {
    const at = this.nodeList.indexOf(before);
    if (at < 0) throw new Error(`node '${before.name}' is not in graph '${this.name}'`);
    this.adopt(node);
    this.nodeList.splice(at, 0, node);
    return node;
  }

  /** Removes nodes whose outputs nobody reads; throws naming the first value still in use. */
  removeNodes(nodes: Iterable<Node>): void {
    const doomed = new Set(nodes);
    for (const node of doomed) {
      for (const out of node.outputs) {
        const liveUse = out.uses.find((u) => !doomed.has(u.node));
        if (liveUse) throw new Error(`cannot remove node '${node.name}': output '${out.name}' is read by '${liveUse.node.name}'`);
        if (this.outputs.includes(out)) throw new Error(`cannot remove node '${node.name}': output '${out.name}' is a graph output`);
      }
    }
    for (const node of doomed) {
      node.detachInputs();
      node.graph = null;
      for (const out of node.outputs) out.graph = null;
    }
    this.nodeList = this.nodeList.filter((n) => !doomed.has(n));
  }

  removeNode(node: Node): void {
    this.removeNodes([node]);
  }

  /** Replaces the node order (same set of nodes), e.g. after a topological sort. */
  reorder(order: readonly Node[]): void {
    if (order.length !== this.nodeList.length || order.some((n) => n.graph !== this)) {
      throw new Error(`reorder of graph '${this.name}' must keep the same nodes`);
    }
    this.nodeList = [...order];
  }

  /** Every value this graph's scope defines: inputs, initializers, node outputs. */
  *definedValues(): Iterable<Value> {
    yield* this.inputs;
    // Initializers that are also inputs (IR < 4) were yielded as inputs.
    const inputs = this.inputs.length > 8 ? new Set(this.inputs) : this.inputs;
    const isInput = (v: Value) => (inputs instanceof Set ? inputs.has(v) : inputs.includes(v));
    for (const v of this.initializers.values()) if (!isInput(v)) yield v;
    yield* this.sparseInitializers;
    for (const n of this.nodeList) yield* n.outputs;
  }

  /** Name -> value over this graph's own scope (outer scopes not included). */
  valuesByName(): Map<string, Value> {
    const map = new Map<string, Value>();
    for (const v of this.definedValues()) if (v.name !== "") map.set(v.name, v);
    return map;
  }

  /** This graph and, depth first, every subgraph under it; iterative, so deep nesting is safe. */
  *allGraphs(): Iterable<Graph> {
    const stack: Graph[] = [this];
    while (stack.length > 0) {
      const g = stack.pop()!;
      yield g;
      for (let i = g.nodeList.length - 1; i >= 0; i--) stack.push(...g.nodeList[i]!.subgraphs().reverse());
    }
  }

  /** Nodes of this graph and all its subgraphs. */
  *allNodes(): Iterable<Node> {
    for (const g of this.allGraphs()) yield* g.nodeList;
  }

  private adopt(node: Node): void {
    if (node.graph && node.graph !== this) throw new Error(`node '${node.name}' already belongs to graph '${node.graph.name}'`);
    node.graph = this;
    for (const out of node.outputs) out.graph = this;
    for (const sub of node.subgraphs()) sub.parent = node;
  }
}
