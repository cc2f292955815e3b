// Weight sparsity: for each node, the zero fraction of its constant weight inputs, and the
// structure a sparse kernel can exploit in its main weight: all-zero output channels and
// all-zero 1x4 blocks along the reduction dimension. One streaming pass per tensor over views
// of the model's bytes (no copies when aligned), so a 550 MB model is read once.
import type { Model } from "../ir/model.ts";
import type { Node } from "../ir/node.ts";
import { staticSize } from "../ir/types.ts";
import type { Value } from "../ir/value.ts";
import { DataType } from "../ir/dtype.ts";
import { NodeKey } from "../ir/annotation-keys.ts";
import { ConstantOracle, isWeightType } from "../ir/constants.ts";
import type { Pass, PassContext, PassResult } from "./pass.ts";
import { canScan } from "./weight-sparsity/elements.ts";
import { mainWeight } from "./weight-sparsity/layout.ts";
import { countZeros, scanWeight, type WeightScan } from "./weight-sparsity/scan.ts";
import { weightSource, type WeightSource } from "./weight-sparsity/sources.ts";

const KEYS = [NodeKey.weightSparsity, NodeKey.weightChannelSparsity, NodeKey.weightBlockSparsity];

export interface NodeWeightSparsity {
  elements: number;
  zeros: number;
  /** Structure of the main weight, when the op has one and its layout is known. */
  structure: WeightScan | null;
  /** Constant weight inputs whose data could not be read (computed constants, unscannable types). */
  unavailable: string[];
}

function sourceDtype(value: Value, source: WeightSource): number {
  if (source.kind === "tensor") return source.tensor.dtype;
  return value.type?.kind === "tensor" ? value.type.elemType : DataType.FLOAT;
}

/** The shape the consumer sees, when known. */
function visibleDims(value: Value, source: WeightSource): readonly number[] | undefined {
  if (value.initializer) return value.initializer.dims;
  const shape = value.type?.kind === "tensor" ? value.type.shape : undefined;
  if (shape && staticSize(shape) !== undefined) return shape as number[];
  return source.kind === "tensor" && value.producer?.opType === "Constant" ? source.tensor.dims : undefined;
}

/** Uniform data: every channel and block is zero exactly when the fill value is. */
function fillScan(value: number, count: number): WeightScan {
  const zero = value === 0 ? 1 : 0;
  return { elements: count, zeros: zero * count, channels: 1, zeroChannels: zero, blocks: 1, zeroBlocks: zero };
}

export function nodeWeightSparsity(node: Node, constants: ConstantOracle): NodeWeightSparsity | null {
  const weightInputs = new Map<Value, number>();
  node.inputs.forEach((v, i) => {
    if (v && v.name !== "" && !weightInputs.has(v) && constants.isConstant(v)) weightInputs.set(v, i);
  });
  const main = mainWeight(node, (i) => { const v = node.inputs[i]; return !!v && v.name !== "" && constants.isConstant(v); });
  const result: NodeWeightSparsity = { elements: 0, zeros: 0, structure: null, unavailable: [] };
  let any = false;
  for (const [value, index] of weightInputs) {
    const source = weightSource(value);
    if (!source) {
      const dtype = value.type?.kind === "tensor" ? value.type.elemType : undefined;
      if (dtype === undefined || isWeightType(dtype)) result.unavailable.push(value.name);
      continue;
    }
    const dtype = sourceDtype(value, source);
    if (!isWeightType(dtype)) continue;
    if (source.kind === "tensor" && !canScan(dtype)) { result.unavailable.push(value.name); continue; }
    any = true;
    const isMain = main?.input === index;
    const dims = isMain ? visibleDims(value, source) : undefined;
    const layout = dims && main ? main.layout(dims) : null;
    let scan: WeightScan;
    if (source.kind === "fill") scan = fillScan(source.value, source.count);
    else if (layout && !source.permuted) scan = scanWeight(source.tensor, layout);
    else scan = { elements: source.tensor.size, zeros: countZeros(source.tensor), channels: 0, zeroChannels: 0, blocks: 0, zeroBlocks: 0 };
    if (source.kind === "tensor") source.tensor.release();
    result.elements += scan.elements;
    result.zeros += scan.zeros;
    if (isMain && scan.channels > 0) result.structure = scan;
  }
  return any || result.unavailable.length > 0 ? result : null;
}

export function weightSparsityPass(): Pass {
  return {
    name: "weight-sparsity",
    description: "annotate each node with the zero fraction of its constant weights and their all-zero channels and 1x4 blocks",
    preserves: "all",
    run(model: Model, ctx: PassContext): PassResult {
      const constants = new ConstantOracle();
      const stats = { "nodes-with-weights": 0, "weight-elements": 0, "zero-elements": 0, "zero-channels": 0, "nodes-unavailable": 0 };
      const unavailable: string[] = [];
      for (const node of model.graph.allNodes()) {
        ctx.at(node);
        for (const k of KEYS) node.annotations.delete(k);
        // Folded nodes run at load time; their consumers report the weights they produce.
        if (constants.isFolded(node)) continue;
        const s = nodeWeightSparsity(node, constants);
        if (!s) continue;
        if (s.unavailable.length > 0) {
          stats["nodes-unavailable"]++;
          unavailable.push(`'${node.name || node.opType}' (${s.unavailable.join(", ")})`);
        }
        if (s.elements === 0) continue;
        stats["nodes-with-weights"]++;
        stats["weight-elements"] += s.elements;
        stats["zero-elements"] += s.zeros;
        node.annotations.set(NodeKey.weightSparsity, s.zeros / s.elements);
        if (s.structure) {
          stats["zero-channels"] += s.structure.zeroChannels;
          node.annotations.set(NodeKey.weightChannelSparsity, s.structure.zeroChannels / s.structure.channels);
          node.annotations.set(NodeKey.weightBlockSparsity, s.structure.zeroBlocks / s.structure.blocks);
        }
      }
      if (unavailable.length > 0) {
        const shown = unavailable.slice(0, 3).join("; ");
        ctx.warn(`weight data not readable for ${unavailable.length} node(s), left out of their weight sparsity: ${shown}${unavailable.length > 3 ? "; ..." : ""}`);
      }
      return { changed: false, statistics: stats };
    },
  };
}
