// Builds one-node test graphs with typed values, for hand-checked cost and sparsity tests.
import { Builder, DataType, Graph, Model, Tensor, tensorType, type Attribute, type Node, type Value } from "../../ir/index.ts";

export interface Operand { shape: number[]; dtype?: number; constant?: boolean; data?: Float32Array }

/** A graph with one `op` node; constant operands become initializers (zeros unless `data`). */
export function singleOp(op: string, inputs: (Operand | null)[], outputs: Operand[], attributes: Attribute[] = [], domain?: string): { model: Model; node: Node } {
  const g = new Graph("test");
  const b = new Builder(g);
  const values: (Value | null)[] = inputs.map((o, i) => (o ? operand(b, `in${i}`, o) : null));
  const node = b.op(op, values, { attributes, outputs: outputs.length, name: op.toLowerCase(), domain });
  node.outputs.forEach((v, i) => { v.type = tensorType(outputs[i]!.dtype ?? DataType.FLOAT, outputs[i]!.shape); b.output(v); });
  return { model: new Model(g, { irVersion: 8, opsets: { "": 17 } }), node };
}

export function operand(b: Builder, name: string, o: Operand): Value {
  const dtype = o.dtype ?? DataType.FLOAT;
  if (!o.constant) return b.input(name, tensorType(dtype, o.shape));
  const size = o.shape.reduce((x, y) => x * y, 1);
  const data = o.data ?? (dtype === DataType.INT64 ? new BigInt64Array(size) : dtype === DataType.FLOAT16 ? new Uint16Array(size) : new Float32Array(size));
  return b.initializer(Tensor.fromArray(name, dtype, o.shape, data));
}
