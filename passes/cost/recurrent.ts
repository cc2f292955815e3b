// Recurrent layers, per time step, direction and batch row with hidden size H and input size I:
// the gate pre-activations are two matrix-vector products (X W^T and H R^T), then element-wise
// gate arithmetic (sigmoid 4 ops, tanh 1, as in elementwise.ts).
//   LSTM: MACs 4H(I+H); other ops: combine 4H, biases 8H, gates 18H (3 sigmoids 12H, 2 tanh
//         2H, c = f*c + i*g 3H, h = o*tanh(c) 1H), peepholes 6H.
//   GRU:  MACs 3H(I+H); other ops: combine 3H, biases 6H, z and r sigmoids 8H, r*(...) 1H,
//         tanh 1H, h = (1-z)*h~ + z*h 4H.
//   RNN:  MACs H(I+H); other ops: combine H, biases 2H, tanh H.
import type { Node } from "../../ir/node.ts";
import { CostUnknown, contraction, input, intAttr, shapeOf, type Arithmetic, type CostFormula } from "./common.ts";

interface Cell { gates: number; elementwise: number; bias: number; peephole: number }

const CELLS: Record<string, Cell> = {
  LSTM: { gates: 4, elementwise: 4 + 18, bias: 8, peephole: 6 },
  GRU: { gates: 3, elementwise: 3 + 8 + 1 + 1 + 4, bias: 6, peephole: 0 },
  RNN: { gates: 1, elementwise: 1 + 1, bias: 2, peephole: 0 },
};

function recurrent(cell: Cell): CostFormula {
  return (node: Node): Arithmetic => {
    const x = shapeOf(input(node, 0), "X");
    const w = shapeOf(input(node, 1), "W");
    if (x.length !== 3 || w.length !== 3) throw new CostUnknown("X and W must be 3-D");
    const [seq, batch] = intAttr(node, "layout", 0) === 1 ? [x[1]!, x[0]!] : [x[0]!, x[1]!];
    const directions = w[0]!;
    const hidden = w[1]! / cell.gates;
    const inputSize = x[2]!;
    const steps = seq * batch * directions;
    const macs = steps * cell.gates * hidden * (inputSize + hidden);
    const perStep = hidden * (cell.elementwise + (input(node, 3) ? cell.bias : 0) + (input(node, 7) ? cell.peephole : 0));
    return contraction(macs, steps * perStep);
  };
}

export const recurrentFormulas: Record<string, CostFormula> = {
  LSTM: recurrent(CELLS.LSTM!),
  GRU: recurrent(CELLS.GRU!),
  RNN: recurrent(CELLS.RNN!),
};
