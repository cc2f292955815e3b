// Control flow: If (both branches inferred; a known condition picks one, otherwise dims the
// branches agree on survive), Loop (body inferred until loop-carried shapes stop changing;
// scan outputs gain a leading iteration dim) and Scan (opset 9+: per-slice body, sequence axis
// put back on the scan outputs).
import { DataType } from "../../ir/dtype.ts";
import type { Dim } from "../../ir/types.ts";
import { info, type RuleContext, type RuleTable, type TensorInfo } from "./context.ts";
import { axis, mergeShapes } from "./dims.ts";

function graphAttr(ctx: RuleContext, name: string) {
  const a = ctx.attr(name);
  return a?.kind === "graph" ? a.value : undefined;
}

export function mergeInfos(a: TensorInfo | undefined, b: TensorInfo | undefined): TensorInfo | undefined {
  if (!a || !b) return undefined;
  return info(a.elemType === b.elemType ? a.elemType : undefined, mergeShapes(a.shape, b.shape));
}

function ifRule(ctx: RuleContext): (TensorInfo | undefined)[] | undefined {
  const thenGraph = graphAttr(ctx, "then_branch");
  const elseGraph = graphAttr(ctx, "else_branch");
  if (!thenGraph || !elseGraph) return undefined;
  const thenOut = ctx.inferSubgraph(thenGraph, []);
  const elseOut = ctx.inferSubgraph(elseGraph, []);
  const cond = ctx.numbers(0)?.[0];
  if (cond !== undefined) return cond ? thenOut : elseOut;
  return ctx.node.outputs.map((_, i) => mergeInfos(thenOut[i], elseOut[i]));
}

const withoutValue = (x: TensorInfo | undefined) => (x ? info(x.elemType, x.shape) : undefined);

/** Infers `body` from `carried` until the loop-carried infos stop changing (merging only loses dims, so it ends). */
function fixpoint(ctx: RuleContext, body: Parameters<RuleContext["inferSubgraph"]>[0], prefix: (TensorInfo | undefined)[],
  carried: (TensorInfo | undefined)[], outputOffset: number, extra: (TensorInfo | undefined)[] = []): { carried: (TensorInfo | undefined)[]; outputs: (TensorInfo | undefined)[] } {
  let state = carried.map(withoutValue);
  for (let round = 0; ; round++) {
    const outputs = ctx.inferSubgraph(body, [...prefix, ...state, ...extra]);
    const next = state.map((s, k) => mergeInfos(s, outputs[outputOffset + k]));
    if (round >= 4 || JSON.stringify(next) === JSON.stringify(state)) return { carried: next, outputs };
    state = next;
  }
}

function loop(ctx: RuleContext): (TensorInfo | undefined)[] | undefined {
  const body = graphAttr(ctx, "body");
  if (!body) return undefined;
  const initial = ctx.node.inputs.slice(2).map((_, k) => ctx.input(k + 2));
  const { carried, outputs } = fixpoint(ctx, body, [info(DataType.INT64, []), info(DataType.BOOL, [])], initial, 1);
  const scans = outputs.slice(1 + initial.length).map((o) => (o?.shape ? info(o.elemType, [null, ...o.shape]) : info(o?.elemType, undefined)));
  return [...carried, ...scans];
}

function scan(ctx: RuleContext): (TensorInfo | undefined)[] | undefined {
  const body = graphAttr(ctx, "body");
  if (!body || ctx.opset < 9) return undefined;
  const m = ctx.int("num_scan_inputs", 0);
  const n = ctx.node.inputs.length - m;
  const states = ctx.node.inputs.slice(0, n).map((_, k) => ctx.input(k));
  const inputAxes = ctx.ints("scan_input_axes") ?? new Array<number>(m).fill(0);
  let length: Dim = null;
  const slices = Array.from({ length: m }, (_, j) => {
    const x = ctx.input(n + j);
    if (!x?.shape) return info(x?.elemType, undefined);
    const ax = axis(inputAxes[j]!, x.shape.length);
    if (length === null) length = x.shape[ax]!;
    return info(x.elemType, x.shape.filter((_, i) => i !== ax));
  });
  const { carried, outputs } = fixpoint(ctx, body, [], states, 0, slices);
  const k = outputs.length - n;
  const outputAxes = ctx.ints("scan_output_axes") ?? new Array<number>(k).fill(0);
  const scans = outputs.slice(n).map((o, j) => {
    if (!o?.shape) return info(o?.elemType, undefined);
    const shape = [...o.shape];
    shape.splice(axis(outputAxes[j]!, shape.length + 1), 0, length);
    return info(o.elemType, shape);
  });
  return [...carried, ...scans];
}

export const controlFlowRules: RuleTable = {
  If: ifRule,
  Loop: loop,
  Scan: scan,
};
