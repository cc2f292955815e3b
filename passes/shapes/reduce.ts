// Reductions (axes as attribute, or as input from opset 13 for ReduceSum and 18 for the rest;
// keepdims; noop_with_empty_axes), ArgMax/ArgMin, TopK.
import { DataType } from "../../ir/dtype.ts";
import type { Dim } from "../../ir/types.ts";
import { info, type RuleContext, type RuleTable, type TensorInfo } from "./context.ts";
import { axis } from "./dims.ts";

const REDUCTIONS = ["ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceMax", "ReduceMean",
  "ReduceMin", "ReduceProd", "ReduceSum", "ReduceSumSquare"] as const;

export function reducedShape(shape: Dim[], axes: number[], keepDims: boolean): Dim[] {
  const set = new Set(axes.map((a) => axis(a, shape.length)));
  return keepDims ? shape.map((d, i) => (set.has(i) ? 1 : d)) : shape.filter((_, i) => !set.has(i));
}

function reduce(op: string) {
  const axesInputFrom = op === "ReduceSum" ? 13 : 18;
  return (ctx: RuleContext): TensorInfo[] => {
    const x = ctx.input(0);
    const keep = ctx.int("keepdims", 1) === 1;
    if (!x?.shape) return [info(x?.elemType, undefined)];
    let axes: number[] | undefined;
    if (ctx.opset < axesInputFrom) axes = ctx.ints("axes") ?? [];
    else if (!ctx.has(1)) axes = [];
    else {
      axes = ctx.numbers(1);
      // Unknown axes: with keepdims the rank survives, each dim may have become 1.
      if (!axes) return [info(x.elemType, keep ? x.shape.map((d) => (d === 1 ? 1 : null)) : undefined)];
    }
    if (axes.length === 0) {
      if (ctx.opset >= axesInputFrom && ctx.int("noop_with_empty_axes", 0) === 1) return [info(x.elemType, x.shape)];
      axes = x.shape.map((_, i) => i);
    }
    return [info(x.elemType, reducedShape(x.shape, axes, keep))];
  };
}

function argReduce(ctx: RuleContext): TensorInfo[] {
  const x = ctx.shape(0);
  if (!x) return [info(DataType.INT64, undefined)];
  return [info(DataType.INT64, reducedShape(x, [ctx.int("axis", 0)], ctx.int("keepdims", 1) === 1))];
}

function topK(ctx: RuleContext): TensorInfo[] {
  const x = ctx.input(0);
  if (!x?.shape) return [info(x?.elemType, undefined), info(DataType.INT64, undefined)];
  const k = ctx.opset < 10 ? ctx.int("k") : ctx.numbers(1)?.[0];
  const shape = [...x.shape];
  shape[axis(ctx.int("axis", -1), shape.length)] = k ?? null;
  return [info(x.elemType, shape), info(DataType.INT64, shape)];
}

/** Losses: a scalar unless reduction is "none", which keeps the target's shape. */
function loss(ctx: RuleContext): TensorInfo[] {
  const reduced = ctx.string("reduction", "mean") !== "none";
  const x = ctx.input(0);
  return [info(x?.elemType, reduced ? [] : ctx.shape(1)), info(x?.elemType, x?.shape)];
}

export const reduceRules: RuleTable = {
  NegativeLogLikelihoodLoss: loss,
  SoftmaxCrossEntropyLoss: loss,
  ...Object.fromEntries(REDUCTIONS.map((op) => [op, reduce(op)])),
  ArgMax: argReduce,
  ArgMin: argReduce,
  TopK: topK,
};
