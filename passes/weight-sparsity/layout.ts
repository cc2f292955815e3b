// Which input of an op is its weight matrix, and how that weight maps onto
// [groups, reduction-before, output channels, reduction-after] (see scan.ts).
//   Conv, ConvInteger W [M, C/g, k...]      channel axis 0, blocks along C/g*k (inner)
//   QLinearConv w (input 3)                  as Conv
//   ConvTranspose W [C, M/g, k...]           channel axis 1 within each group, blocks along C/g (outer)
//   Gemm B, transB=1 [N, K]                  channel axis 0, blocks along K (inner)
//   Gemm B, transB=0 [K, N]                  channel axis 1, blocks along K (outer)
//   Gemm A when only A is constant           rows of A' are the outputs (axis 0 of [M, K])
//   MatMul(-Integer) B [..., K, N]           channel axis -1 per batch matrix, blocks along K (outer)
//   QLinearMatMul b (input 3)                as MatMul
//   MatMul A when only A is constant         [..., M, K]: channel axis -2, blocks along K (inner)
//   LSTM, GRU, RNN W [dirs, gates*H, I]      channel axis 1 per direction, blocks along I (inner)
import type { Node } from "../../ir/node.ts";
import type { WeightLayout } from "./scan.ts";

export interface MainWeight {
  input: number;
  layout: (dims: readonly number[]) => WeightLayout | null;
}

const product = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);
const intAttr = (node: Node, name: string, fallback: number) => {
  const a = node.attr(name);
  return a?.kind === "int" ? Number(a.value) : fallback;
};

/** [M, R...] with channels first and the reduction contiguous after them. */
const rowsInner = (d: readonly number[]): WeightLayout | null =>
  d.length >= 2 ? { groups: 1, r1: 1, out: d[0]!, r2: product(d.slice(1)), blocks: "inner" } : null;

/** Batched [..., K, N]: channels last, reduction K before them. */
const columnsOuter = (d: readonly number[]): WeightLayout | null =>
  d.length === 1 ? { groups: 1, r1: d[0]!, out: 1, r2: 1, blocks: "outer" }
  : d.length >= 2 ? { groups: product(d.slice(0, -2)), r1: d[d.length - 2]!, out: d[d.length - 1]!, r2: 1, blocks: "outer" } : null;

/** Batched [..., M, K]: channels are rows, reduction K contiguous. */
const batchedRowsInner = (d: readonly number[]): WeightLayout | null =>
  d.length >= 2 ? { groups: product(d.slice(0, -2)), r1: 1, out: d[d.length - 2]!, r2: d[d.length - 1]!, blocks: "inner" } : null;

/** The weight whose channel/block structure is reported, given which inputs are constant. */
export function mainWeight(node: Node, isConstant: (index: number) => boolean): MainWeight | null {
  switch (node.opType) {
    case "Conv": case "ConvInteger":
      return isConstant(1) ? { input: 1, layout: rowsInner } : null;
    case "QLinearConv":
      return isConstant(3) ? { input: 3, layout: rowsInner } : null;
    case "ConvTranspose": {
      if (!isConstant(1)) return null;
      const groups = intAttr(node, "group", 1);
      return {
        input: 1,
        layout: (d) => d.length >= 3 && d[0]! % groups === 0
          ? { groups, r1: d[0]! / groups, out: d[1]!, r2: product(d.slice(2)), blocks: "outer" } : null,
      };
    }
    case "Gemm": {
      if (isConstant(1)) return { input: 1, layout: intAttr(node, "transB", 0) ? rowsInner : columnsOuter };
      if (isConstant(0)) return { input: 0, layout: intAttr(node, "transA", 0) ? columnsOuter : rowsInner };
      return null;
    }
    case "MatMul": case "MatMulInteger": case "QLinearMatMul": {
      const [a, b] = node.opType === "QLinearMatMul" ? [0, 3] : [0, 1];
      if (isConstant(b)) return { input: b, layout: columnsOuter };
      if (isConstant(a)) return { input: a, layout: batchedRowsInner };
      return null;
    }
    case "LSTM": case "GRU": case "RNN":
      return isConstant(1) ? { input: 1, layout: (d) => d.length === 3 ? { groups: d[0]!, r1: 1, out: d[1]!, r2: d[2]!, blocks: "inner" } : null } : null;
    default:
      return null;
  }
}
