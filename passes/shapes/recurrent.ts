// Recurrent layers (RNN, GRU, LSTM): Y [seq, dirs, batch, hidden] and the final states
// [dirs, batch, hidden]; layout=1 (opset 14+) puts batch first.
import type { Dim } from "../../ir/types.ts";
import { info, type RuleContext, type RuleTable, type TensorInfo } from "./context.ts";

function recurrent(stateOutputs: number) {
  return (ctx: RuleContext): TensorInfo[] => {
    const x = ctx.shape(0);
    const t = ctx.dtype(0);
    const layout = ctx.int("layout", 0);
    const dirs: Dim = ctx.string("direction", "forward") === "bidirectional" ? 2 : 1;
    const hidden: Dim = ctx.int("hidden_size") ?? ctx.shape(2)?.[2] ?? null;
    const seq: Dim = x ? (layout ? x[1]! : x[0]!) : null;
    const batch: Dim = x ? (layout ? x[0]! : x[1]!) : null;
    const y = layout ? [batch, seq, dirs, hidden] : [seq, dirs, batch, hidden];
    const state = layout ? [batch, dirs, hidden] : [dirs, batch, hidden];
    return [info(t, y), ...Array.from({ length: stateOutputs }, () => info(t, state))];
  };
}

export const recurrentRules: RuleTable = {
  RNN: recurrent(1),
  GRU: recurrent(1),
  LSTM: recurrent(2),
};
