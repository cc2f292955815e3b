// The cost analysis: per node FLOPs, MACs, bytes read (activations and constants separately),
// bytes written, arithmetic intensity and parameter count, from static shapes. Formulas per
// operator family live in passes/cost/; docs/cost-model.md states every one.
import { byteSize } from "../ir/dtype.ts";
import type { Graph } from "../ir/graph.ts";
import type { Model } from "../ir/model.ts";
import type { Node } from "../ir/node.ts";
import type { Value } from "../ir/value.ts";
import { NodeKey, numberAnnotation } from "../ir/annotation-keys.ts";
import { ConstantOracle, isWeightType } from "../ir/constants.ts";
import { CostUnknown, type Arithmetic } from "./cost/common.ts";
import { costFormula } from "./cost/formulas.ts";
import { shapeOf } from "./cost/common.ts";
import { METADATA_ONLY } from "./cost/movement.ts";
import type { Pass, PassContext, PassResult } from "./pass.ts";

export interface NodeCost extends Arithmetic {
  bytesRead: number;
  bytesWeights: number;
  bytesWritten: number;
  params: number;
}

const COST_KEYS = [NodeKey.flops, NodeKey.macs, NodeKey.bytesRead, NodeKey.bytesWeights, NodeKey.bytesWritten,
  NodeKey.intensity, NodeKey.params, NodeKey.costUnknown];

/** Bytes and element count of one value; CostUnknown when its type or shape is not static. */
function footprint(value: Value): { bytes: number; elements: number; dtype: number } {
  const dtype = value.initializer?.dtype ?? (value.type?.kind === "tensor" ? value.type.elemType : undefined);
  if (dtype === undefined) throw new CostUnknown(`type of '${value.name}' is unknown`);
  const elements = shapeOf(value).reduce((a, b) => a * b, 1);
  return { bytes: byteSize(dtype, elements), elements, dtype };
}

/** Memory traffic: each distinct input read once (constants apart), each output written once. */
function traffic(node: Node, constants: ConstantOracle): Omit<NodeCost, "flops" | "macs"> {
  const cost = { bytesRead: 0, bytesWeights: 0, bytesWritten: 0, params: 0 };
  const seen = new Set<Value>();
  for (const v of node.inputs) {
    if (!v || v.name === "" || seen.has(v)) continue;
    seen.add(v);
    if (METADATA_ONLY.has(node.opType)) continue;
    const { bytes, elements, dtype } = footprint(v);
    if (constants.isConstant(v)) {
      cost.bytesWeights += bytes;
      if (isWeightType(dtype)) cost.params += elements;
    } else {
      cost.bytesRead += bytes;
    }
  }
  for (const v of node.outputs) if (v.name !== "") cost.bytesWritten += footprint(v).bytes;
  return cost;
}

/** The cost of one node, or the reason it has none. */
export function nodeCost(node: Node, constants: ConstantOracle): NodeCost | { unknown: string } {
  // Folded at load time: consumers account for the constant as weights they read.
  if (constants.isFolded(node)) return { flops: 0, macs: 0, bytesRead: 0, bytesWeights: 0, bytesWritten: 0, params: 0 };
  if (node.subgraphs().length > 0) return { unknown: "control flow: its body's nodes carry per-execution costs" };
  const formula = costFormula(node.domain, node.opType);
  if (!formula) return { unknown: `no cost formula for ${node.qualifiedOp}` };
  try {
    return { ...formula(node), ...traffic(node, constants) };
  } catch (error) {
    if (error instanceof CostUnknown) return { unknown: error.message };
    throw error;
  }
}

function annotate(node: Node, cost: NodeCost): void {
  const a = node.annotations;
  a.set(NodeKey.flops, cost.flops);
  a.set(NodeKey.macs, cost.macs);
  a.set(NodeKey.bytesRead, cost.bytesRead);
  a.set(NodeKey.bytesWeights, cost.bytesWeights);
  a.set(NodeKey.bytesWritten, cost.bytesWritten);
  const bytes = cost.bytesRead + cost.bytesWeights + cost.bytesWritten;
  // A node that moves no bytes (folded) has no meaningful intensity; 0 keeps it out of the heavy side.
  a.set(NodeKey.intensity, bytes > 0 ? cost.flops / bytes : 0);
  a.set(NodeKey.params, cost.params);
}

export interface CostTotals { flops: number; macs: number; bytes: number; params: number; unknown: number }

/** Sums the cost annotations of a graph's own nodes (not its subgraphs'). */
export function costTotals(graph: Graph): CostTotals {
  const t: CostTotals = { flops: 0, macs: 0, bytes: 0, params: 0, unknown: 0 };
  for (const n of graph.nodes) {
    if (n.annotations.get(NodeKey.costUnknown) === true) { t.unknown++; continue; }
    t.flops += numberAnnotation(n, NodeKey.flops) ?? 0;
    t.macs += numberAnnotation(n, NodeKey.macs) ?? 0;
    t.params += numberAnnotation(n, NodeKey.params) ?? 0;
    t.bytes += (numberAnnotation(n, NodeKey.bytesRead) ?? 0) + (numberAnnotation(n, NodeKey.bytesWeights) ?? 0) + (numberAnnotation(n, NodeKey.bytesWritten) ?? 0);
  }
  return t;
}

export function costPass(): Pass {
  return {
    name: "cost",
    description: "annotate each node with FLOPs, MACs, bytes read/written, arithmetic intensity and parameter count",
    requires: ["shape-inference"],
    preserves: "all",
    run(model: Model, ctx: PassContext): PassResult {
      const constants = new ConstantOracle();
      // Unknown nodes are reported once per op type, not once per node.
      const unknownByOp = new Map<string, { count: number; first: Node; reason: string }>();
      for (const node of model.graph.allNodes()) {
        ctx.at(node);
        for (const k of COST_KEYS) node.annotations.delete(k);
        const cost = nodeCost(node, constants);
        if ("unknown" in cost) {
          node.annotations.set(NodeKey.costUnknown, true);
          const entry = unknownByOp.get(node.qualifiedOp);
          if (entry) entry.count++;
          else unknownByOp.set(node.qualifiedOp, { count: 1, first: node, reason: cost.unknown });
        } else {
          annotate(node, cost);
        }
      }
      let unknown = 0;
      for (const [op, { count, first, reason }] of unknownByOp) {
        unknown += count;
        ctx.warn(`cost unknown for ${count} ${op} node${count === 1 ? "" : "s"} (first: '${first.name || "(unnamed)"}': ${reason})`);
      }
      const totals = costTotals(model.graph);
      return {
        changed: false,
        statistics: {
          "total-flops": totals.flops, "total-macs": totals.macs, "total-params": totals.params,
          "total-bytes": totals.bytes, "nodes-unknown": unknown,
        },
      };
    },
  };
}
