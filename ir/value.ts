// A value: one SSA name. It knows the node that produces it (none for graph inputs and
// initializers) and every (node, input index) that reads it, including nodes in subgraphs.
import type { Node } from "./node.ts";
import type { Graph } from "./graph.ts";
import type { SparseTensor, Tensor } from "./tensor.ts";
import type { ValueType } from "./types.ts";
import { Annotated } from "./annotated.ts";

export interface Use { node: Node; index: number }

export class Value extends Annotated {
  name: string;
  type: ValueType | undefined;
  docString = "";
  /** Set for initializers: the constant data. */
  initializer: Tensor | undefined;
  /** Set for sparse initializers: the sparse constant. */
  sparseInitializer: SparseTensor | undefined;
  /** The node that writes this value, and at which output; null for graph inputs and initializers. */
  producer: Node | null = null;
  outputIndex = -1;
  /** The graph whose scope defines this value. */
  graph: Graph | null = null;
  private useList: Use[] = [];
  /** The ValueInfoProto it came from; export reuses it while the type is unchanged. */
  source: unknown;

  constructor(name: string, type?: ValueType) {
    super();
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
    if (this.useList.length === 0) this.useList = [use]; // exact size: most values have one reader
    else this.useList.push(use);
  }

  /** Internal: maintained by Node when it rewires its inputs. Searches from the end (recent uses go first). */
  removeUse(node: Node, index: number): void {
    const list = this.useList;
    for (let at = list.length - 1; at >= 0; at--) {
      const u = list[at]!;
      if (u.node === node && u.index === index) {
        list.splice(at, 1);
        return;
      }
    }
  }

  /** Points every reader of this value (and graph outputs naming it) at `other` instead. */
  replaceAllUsesWith(other: Value): void {
    if (other === this) return;
    // Hand the whole list over at once: removing uses one by one is quadratic for widely read values.
    const uses = this.useList;
    this.useList = [];
    for (const { node, index } of uses) node.rewireInput(index, this, other);
    const g = this.graph;
    if (g) g.outputs.forEach((v, i) => { if (v === this) g.outputs[i] = other; });
  }
}
