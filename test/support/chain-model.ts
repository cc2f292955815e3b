// A long chain model for scale benchmarks and the scale regression: x -> (Mul by a weight ->
// Relu) repeated, with small tensors so the time measured is the passes', not the arithmetic's.
import { Builder, DataType, Graph, Model, Tensor, tensorType } from "../../ir/index.ts";

/** A chain of `nodes` nodes (alternating Mul and Relu) over a [1, width] float input. */
export function chainModel(nodes: number, width = 8): Model {
  const g = new Graph("chain");
  const b = new Builder(g);
  let v = b.input("x", tensorType(DataType.FLOAT, [1, width]));
  const w = g.addInitializer(Tensor.fromArray("w", DataType.FLOAT, [width], Float32Array.from({ length: width }, (_, i) => (i % 3 === 0 ? 0 : 1.01))));
  for (let i = 0; i < nodes; i++) {
    v = i % 2 === 0 ? b.op1("Mul", [v, w], { name: `mul${i}` }) : b.op1("Relu", [v], { name: `relu${i}` });
  }
  b.output(v);
  return new Model(g, { irVersion: 8, opsets: { "": 13 } });
}
