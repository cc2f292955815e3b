// A value: one SSA name. It knows the node that produces it (none for graph inputs and
// initializers) and every (node, input index) that reads it, including nodes in subgraphs.
import type { Node } from "./node.ts";
import type { Graph } from "./graph.ts";
import type { SparseTensor, Tensor } from "./tensor.ts";
import type { ValueType } from "./types.ts";
import type { Annotation } from "./node.ts";

export interface Use { node: Node; index: number }

export class Value {
  name: string;
  type: ValueType | undefined;
  docString = "";
  /** ValueInfoProto.metadata_props */
  readonly metadata = new Map<string, string>();
  /** Analysis results about this value (e.g. `shape_source: "observed"`); shown in dumps. */
  readonly annotations = new Map<string, Annotation>();
  /** Set for initializers: the constant data. */
  initializer: Tensor | undefined;
  /** Set for sparse initializers: the sparse constant. */
  sparseInitializer: SparseTensor | undefined;
  /** The node that writes this value, and at which output; null for graph inputs and initializers. */
  producer: Node | null = null;
  outputIndex = -1;
  /** The graph whose scope defines this value. */
  graph: Graph | null = null;
  private readonly useList: Use[] = [];
  /** The ValueInfoProto it came from; export reuses it while the type is unchanged. */
  source: unknown;

  constructor(name: string, type?: ValueType) {
    this.name = name;
    this.type = type;
  }

  get uses(): readonly Use[] {
    return this.useList;
  }

  get isGraphInput(): boolean {
    return this.graph !== null && this.graph.inputs.includes(this);
  }

  get isGraphOutput(): boolean {
    return this.graph !== null && this.graph.outputs.includes(this);
  }

  /** Internal: maintained by Node when it wires its inputs. */
  addUse(use: Use): void {
    this.useList.push(use);
  }

  /** Internal: maintained by Node when it rewires its inputs. */
  removeUse(node: Node, index: number): void {
    const at = this.useList.findIndex((u) => u.node === node && u.index === index);
    if (at >= 0) this.useList.splice(at, 1);
  }

  /** Points every reader of this value (and graph outputs naming it) at `other` instead. */
  replaceAllUsesWith(other: Value): void {
    for (const { node, index } of [...this.useList]) node.setInput(index, other);
    const g = this.graph;
    if (g) g.outputs.forEach((v, i) => { if (v === this) g.outputs[i] = other; });
  }
}
