// The inference driver: walks each graph in topological order, asks each node's rule for its
// outputs, recurses into If/Loop/Scan bodies through the rules, and writes `value.type` with
// `shape_source=static` on every value a rule decided. Declared types (value_info) fill dims a
// rule leaves unknown; unknown ops leave their outputs as declared (or untyped).
import type { Graph } from "../../ir/graph.ts";
import type { Model } from "../../ir/model.ts";
import type { Node } from "../../ir/node.ts";
import { topologicalOrder } from "../../ir/topo.ts";
import { formatShape, sameType, tensorType, type Dim } from "../../ir/types.ts";
import type { Value } from "../../ir/value.ts";
import { NodeKey, ValueKey } from "../../ir/annotation-keys.ts";
import { RuleContext, ShapeError, type TensorInfo } from "./context.ts";
import { bindSymbols, refineShape } from "./dims.ts";
import { tensorInfo } from "./generators.ts";
import { resolveInputShapes, type InputShape } from "./input-shapes.ts";
import { shapeRuleFor } from "./rules.ts";

export interface InferOptions {
  inputShapes?: readonly InputShape[];
  /** Called before each node is inferred (the pass manager's `ctx.at`). */
  onNode?: (node: Node) => void;
  warn?: (message: string) => void;
}

export interface InferReport {
  /** Named node outputs in every graph. */
  values: number;
  /** Outputs whose rank a rule decided. */
  inferred: number;
  /** Outputs whose every dim is a number (inferred or declared). */
  fullyKnown: number;
  /** Op type -> node count, for nodes with no rule. */
  unknownOps: Map<string, number>;
  /** Whether any value's type (or a bound input's shape) changed. */
  changed: boolean;
  /** Shapes given to inputs by `inputShapes`, by input name. */
  boundInputs: Map<string, Dim[]>;
}

class Inference {
  readonly infos = new Map<Value, TensorInfo>();
  readonly decided = new Set<Value>();
  readonly unknownOps = new Map<string, number>();

  constructor(readonly model: Model, readonly symbols: ReadonlyMap<string, number>, readonly options: InferOptions) {}

  declared(v: Value): TensorInfo | undefined {
    if (v.type?.kind !== "tensor") return undefined;
    return { elemType: v.type.elemType, shape: v.type.shape && bindSymbols(v.type.shape, this.symbols) };
  }

  readonly lookup = (v: Value): TensorInfo | undefined => {
    let found = this.infos.get(v);
    if (found) return found;
    found = v.initializer ? tensorInfo(v.initializer) : this.declared(v);
    if (found) this.infos.set(v, found);
    return found;
  };

  readonly inferSubgraph = (graph: Graph, inputs: (TensorInfo | undefined)[]): (TensorInfo | undefined)[] => {
    graph.inputs.forEach((v, i) => {
      const given = inputs[i];
      const declared = this.declared(v);
      const merged = given ? { elemType: given.elemType ?? declared?.elemType, shape: refineShape(given.shape, declared?.shape) } : declared;
      if (merged) this.infos.set(v, merged);
      else this.infos.delete(v);
    });
    this.inferGraph(graph);
    return graph.outputs.map((v) => this.lookup(v));
  };

  inferGraph(graph: Graph): void {
    let order: readonly Node[];
    try { order = topologicalOrder(graph); } catch { order = graph.nodes; }
    for (const node of order) this.inferNode(node);
  }

  inferNode(node: Node): void {
    this.options.onNode?.(node);
    const rule = shapeRuleFor(node);
    let results: (TensorInfo | undefined)[] | undefined;
    if (!rule) this.unknownOps.set(node.qualifiedOp, (this.unknownOps.get(node.qualifiedOp) ?? 0) + 1);
    else {
      const opset = this.model.opset(node.domain) ?? this.model.opset("") ?? 1;
      try {
        results = rule(new RuleContext(node, opset, this.lookup, this.inferSubgraph));
        // A size computed from data of the wrong type (Reshape to a float tensor's values) is no size.
        for (const r of results ?? []) {
          const bad = r?.shape?.find((d) => typeof d === "number" && !(Number.isSafeInteger(d) && d >= 0));
          if (bad !== undefined) throw new ShapeError(`computed dimension ${bad} is not a size`);
        }
        node.annotations.delete(NodeKey.shapeError);
      } catch (e) {
        // Kept on the node: optimize refuses a model whose shapes contradict each other (onnxruntime would).
        if (e instanceof ShapeError) node.annotations.set(NodeKey.shapeError, e.message);
        this.options.warn?.(`shape-inference: node '${node.name || "(unnamed)"}' (${node.opType}): ${e instanceof Error ? e.message : String(e)}; outputs left unknown`);
      }
    }
    node.outputs.forEach((v, i) => {
      if (v.name === "") return;
      const r = results?.[i];
      const declared = this.declared(v);
      if (!r || (r.shape === undefined && r.elemType === undefined)) {
        if (declared) this.infos.set(v, declared);
        else this.infos.delete(v);
        this.decided.delete(v);
        return;
      }
      if (r.shape && declared?.shape && !compatible(r.shape, declared.shape)) {
        this.options.warn?.(`shape-inference: '${v.name}' is declared ${formatShape(declared.shape)} but infers as ${formatShape(r.shape)}; using the inferred shape`);
      }
      const merged: TensorInfo = { elemType: r.elemType ?? declared?.elemType, shape: refineShape(r.shape, declared?.shape) };
      if (r.value) merged.value = r.value;
      this.infos.set(v, merged);
      if (r.shape) this.decided.add(v);
      else this.decided.delete(v);
    });
  }
}

function compatible(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((d, i) => typeof d !== "number" || typeof b[i] !== "number" || d === b[i]);
}

/** Infers types and shapes of every node output in the model and writes them to `value.type`. */
export function inferShapes(model: Model, options: InferOptions = {}): InferReport {
  const binding = resolveInputShapes(model.graph, options.inputShapes ?? []);
  let changed = false;
  for (const v of model.graph.inputs) {
    const shape = binding.inputs.get(v.name);
    if (shape === undefined || v.type?.kind !== "tensor") continue;
    const bound = tensorType(v.type.elemType, shape);
    if (!sameType(v.type, bound)) { v.type = bound; changed = true; }
  }
  const run = new Inference(model, binding.symbols, options);
  run.inferGraph(model.graph);
  const report: InferReport = { values: 0, inferred: 0, fullyKnown: 0, unknownOps: run.unknownOps, changed, boundInputs: binding.inputs };
  for (const node of model.graph.allNodes()) {
    for (const v of node.outputs) {
      if (v.name === "") continue;
      report.values++;
      const found = run.infos.get(v);
      if (run.decided.has(v)) {
        report.inferred++;
        v.annotations.set(ValueKey.shapeSource, "static");
      } else {
        v.annotations.delete(ValueKey.shapeSource);
      }
      if (found?.shape?.every((d) => typeof d === "number")) report.fullyKnown++;
      if (found?.elemType === undefined) continue;
      const type = tensorType(found.elemType, found.shape);
      if (!sameType(v.type, type)) { v.type = type; report.changed = true; }
    }
  }
  return report;
}
